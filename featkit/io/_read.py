"""Read a table from a file or an in-memory object into a pandas DataFrame."""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InputError, UnknownNameError, suggest_names
from ._parts import expand_paths, is_multipart
from ._typing import SEPARATOR_ATTR

__all__ = ["read_table", "table_format", "detect_separator"]

_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz"}
_TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_FEATHER_SUFFIXES = {".feather", ".arrow", ".ipc"}
# Candidates tried when the extension does not fix the separator.
_SNIFF_SEPARATORS = ",\t;|"


def table_format(path) -> tuple[str, str | None, str | None]:
    """Return ``(format, compression, default_sep)`` for a file name.

    ``format`` is "csv", "parquet" or "feather"; ``default_sep`` is None when
    the extension does not say (".txt"), in which case the separator is sniffed.

    Examples
    --------
    >>> table_format("data.tsv.gz")
    ('csv', 'gzip', '\\t')
    >>> table_format("data.parquet")
    ('parquet', None, None)
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = None
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        compression = _COMPRESSIONS[suffixes.pop()]
    last = suffixes[-1] if suffixes else ""
    if last in _TEXT_SUFFIXES:
        return "csv", compression, _TEXT_SUFFIXES[last]
    if compression is None and last in _PARQUET_SUFFIXES:
        return "parquet", None, None
    if compression is None and last in _FEATHER_SUFFIXES:
        return "feather", None, None
    known = sorted(set(_TEXT_SUFFIXES) | _PARQUET_SUFFIXES | _FEATHER_SUFFIXES)
    raise InputError(
        f"Cannot tell the format of {str(path)!r} from its extension; use one of "
        f"{', '.join(known)} (text formats may end in .gz, .bz2, .zip, .xz)."
    )


def _open_text(path: Path, compression: str | None, encoding: str):
    """Open a (possibly compressed) text file for reading its first lines."""
    if compression == "gzip":
        import gzip

        return gzip.open(path, "rt", encoding=encoding, newline="")
    if compression == "bz2":
        import bz2

        return bz2.open(path, "rt", encoding=encoding, newline="")
    if compression == "xz":
        import lzma

        return lzma.open(path, "rt", encoding=encoding, newline="")
    if compression == "zip":
        import zipfile

        archive = zipfile.ZipFile(path)
        names = [n for n in archive.namelist() if not n.endswith("/")]
        if len(names) != 1:
            raise InputError(f"The zip archive {str(path)!r} must hold exactly one file, found {len(names)}.")
        return io.TextIOWrapper(archive.open(names[0]), encoding=encoding, newline="")
    if compression is None:
        return open(path, encoding=encoding, newline="")
    raise InputError(f"Reading {compression}-compressed text needs pandas' reader; decompress {str(path)!r} first.")


def detect_separator(first_line: str, default: str | None) -> str:
    """Pick the field separator from the header line.

    The extension's separator wins when it appears in the header; otherwise the
    candidate (``, TAB ; |``) occurring most often in the header is used, so a
    semicolon-separated ".csv" (common with decimal commas) still reads.

    Examples
    --------
    >>> detect_separator("a;b;c", ",")
    ';'
    >>> detect_separator("a,b", "\\t")
    ','
    >>> detect_separator("single", ",")
    ','
    """
    if default is not None and default in first_line:
        return default
    counts = {s: first_line.count(s) for s in _SNIFF_SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    if counts[best] == 0:
        return default or ","
    return best


def _check_names(names, where: str) -> list[str]:
    names = [str(n) for n in names]
    seen, dupes = set(), []
    for n in names:
        if n in seen and n not in dupes:
            dupes.append(n)
        seen.add(n)
    if dupes:
        raise InputError(
            f"{where} has duplicate column names: {', '.join(repr(d) for d in dupes)}; "
            "rename them so that each column has its own name."
        )
    return names


def _select(frame: pd.DataFrame, columns, nrows, where: str) -> pd.DataFrame:
    if columns is not None:
        columns = [str(c) for c in columns]
        for c in columns:
            if c not in frame.columns:
                raise UnknownNameError(f"{where} has no column {c!r}.{suggest_names(c, frame.columns)}")
        frame = frame[columns]
    if nrows is not None:
        frame = frame.iloc[: int(nrows)]
    return frame


def _from_object(source, columns, nrows) -> pd.DataFrame:
    module = type(source).__module__ or ""
    if isinstance(source, pd.DataFrame):
        frame = source.copy(deep=False)
        where = "The DataFrame"
    elif module.startswith("polars"):
        if hasattr(source, "collect") and not hasattr(source, "to_pandas"):  # a LazyFrame
            source = source.collect()
        if not hasattr(source, "to_pandas"):
            raise InputError(f"Cannot read a {type(source).__name__}; pass a polars DataFrame.")
        _check_names(source.columns, "The polars DataFrame")
        frame = source.to_pandas()
        where = "The polars DataFrame"
    elif module.startswith("pyarrow") and hasattr(source, "to_pandas") and hasattr(source, "column_names"):
        _check_names(source.column_names, "The Arrow table")
        frame = source.to_pandas()
        where = "The Arrow table"
    elif isinstance(source, np.ndarray) or (hasattr(source, "__array__") and not isinstance(source, (str, bytes))):
        arr = np.asarray(source)
        if arr.ndim != 2:
            raise InputError(f"An array must be 2-d (rows x columns) to be read as a table, got shape {arr.shape}.")
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
        where = "The array"
    else:
        raise InputError(
            f"Cannot read a table from a {type(source).__name__}; pass a file path, a pandas or polars "
            "DataFrame, or a 2-d numpy array."
        )
    names = _check_names(frame.columns, where)
    if list(frame.columns) != names:
        frame.columns = names
    return _select(frame, columns, nrows, where)


def _ragged_message(path, line: int, got: int, expected: int) -> str:
    return (
        f"{str(path)!r} is not a regular table: line {line} has {got} field{'s' if got != 1 else ''} "
        f"but the header has {expected}. Fix that line, or give the right separator."
    )


def find_ragged_row(path: Path, compression, encoding, sep: str, n_columns: int, nrows=None,
                    short_only=True):
    """Return (line, n_fields) of the first non-blank row with too few fields
    (or, unless ``short_only``, too many), or None.

    pandas pads short rows with missing values without a word; a CSV whose rows
    differ in length is a broken file, not missing data, so look for one. Also
    used to name the line when pyarrow's streaming parser only quotes the row.
    """
    with _open_text(path, compression, encoding) as handle:
        reader = csv.reader(handle, delimiter=sep)
        next(reader, None)
        for i, row in enumerate(reader):
            if nrows is not None and i >= nrows:
                break
            if not row or (len(row) == 1 and row[0].strip() == ""):
                continue
            if len(row) < n_columns or (not short_only and len(row) > n_columns):
                return reader.line_num, len(row)
    return None


def ragged_error(path: Path, compression, encoding, sep: str, n_columns: int) -> InputError | None:
    """The ragged-file error naming the first bad line, or None when every row fits."""
    found = find_ragged_row(path, compression, encoding, sep, n_columns, short_only=False)
    return InputError(_ragged_message(path, found[0], found[1], n_columns)) if found else None


def batches_naming_ragged_line(open_reader, path: Path, compression, encoding, sep: str, n_columns: int):
    """Yield the record batches of ``open_reader()`` (a pyarrow CSV reader).

    pyarrow's error for a row of the wrong length quotes the row but not its
    line; the file is scanned again to name the line in the InputError.
    """
    import pyarrow as pa

    try:
        yield from open_reader()
    except pa.ArrowInvalid as exc:
        found = ragged_error(path, compression, encoding, sep, n_columns) if "columns, got" in str(exc) else None
        if found is not None:
            raise found from None
        raise InputError(f"Cannot parse {str(path)!r} as a table: {str(exc).strip()}") from None


def header_line_count(names) -> int:
    """Physical lines taken by a header record whose quoted names may hold line breaks."""
    return 1 + sum(str(n).count("\n") for n in names)


# Tried in turn: UTF-8 (a byte-order mark dropped), then what spreadsheets on
# Windows write; latin-1 decodes any byte, so it is the last resort.
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def _read_text(path: Path, compression, default_sep, sep, columns, nrows) -> pd.DataFrame:
    names, sep, encoding, spaced = read_header(path, compression, default_sep, sep)
    positions = None
    if columns is not None:
        for c in columns:
            if str(c) not in names:
                raise UnknownNameError(f"{str(path)!r} has no column {str(c)!r}.{suggest_names(str(c), names)}")
        positions = sorted({names.index(str(c)) for c in columns})
    frame = None
    later = _ENCODINGS[_ENCODINGS.index(encoding):] if encoding in _ENCODINGS else (encoding,)
    for encoding in later:
        try:
            frame = pd.read_csv(
                path,
                sep=sep,
                compression=compression,
                encoding=encoding,
                nrows=nrows,
                usecols=positions,
                # Costs a third of the parse time, so only for files written "a, b, c".
                skipinitialspace=spaced,
                low_memory=False,
            )
            break
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise InputError(f"{str(path)!r} is empty: no header line and no rows.") from None
        except pd.errors.ParserError as exc:
            match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            if match:
                expected, line, got = (int(g) for g in match.groups())
                raise InputError(_ragged_message(path, line, got, expected)) from None
            raise InputError(f"Cannot parse {str(path)!r} as a table: {str(exc).strip()}") from None
        except (OSError, EOFError, ValueError) as exc:
            raise InputError(f"Cannot read {str(path)!r}: {exc}") from None
    if frame is None:  # pragma: no cover - latin-1 decodes every byte
        raise InputError(f"Cannot decode {str(path)!r} as text; save it as UTF-8.")
    frame.columns = names if positions is None else [names[i] for i in positions]
    if len(frame) == 0:
        raise InputError(f"{str(path)!r} has a header but no rows of data.")
    # A short row leaves its last fields empty; only then is the slow scan needed.
    if len(names) > 1 and frame.iloc[:, -1].isna().any():
        short = find_ragged_row(path, compression, encoding, sep, len(names), nrows)
        if short is not None:
            raise InputError(_ragged_message(path, short[0], short[1], len(names)))
    if columns is not None:
        frame = frame[[str(c) for c in columns]]
    frame.attrs[SEPARATOR_ATTR] = sep
    return frame


# Uncompressed bytes of Parquet columns read per pass (see _read_parquet_in_groups).
_GROUP_BYTES = 64 << 20


def _read_parquet_in_groups(path: Path, columns):
    """The frame of a Parquet file read a group of columns at a time, or None when one
    pass reads it (a small file, or an index stored as columns).

    A whole-table read holds every decompressed column in Arrow's pool until the
    read ends (800 MiB for the 337 MiB frame of the main_job tall table, the peak
    of that run); a group at a time, each converted and its pages handed back,
    holds the frame and one group. The frame is the one-pass read's, column for column.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    schema = pf.schema_arrow
    index = (schema.pandas_metadata or {}).get("index_columns") or []
    if any(not isinstance(i, dict) or i.get("kind") != "range" for i in index):
        return None  # a stored index column is read with the table
    names = list(columns) if columns is not None else list(schema.names)
    sizes = dict.fromkeys(names, 0)
    meta = pf.metadata
    for r in range(meta.num_row_groups):
        group = meta.row_group(r)
        for c in range(group.num_columns):
            top = group.column(c).path_in_schema.split(".")[0]
            if top in sizes:
                sizes[top] += group.column(c).total_uncompressed_size
    groups, current, held = [], [], 0
    for name in names:
        if current and held + sizes[name] > _GROUP_BYTES:
            groups.append(current)
            current, held = [], 0
        current.append(name)
        held += sizes[name]
    groups.append(current)
    if len(groups) == 1:
        return None
    frames = []
    for group in groups:
        table = pf.read(columns=group)
        frames.append(table.to_pandas(self_destruct=True, split_blocks=True))
        del table
        pa.default_memory_pool().release_unused()
    return pd.concat(frames, axis=1)


