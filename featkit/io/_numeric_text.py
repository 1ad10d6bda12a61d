"""Numbers that a reader left as text: decimal commas, thousands separators, stray cells.

A CSV written by a spreadsheet in a decimal-comma locale ("1,5" in a
semicolon-separated file), a column formatted with thousands separators
("123,456.00"), or a float column with one stray cell ("oops", a NUL byte)
reaches pandas as text. Such a column is a column of numbers, so it is parsed
here rather than typed as categories (and never as ID-like).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["NumericText", "parse_numeric_text", "MAX_STRAY_FRACTION", "MIN_CELLS_FOR_STRAY"]

# A column is numeric with a few stray cells read as missing when at most this
# fraction of its non-missing cells are not numbers ...
MAX_STRAY_FRACTION = 0.05
# ... and at least one stray cell is forgiven once the column has this many
# values (5% of 10-19 values rounds down to none, yet one typo among them is
# still a typo rather than a category).
MIN_CELLS_FOR_STRAY = 10
# Decided on a probe first, so that a long column of real text is rejected
# without a regex pass over every row.
_PROBE = 2000

# "1,234,567.89" / "1234.5": ',' groups thousands, '.' is the decimal point.
# A leading group of 0 ("0,123") cannot be a thousands group, which is what
# tells most decimal-comma columns apart.
_THOUSANDS_COMMA = r"[+-]?(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?"
# "1.234.567,89" / "1234,5": '.' groups thousands, ',' is the decimal point.
_DECIMAL_COMMA = r"[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d*)?(?:[eE][+-]?\d+)?"


@dataclass
class NumericText:
    """A text column read as numbers.

    Attributes
    ----------
    values : ndarray of float64
        One value per row; NaN where the cell was missing or not a number.
    style : {"plain", "thousands_comma", "decimal_comma"}
        How the numbers were written.
    n_stray : int
        Non-missing cells that were not numbers (now missing).
    stray_examples : list of str
        Up to three of those cells, as written.
    """

    values: np.ndarray
    style: str
    n_stray: int
    stray_examples: list

    @property
    def note(self) -> str:
        """One phrase for the column's note, e.g. "numbers stored as text"."""
        parts = [{
            "plain": "numbers stored as text",
            "thousands_comma": "numbers with ',' as thousands separator: parsed",
            "decimal_comma": "numbers with a decimal comma: parsed",
        }[self.style]]
        if self.n_stray:
            cells = "cell" if self.n_stray == 1 else "cells"
            shown = ", ".join(repr(v) for v in self.stray_examples)
            parts.append(f"{self.n_stray} non-numeric {cells} ({shown}) read as missing")
        return "; ".join(parts)


def _allowed_strays(n_present: int) -> int:
    allowed = int(MAX_STRAY_FRACTION * n_present)
    return max(allowed, 1) if n_present >= MIN_CELLS_FOR_STRAY else allowed


def _parse(text: pd.Series, style: str) -> pd.Series:
    if style == "thousands_comma":
        text = text.str.replace(",", "", regex=False)
    elif style == "decimal_comma":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def _matches(text: pd.Series, style: str) -> int:
    pattern = _THOUSANDS_COMMA if style == "thousands_comma" else _DECIMAL_COMMA
    return int(text.str.fullmatch(pattern).sum())


def _choose_style(text: pd.Series, separator: str | None) -> str | None:
    """The writing of numbers that fits the most cells of ``text`` (or None)."""
    allowed = _allowed_strays(len(text))
    if int(pd.to_numeric(text, errors="coerce").notna().sum()) >= len(text) - allowed:
        return "plain"
    thousands = _matches(text, "thousands_comma")
    decimal = _matches(text, "decimal_comma")
    if max(thousands, decimal) < len(text) - allowed:
        return None
    if thousands == decimal:
        # Every cell reads both ways ("1,234"): a semicolon-separated file is the
        # convention of decimal-comma locales; anywhere else ',' groups thousands.
        return "decimal_comma" if separator == ";" else "thousands_comma"
    return "thousands_comma" if thousands > decimal else "decimal_comma"


def parse_numeric_text(series: pd.Series, separator: str | None = None) -> NumericText | None:
    """Read a text column as numbers when (nearly) every cell is one.

    Parameters
    ----------
    series : pandas.Series
        Text (object or string dtype). Other dtypes return None.
    separator : str, optional
        The field separator of the file the column came from; only used when
        every cell could be read either way ("1,234" is 1234 or 1.234): a
        semicolon file means a decimal comma, anything else a thousands comma.

    Returns
    -------
    NumericText or None
        None when more than ``MAX_STRAY_FRACTION`` of the non-missing cells
        (and more than one cell in a column of 10-19 values) are not numbers
        in one consistent writing, or when no cell is a number.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_numeric_text(pd.Series(["1,5", "2,25", None])).values.tolist()
    [1.5, 2.25, nan]
    >>> parse_numeric_text(pd.Series(["123,456.00", "7.5"])).values.tolist()
    [123456.0, 7.5]
    >>> parse_numeric_text(pd.Series(["red", "green"])) is None
    True
    """
    if not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)):
        return None
    present = series.notna().to_numpy()
    if not present.any():
        return None
    cells = series[present]
    probe = cells.iloc[:_PROBE]
    # Objects that are all numbers, or hold dates, are typed elsewhere; numbers
    # mixed with a stray string (a frame built by hand) are read here.
    if not any(isinstance(v, str) for v in probe) or not all(
        isinstance(v, (str, int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
        for v in probe
    ):
        return None
    text = cells.astype(str).str.strip()
    probe_style = _choose_style(text.iloc[:_PROBE], separator)
    if probe_style is None:
        return None
    style = _choose_style(text, separator) if len(text) > _PROBE else probe_style
    if style is None:
        return None
    parsed = _parse(text, style)
    bad = parsed.isna().to_numpy()
    if bad.all():
        return None
    values = np.full(len(series), np.nan)
    values[present] = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    examples = [str(v) for v in pd.unique(cells[bad].astype(str))[:3]]
    return NumericText(values=values, style=style, n_stray=int(bad.sum()), stray_examples=examples)
