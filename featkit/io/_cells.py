"""Text cells that are safe to open in a spreadsheet."""

from __future__ import annotations

__all__ = ["FORMULA_PREFIXES", "neutralise_formula", "neutralise_formula_cells"]

# A spreadsheet runs a cell starting with one of these as a formula (OWASP's
# CSV-injection guidance); a leading apostrophe makes it plain text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run.

    Anything that is not a ``str`` (numbers, missing values) is returned as it
    is, so a negative number stays a number.

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> neutralise_formula("-1.5"), neutralise_formula(-1.5), neutralise_formula("age")
    ("'-1.5", -1.5, 'age')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formula_cells(frame):
    """A copy of ``frame`` whose text cells and column names are neutralised.

    Only text columns (object / string dtype) are changed: numeric columns are
    written as numbers, whatever their sign.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if dtype == object or isinstance(dtype, pd.StringDtype):
            out[col] = out[col].map(neutralise_formula, na_action="ignore")
    out.columns = [neutralise_formula(c) for c in out.columns]
    return out
