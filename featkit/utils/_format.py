"""Numbers for people: one column of scores printed so that neighbours differ.

A fixed 4 significant digits prints Inf-FS scores as "1.013" on every row;
the console table and the report's tables choose the digits per column
instead, from the rows they show.
"""

from __future__ import annotations

import math

__all__ = ["column_digits", "format_number"]

MIN_DIGITS = 4
MAX_DIGITS = 8


def format_number(value, digits: int = MIN_DIGITS, missing: str = "-") -> str:
    """A short human number with ``digits`` significant digits.

    Whole numbers below 1e9 print as integers, values in [1e-3, 1e6) in plain
    notation, others in scientific notation; None, NaN and infinities print
    as ``missing``.

    Examples
    --------
    >>> format_number(1.0131234), format_number(1.0131234, 7), format_number(3.0)
    ('1.013', '1.013123', '3')
    >>> format_number(123456789.5), format_number(float("nan"))
    ('1.235e+08', '-')
    """
    if value is None:
        return missing
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return missing
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e9:
        return f"{int(v):d}"
    if 1e-3 <= abs(v) < 1e6:
        return f"{v:.{digits}g}"
    return f"{v:.{max(digits - 1, 1)}e}"


def column_digits(values, min_digits: int = MIN_DIGITS, max_digits: int = MAX_DIGITS) -> int:
    """The fewest significant digits (``min_digits`` .. ``max_digits``) that tell neighbours apart.

    Parameters
    ----------
    values : sequence of float
        The values of one column that are shown (non-numbers are ignored).
    min_digits, max_digits : int
        Bounds; values that still print alike at ``max_digits`` are left so.

    Returns
    -------
    int
        Digits such that any two distinct finite values print differently
        (checked on sorted neighbours, whatever the row order).

    Examples
    --------
    >>> column_digits([1.0131, 1.0132, 1.0134])
    5
    >>> column_digits([3.0, 2.5, 1.0])
    4
    """
    shown = set()
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            shown.add(f)
    ordered = sorted(shown)
    pairs = list(zip(ordered, ordered[1:]))
    for digits in range(min_digits, max_digits + 1):
        if all(format_number(a, digits) != format_number(b, digits) for a, b in pairs):
            return digits
    return max_digits
