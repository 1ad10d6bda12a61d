"""Read a large table in batches of rows, never holding the whole file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..exceptions import InputError, UnknownNameError, suggest_names
from ._parts import expand_paths, is_multipart
from ._read import (
    _check_names,
    batches_naming_ragged_line,
    existing_file,
    header_line_count,
    read_header,
    table_format,
)

__all__ = ["column_names", "iter_batches", "iter_tables"]

# pyarrow parses CSV in blocks of this many bytes; types are inferred on the first.
_CSV_BLOCK_BYTES = 1 << 20


def _check_columns(columns, names, path):
    if columns is None:
        return None
    columns = [str(c) for c in ([columns] if isinstance(columns, str) else columns)]
    for c in columns:
        if c not in names:
            raise UnknownNameError(f"{str(path)!r} has no column {c!r}.{suggest_names(c, names)}")
    return columns


def _rebatch(batches, batch_size: int, path, *, to_pandas: bool = True, require_rows: bool = True):
    """Cut a stream of Arrow record batches into pieces of ``batch_size`` rows:
    pandas DataFrames, or Arrow Tables when ``to_pandas`` is False. A stream
    with no row is an error unless ``require_rows`` is False."""
    import pyarrow as pa

    convert = (lambda table: table.to_pandas()) if to_pandas else (lambda table: table)
    pending, n_pending, n_total = [], 0, 0
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            pending.append(batch)
            n_pending += batch.num_rows
            while n_pending >= batch_size:
                table = pa.Table.from_batches(pending)
                n_total += batch_size
                yield convert(table.slice(0, batch_size))
                rest = table.slice(batch_size)
                pending, n_pending = rest.to_batches(), rest.num_rows
    except pa.ArrowInvalid as exc:
        message = str(exc).replace("\n", " ").strip()
        raise InputError(
            f"Cannot read {str(path)!r} past row {n_total + n_pending}: {message}. "
            "If a column changes type part-way (numbers, then text), fix the file or read it whole."
        ) from None
    if n_pending:
        n_total += n_pending
        yield convert(pa.Table.from_batches(pending))
    if n_total == 0 and require_rows:
        raise InputError(f"{str(path)!r} has a header but no rows of data.")


def _csv_batches(path: Path, compression, default_sep, columns, as_text=False):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names, sep, encoding, _ = read_header(path, compression, default_sep)
    columns = _check_columns(columns, names, path)
    # pyarrow parses UTF-8 natively but sends any other encoding through a slow
    # Python transcoder; the header line (with a BOM, if any) is skipped anyway.
    if encoding == "utf-8-sig":
        encoding = "utf8"

    def open_reader(column_types=None):
        # pyarrow decompresses gzip / bz2 itself; hand it the raw bytes otherwise.
        if compression == "zip":
            import zipfile

            archive = zipfile.ZipFile(path)
            source = archive.open([n for n in archive.namelist() if not n.endswith("/")][0])
        elif compression == "xz":
            import lzma

            source = lzma.open(path, "rb")
        else:
            source = str(path)
        return pcsv.open_csv(
            source,
            read_options=pcsv.ReadOptions(
                block_size=_CSV_BLOCK_BYTES, column_names=names, skip_rows=header_line_count(names),
                encoding=encoding,
            ),
            parse_options=pcsv.ParseOptions(delimiter=sep),
            convert_options=pcsv.ConvertOptions(
                include_columns=columns, column_types=column_types, strings_can_be_null=True
            ),
        )

    if as_text:
        # Every cell as text: the raw values are the categories.
        text = {name: pa.string() for name in (columns if columns is not None else names)}
        return batches_naming_ragged_line(
            lambda: open_reader(text), path, compression, encoding, sep, len(names)
        )

    def first_block():
        yield open_reader().schema

    schema = next(batches_naming_ragged_line(first_block, path, compression, encoding, sep, len(names)))
    # Types come from the first block only: an integer column may hold a decimal
    # further down, and a column empty so far may hold anything, so widen both.
    widened = {}
    for field in schema:
        if pa.types.is_integer(field.type):
            widened[field.name] = pa.float64()
        elif pa.types.is_null(field.type):
            widened[field.name] = pa.string()
    return batches_naming_ragged_line(
        lambda: open_reader(widened or None), path, compression, encoding, sep, len(names)
    )


def _open_parquet(path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path, pre_buffer=False)  # no read-ahead of every row group
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"Cannot read {str(path)!r} as Parquet: {exc}") from None


def _open_feather(path: Path):
    import pyarrow as pa

    try:
        return pa.ipc.open_file(pa.memory_map(str(path)))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"Cannot read {str(path)!r} as Feather: {exc}") from None


def _checked_file(path):
    path = existing_file(path)
    fmt, compression, default_sep = table_format(path)
    if path.stat().st_size == 0:
        raise InputError(f"{str(path)!r} is empty: no header line and no rows.")
    return path, fmt, compression, default_sep


def column_names(path) -> list[str]:
    """The column names of a CSV / TSV / Parquet / Feather file, from its header or schema.

    Nothing but the header record (or the schema) is read.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    names : list of str
        In file order; duplicate names raise an InputError.

    Examples
    --------
    >>> from featkit.io import column_names
    >>> from featkit.datasets import example_path
    >>> column_names(example_path("wine"))[:3]
    ['alcohol', 'malic_acid', 'ash']
    """
    if is_multipart(path):
        path = expand_paths(path)[0]
    path, fmt, compression, default_sep = _checked_file(path)
    if fmt == "csv":
        return read_header(path, compression, default_sep)[0]
    schema = _open_parquet(path).schema_arrow if fmt == "parquet" else _open_feather(path).schema
    return _check_names(schema.names, repr(str(path)))


def _record_batches(path, batch_size, columns, as_text=False):
    """Arrow record batches of a table file, or of its parts in order (checked now, read while iterating)."""
    if is_multipart(path):
        parts = expand_paths(path)
        names = [column_names(p) for p in parts]
        if any(n != names[0] for n in names):
            raise InputError(f"The parts at {str(path)!r} do not all have the same columns.")
        readers = [_file_batches(p, batch_size, columns, as_text) for p in parts]
        return (batch for reader in readers for batch in reader)
    return _file_batches(path, batch_size, columns, as_text)


def _file_batches(path, batch_size, columns, as_text=False):
    path, fmt, compression, default_sep = _checked_file(path)
    if fmt == "csv":
        return _csv_batches(path, compression, default_sep, columns, as_text)
    if fmt == "parquet":
        parquet = _open_parquet(path)
        columns = _check_columns(columns, _check_names(parquet.schema_arrow.names, repr(str(path))), path)
        return (
            batch.select(columns) if columns is not None else batch
            for batch in parquet.iter_batches(batch_size=batch_size, columns=columns)
        )
    ipc = _open_feather(path)
    columns = _check_columns(columns, _check_names(ipc.schema.names, repr(str(path))), path)

    def feather_batches():
        for i in range(ipc.num_record_batches):
            batch = ipc.get_batch(i)
            yield batch.select(columns) if columns is not None else batch

    return feather_batches()


def _check_batch_size(batch_size):
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}.")


def iter_tables(path, *, batch_size=16384, columns=None, as_text=False) -> Iterator:
    """Yield a table file as pyarrow Tables of ``batch_size`` rows, streaming.

    As :func:`iter_batches`, without the conversion to pandas. With
    ``as_text`` every CSV / TSV cell is read as text (a raw value, as a
    category is read; empty and "NA"-like cells are missing); Parquet and
    Feather columns keep their stored types.

    Parameters
    ----------
    path : str or Path
    batch_size : int, default=16384
        Rows per table (the last one may be shorter).
    columns : list of str, optional
        Read only these columns, in this order.
    as_text : bool, default=False
        Read CSV / TSV cells as text instead of inferring types.

    Yields
    ------
    table : pyarrow.Table

    Examples
    --------
    >>> from featkit.io import iter_tables
    >>> from featkit.datasets import example_path
    >>> tables = list(iter_tables(example_path("wine"), batch_size=100, columns=["alcohol"], as_text=True))
    >>> [t.num_rows for t in tables], str(tables[0].schema.field("alcohol").type)
    ([100, 78], 'string')
    """
    _check_batch_size(batch_size)
    return _rebatch(_record_batches(path, batch_size, columns, as_text), batch_size, path, to_pandas=False)


def iter_batches(path, *, batch_size=16384, columns=None) -> Iterator[pd.DataFrame]:
    """Yield a table file as pandas DataFrames of ``batch_size`` rows, streaming.

    The file is never read whole: CSV / TSV (also .gz, .bz2) through
    ``pyarrow.csv.open_csv``, Parquet row group by row group
    (``ParquetFile.iter_batches``), Feather / Arrow IPC batch by batch from a
    memory map. Path, format and column names are checked at the call; errors
    further into the file are raised while iterating.

    In CSV files, integer columns are read as float64 and the types are fixed
    from the first MiB, so every batch has the same dtypes.

    Parameters
    ----------
    path : str or Path
    batch_size : int, default=16384
        Rows per batch (the last batch may be shorter).
    columns : list of str, optional
        Read only these columns.

    Yields
    ------
    frame : pandas.DataFrame

    Examples
    --------
    >>> from featkit.io import iter_batches
    >>> from featkit.datasets import example_path
    >>> sizes = [len(b) for b in iter_batches(example_path("wine"), batch_size=50)]
    >>> sizes
    [50, 50, 50, 28]
    """
    _check_batch_size(batch_size)
    return _rebatch(_record_batches(path, batch_size, columns), batch_size, path)
