"""A table given as a folder or a glob of Parquet / CSV parts."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from ..exceptions import InputError

__all__ = ["PART_SUFFIXES", "existing_table", "expand_paths", "is_multipart", "table_bytes"]

PART_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".csv.gz", ".tsv.gz")


def is_multipart(source) -> bool:
    """True when ``source`` names a folder, or a glob that is not itself an existing file."""
    if not isinstance(source, (str, Path)):
        return False
    path = os.path.expanduser(os.fspath(source))
    return os.path.isdir(path) or (not os.path.exists(path) and any(c in path for c in "*?["))

def expand_paths(source) -> list[Path]:
    """The files of a table: ``[source]`` for a file, else the sorted parts of a folder or glob.

    Parameters
    ----------
    source : str or Path
        A file, a folder (its ``.parquet`` / ``.pq`` / ``.csv`` / ``.tsv`` files,
        not recursing) or a glob such as ``parts/*.parquet``.

    Returns
    -------
    list of Path
        In name order: the row order of the whole table.

    Examples
    --------
    >>> expand_paths("table.csv")
    [PosixPath('table.csv')]
    """
    if not is_multipart(source):
        return [Path(source)]
    path = os.path.expanduser(os.fspath(source))
    if os.path.isdir(path):
        files = [f for f in glob.glob(os.path.join(glob.escape(path), "*")) if f.lower().endswith(PART_SUFFIXES)]
    else:
        files = glob.glob(path)
    files = sorted(f for f in files if os.path.isfile(f))
    if not files and os.path.isdir(path):
        raise InputError(f"{path!r} is a folder with no Parquet or CSV parts; give a table file or a "
                         "folder of parts.")
    if not files:
        raise InputError(f"No Parquet or CSV parts found at {path!r}.")
    kinds = {Path(f).suffix.lower() if not f.lower().endswith(".gz") else ".gz" for f in files}
    if len(kinds) > 1:
        raise InputError(f"Mixed kinds of parts at {path!r}: {', '.join(sorted(kinds))}; use one.")
    return [Path(f) for f in files]


def existing_table(source):
    """``source`` checked: an existing file's path, or a folder / glob with parts (returned as given)."""
    from ._read import existing_file

    if is_multipart(source):
        expand_paths(source)
        return source
    return existing_file(source)


def table_bytes(source) -> int:
    """Bytes on disk of a table file or of all its parts."""
    return sum(p.stat().st_size for p in (expand_paths(source) if is_multipart(source) else [existing_table(source)]))
