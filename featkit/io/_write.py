"""Writing a table by its file name's suffix: the one dispatch the library and the CLI share."""

from __future__ import annotations

from pathlib import Path

from ..exceptions import InputError
from ._atomic import commit_group
from ._cells import neutralise_formula_cells

__all__ = ["FRAME_SUFFIXES", "frame_suffix", "write_frame"]

FRAME_SUFFIXES = (".csv", ".tsv", ".json", ".parquet")


def frame_suffix(path) -> str:
    """The lower-case suffix of ``path`` when a table can be written to it.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
        One of :data:`FRAME_SUFFIXES`.

    Raises
    ------
    InputError
        For any other suffix.

    Examples
    --------
    >>> frame_suffix("out/Ranking.CSV")
    '.csv'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FRAME_SUFFIXES:
        raise InputError(f"Cannot write {path.name!r}: use a .csv, .tsv, .json or .parquet file name.")
    return suffix


def write_frame(frame, path, *, group=None, raw_names=False) -> Path:
    """Write a DataFrame to a .csv / .tsv / .json / .parquet file, atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or Path
        The suffix chooses the format (JSON: a list of records).
    group : commit group or None, default=None
        A :func:`featkit.io.commit_group`: the file is renamed into place
        together with the group's other outputs. None renames it as soon as
        it is written.
    raw_names : bool, default=False
        In CSV / TSV, text cells that a spreadsheet would run as a formula get
        a leading ``'`` (:func:`featkit.io.neutralise_formula_cells`); True
        writes them as they are.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        For an unknown suffix.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_frame(pd.DataFrame({"name": ["=1+1"]}), folder / "t.csv").read_text()
    "name\\n'=1+1\\n"
    """
    path = Path(path)
    suffix = frame_suffix(path)
    if group is None:
        with commit_group() as own:
            _write(frame, own.temp(path), suffix, raw_names)
    else:
        _write(frame, group.temp(path), suffix, raw_names)
    return path


def _write(frame, tmp, suffix, raw_names):
    if suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    elif suffix == ".json":
        frame.to_json(tmp, orient="records", indent=1)
    else:
        if not raw_names:
            frame = neutralise_formula_cells(frame)
        frame.to_csv(tmp, index=False, sep="\t" if suffix == ".tsv" else ",")
