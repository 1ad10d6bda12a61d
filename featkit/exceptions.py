"""Errors that featkit raises on purpose.

Every error a user can cause with their data or their parameters derives from
:class:`FeatkitError`, so that the command line can turn it into one line on
stderr (exit code 2) instead of a traceback. They also derive from the builtin
class that Python code would expect (``ValueError``, ``ImportError``,
``MemoryError``), so ``except ValueError`` keeps working in user code and in
scikit-learn's estimator checks.
"""

from __future__ import annotations

import difflib
import re

__all__ = [
    "FeatkitError",
    "InputError",
    "UnknownNameError",
    "MissingExtraError",
    "MemoryBudgetError",
    "suggest_names",
    "plain_values",
]

# numpy >= 2 scalar reprs such as np.int64(1) or np.str_('a') (one level of nesting).
_NUMPY_REPR = re.compile(r"\bnp\.[a-z]+\d*_?\(((?:[^()]|\([^()]*\))*)\)")


class FeatkitError(Exception):
    """Base class of featkit's own, user-facing errors."""


class InputError(FeatkitError, ValueError):
    """The data (file, table, column, target) cannot be used as given."""


class UnknownNameError(InputError, KeyError):
    """A column or method name that does not exist; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0]) if self.args else ""


class MissingExtraError(FeatkitError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class MemoryBudgetError(FeatkitError, MemoryError):
    """A matrix would not fit in the memory budget; the message says what to do instead."""


def suggest_names(name: str, choices, n: int = 3) -> str:
    """Return ``" Did you mean 'a', 'b'?"`` for the names closest to ``name``, or ``""``."""
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(name), choices, n=n, cutoff=0.5)
    if not close:
        lowered = {c.lower(): c for c in choices}
        if str(name).lower() in lowered:
            close = [lowered[str(name).lower()]]
    if not close:
        return ""
    return " Did you mean " + ", ".join(repr(c) for c in close) + "?"


def missing_extra(module: str, extra: str, what: str) -> MissingExtraError:
    """Build the error for a missing optional dependency."""
    return MissingExtraError(
        f"{what} needs the optional dependency '{module}', which is not installed. "
        f'Install it with: pip install "featkit[{extra}]"'
    )


def plain_values(text) -> str:
    """``text`` with numpy scalar reprs replaced by their values, for messages to users.

    Examples
    --------
    >>> plain_values("only one class: np.int64(1); labels np.str_('a')")
    "only one class: 1; labels 'a'"
    """
    return _NUMPY_REPR.sub(r"\1", str(text))
