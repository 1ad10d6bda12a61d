"""One reading of sizes such as ``"4GB"`` or ``"512MiB"``, for the library and the command line.

Standard library only: the command line parses ``--stream-threshold`` before
it loads anything heavy.
"""

from __future__ import annotations

import math
import re

__all__ = ["parse_duration", "parse_size"]

# SI units are powers of 1000 and IEC units powers of 1024, as disk and memory
# tools print them; a bare letter (``"500M"``) is binary, as in ``ulimit``,
# ``dd`` and ``sort -S``.
_UNITS = {
    "": 1, "B": 1,
    "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
    "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4,
    "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4,
}
_SIZE = re.compile(r"([0-9]*\.?[0-9]+(?:E[+-]?[0-9]+)?)([KMGT]I?B?|B)?")


def parse_size(size) -> int:
    """Bytes of ``size``: a number of bytes, or a string such as ``"1.5GB"`` / ``"512MiB"``.

    ``KB``/``MB``/``GB``/``TB`` are powers of 1000 (SI), ``KiB``/``MiB``/``GiB``/``TiB``
    powers of 1024, and a bare ``K``/``M``/``G``/``T`` powers of 1024. Case and
    spaces are ignored.

    Parameters
    ----------
    size : int, float or str

    Returns
    -------
    int
        Bytes, rounded down.

    Raises
    ------
    ValueError
        For text that is not a size, and for a negative or non-finite size.

    Examples
    --------
    >>> parse_size("1GB"), parse_size("1GiB"), parse_size("500M"), parse_size(" 2 kb ")
    (1000000000, 1073741824, 524288000, 2000)
    >>> parse_size(4096)
    4096
    """
    if isinstance(size, bool):
        raise ValueError(f"{size!r} is not a size.")
    if isinstance(size, (int, float)) or hasattr(size, "__index__") or hasattr(size, "__float__"):
        value, mult = float(size), 1
    else:
        match = _SIZE.fullmatch(str(size).strip().upper().replace(" ", ""))
        if match is None:
            raise ValueError(f"{size!r} is not a size such as '4GB', '512MiB' or a number of bytes.")
        value, mult = float(match.group(1)), _UNITS[match.group(2) or ""]
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{size!r} is not a size: it must be a finite number >= 0.")
    return int(value * mult)


_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(MS|S|SEC|SECS|SECONDS?|M|MIN|MINS|MINUTES?|H|HR|HOURS?)?")
_DURATION_UNITS = {"MS": 0.001, "S": 1, "M": 60, "H": 3600}


def parse_duration(duration) -> float:
    """Seconds of ``duration``: a number of seconds, or a string such as ``"90s"``, ``"2m"``, ``"1h"``.

    A bare number is seconds; ``s``/``sec``, ``m``/``min``, ``h``/``hr`` (and
    their long forms) and ``ms`` are understood, case and spaces ignored.

    Parameters
    ----------
    duration : int, float or str

    Returns
    -------
    float
        Seconds, greater than 0.

    Raises
    ------
    ValueError
        For text that is not a duration, and for a duration that is not > 0.

    Examples
    --------
    >>> parse_duration("90"), parse_duration("90s"), parse_duration("2m"), parse_duration("1h")
    (90.0, 90.0, 120.0, 3600.0)
    >>> parse_duration(" 1.5 min ")
    90.0
    """
    if isinstance(duration, bool):
        raise ValueError(f"{duration!r} is not a duration.")
    if isinstance(duration, (int, float)):
        value = float(duration)
    else:
        match = _DURATION.fullmatch(str(duration).strip().upper().replace(" ", ""))
        if match is None:
            raise ValueError(f"{duration!r} is not a duration such as '90s', '2m', '1h' or a "
                             "number of seconds.")
        unit = match.group(2) or "S"
        unit = "MS" if unit == "MS" else unit[0]
        value = float(match.group(1)) * _DURATION_UNITS[unit]
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{duration!r} is not a duration: it must be a finite number of seconds > 0.")
    return value