def _read_arrow(path: Path, fmt: str, columns, nrows) -> pd.DataFrame:
    import pyarrow as pa

    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            schema_names = pq.read_schema(path).names
        else:
            import pyarrow.feather as feather

            with pa.memory_map(str(path)) as source:
                schema_names = pa.ipc.open_file(source).schema.names
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"Cannot read {str(path)!r} as {fmt.title()}: {exc}") from None
    names = _check_names(schema_names, repr(str(path)))
    if columns is not None:
        for c in columns:
            if str(c) not in names:
                raise UnknownNameError(f"{str(path)!r} has no column {str(c)!r}.{suggest_names(str(c), names)}")
        columns = [str(c) for c in columns]
    frame = None
    try:
        if fmt == "parquet":
            if nrows is not None:
                pf = pq.ParquetFile(path)
                batches, remaining = [], int(nrows)
                for batch in pf.iter_batches(batch_size=min(remaining, 65536), columns=columns):
                    batches.append(batch.slice(0, remaining))
                    remaining -= batches[-1].num_rows
                    if remaining <= 0:
                        break
                table = pa.Table.from_batches(batches) if batches else pq.read_table(path, columns=columns)
            else:
                frame = _read_parquet_in_groups(path, columns)
                if frame is None:
                    table = pq.read_table(path, columns=columns)
        else:
            table = feather.read_table(path, columns=columns)
            if nrows is not None:
                table = table.slice(0, int(nrows))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"Cannot read {str(path)!r} as {fmt.title()}: {exc}") from None
    # self_destruct lets each Arrow column go once converted, and split_blocks
    # keeps pandas from gathering same-typed columns into a block: the read
    # holds about one table, not the Arrow table, the frame and a consolidated copy
    if frame is None:
        frame = table.to_pandas(self_destruct=True, split_blocks=True)
        del table
    if len(frame) == 0:
        raise InputError(f"{str(path)!r} has columns but no rows of data.")
    return frame[columns] if columns is not None else frame


def existing_file(source) -> Path:
    """The path of an existing regular file, or an InputError saying what is wrong."""
    path = Path(source).expanduser()
    if path.is_symlink() and not path.exists():
        raise InputError(
            f"{str(path)!r} is a broken link: it points to {os.readlink(path)!r}, which does not exist."
        )
    if not path.exists():
        hint = ""
        if path.parent.exists():
            hint = suggest_names(path.name, [p.name for p in path.parent.iterdir() if p.name != path.name])
        raise InputError(f"No such file: {str(path)!r}.{hint}")
    if path.is_dir():
        raise InputError(f"{str(path)!r} is a folder; give the path of a table file inside it.")
    if not path.is_file():
        # A named pipe or a device has no size and may block forever when read;
        # the readers need a file they can open twice (header, then rows).
        what = "a named pipe (FIFO)" if stat.S_ISFIFO(path.stat().st_mode) else "a device or socket"
        raise InputError(f"{str(path)!r} is not a regular file but {what}; save the table to a file first.")
    return path


# Byte-order marks, longest first (the UTF-32 LE mark starts with UTF-16 LE's).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _first_bytes(path: Path, compression, n: int = 64) -> bytes:
    """The first bytes of the (decompressed) file, to find a byte-order mark."""
    if compression == "zip":
        import zipfile

        with zipfile.ZipFile(path) as archive:
            names = [m for m in archive.namelist() if not m.endswith("/")]
            if len(names) != 1:
                return b""
            with archive.open(names[0]) as handle:
                return handle.read(n)
    opener = {"gzip": "gzip", "bz2": "bz2", "xz": "lzma"}.get(compression)
    if opener is not None:
        import importlib

        with importlib.import_module(opener).open(path, "rb") as handle:
            return handle.read(n)
    with open(path, "rb") as handle:
        return handle.read(n)


def text_encodings(path: Path, compression) -> tuple[str, ...]:
    """The encodings to try on a text file, in order.

    A byte-order mark fixes the encoding (UTF-8, UTF-16, UTF-32); text without
    one that has a NUL in every other byte is UTF-16 without a mark. Otherwise
    UTF-8, then cp1252, then latin-1 (which decodes any byte).
    """
    try:
        head = _first_bytes(path, compression)
    except (OSError, EOFError):
        return _ENCODINGS  # the readers report the error themselves
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return (encoding,)
    pairs = head[: len(head) // 2 * 2]
    if len(pairs) >= 4:
        if all(b == 0 for b in pairs[1::2]) and any(pairs[0::2]):
            return ("utf-16-le",)
        if all(b == 0 for b in pairs[0::2]) and any(pairs[1::2]):
            return ("utf-16-be",)
    return _ENCODINGS


def read_header(path: Path, compression, default_sep, sep=None) -> tuple[list[str], str, str, bool]:
    """Column names, separator, encoding, and whether the header pads fields with
    spaces after the separator ("a, b, c"), from the header record of a text table.

    The header is parsed as a CSV record, so a quoted name may hold the
    separator or a line break.
    """
    first = record = None
    for encoding in text_encodings(path, compression):
        try:
            with _open_text(path, compression, encoding) as handle:
                first = record = handle.readline()
                # An odd number of quotes so far means a quoted name holds a line break.
                while record.count('"') % 2:
                    line = handle.readline()
                    if not line:
                        break
                    record += line
            break
        except UnicodeDecodeError:
            continue
        except (OSError, EOFError) as exc:
            raise InputError(f"Cannot read {str(path)!r}: {exc}.") from None
    if first is None:
        raise InputError(f"Cannot decode {str(path)!r} as text ({encoding}); save it as UTF-8.")
    if not first.strip():
        raise InputError(f"{str(path)!r} is empty: no header line and no rows.")
    if sep is None:
        sep = detect_separator(first.rstrip("\r\n"), default_sep)
    header = next(csv.reader(io.StringIO(record), delimiter=sep))
    # pandas' name for a column without a header, so both readers agree.
    names = [h.strip() or f"Unnamed: {i}" for i, h in enumerate(header)]
    names = _check_names(names, repr(str(path)))
    return names, sep, encoding, (sep + " ") in first


def _read_parts(paths, sep, columns, nrows) -> pd.DataFrame:
    """The parts of a table, one after the other (their columns must agree)."""
    frames, names = [], None
    for path in paths:
        frame = read_table(path, sep=sep, columns=columns, nrows=nrows)
        if names is not None and frame.columns.tolist() != names:
            raise InputError(f"{str(path)!r} has other columns than {str(paths[0])!r}; the parts of a "
                             "table must have the same columns.")
        names = frame.columns.tolist()
        frames.append(frame)
        if nrows is not None:
            nrows -= len(frame)
            if nrows < 1:
                break
    return pd.concat(frames, ignore_index=True)


def read_table(source, *, sep=None, columns=None, nrows=None) -> pd.DataFrame:
    """Read a table into a pandas DataFrame, failing with one clear sentence.

    Parameters
    ----------
    source : str, Path, pandas.DataFrame, polars.DataFrame, pyarrow.Table or ndarray
        A file (``.csv``, ``.tsv``, ``.txt``, optionally compressed ``.gz``,
        ``.bz2``, ``.zip``, ``.xz``; ``.parquet``; ``.feather`` / ``.arrow``),
        or a table already in memory; a folder or a glob of Parquet / CSV
        parts is read part after part (name order) into one frame. A pandas DataFrame comes back as a
        shallow copy; a 2-d array gets the column names ``x0 .. x{d-1}``.
    sep : str, optional
        Field separator of a text file. By default a tab for ``.tsv`` and a
        comma for ``.csv``; when the header has no such separator (and for
        ``.txt``) the most frequent of ``, TAB ; |`` in the header.
    columns : list of str, optional
        Read only these columns, in this order.
    nrows : int, optional
        Read only the first ``nrows`` rows.

    Returns
    -------
    frame : pandas.DataFrame
        Column names are strings. Values are as the reader typed them
        (pandas' own CSV inference: numbers, booleans, text); nothing is
        dropped or encoded here.

    Raises
    ------
    featkit.exceptions.InputError
        Missing file, a broken link, a named pipe or device, a directory,
        an unknown extension, an empty file, a
        header without rows, a ragged text file (naming the line), duplicate
        column names (naming them); :class:`~featkit.exceptions.UnknownNameError`
        for a name in ``columns`` that is not in the table.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.io import read_table
    >>> read_table(np.arange(6.0).reshape(3, 2)).columns.tolist()
    ['x0', 'x1']
    >>> from featkit.datasets import example_path
    >>> read_table(example_path("wine"), columns=["alcohol", "cultivar"], nrows=2).shape
    (2, 2)
    """
    if nrows is not None and (not isinstance(nrows, (int, np.integer)) or nrows < 1):
        raise InputError(f"nrows must be a positive integer, got {nrows!r}.")
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(source, (str, Path)):
        return _from_object(source, columns, nrows)
    if is_multipart(source):
        return _read_parts(expand_paths(source), sep, columns, nrows)
    path = existing_file(source)
    fmt, compression, default_sep = table_format(path)
    if path.stat().st_size == 0:
        raise InputError(f"{str(path)!r} is empty: no header line and no rows.")
    if fmt == "csv":
        return _read_text(path, compression, default_sep, sep, columns, nrows)
    return _read_arrow(path, fmt, columns, nrows)
