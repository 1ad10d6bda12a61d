"""Progress reporting: the one protocol between featkit's library code and whoever shows it.

A *progress reporter* is any callable ``progress(label, done, total)``:

``label`` : str
    What is running now, in words a person reads ("reading data", "f_test",
    "outrank: 120,000 rows").
``done`` : int or float
    Units of work finished so far (steps, rows, folds); a float where a step
    is partly done.
``total`` : int, float or None
    Units in all, or None when unknown (a file streamed to its end).

The library never prints and never writes to stderr: a function that runs
long takes a ``progress`` argument (None means nobody listens), reports
through it, and returns nothing through it. The command line passes a
reporter that draws a live line per method; a notebook or a test passes its
own. A reporter returns quickly and raises nothing; it is called from the
thread that called the library function (the ranking engine reports a
running method from there every second while the method fits elsewhere).

The ranking engine reports a method as ``(name, step, n_steps)`` when it
starts, ``("<name>: <rows> x <features>, <elapsed>, ETA ...", ...)`` while it
runs (see :func:`eta_text`) and ``("<name>: done", step + 1, n_steps)`` when
it ends; several methods may be running at once.

Helpers:

- :func:`null_progress` discards every report; :func:`as_reporter` turns
  ``None`` into it, so callers never test for None.
- :func:`sub_steps` hands one step of a larger task to the code that runs
  it: the inner code reports its own units ("120,000 rows", fold 3 of 5)
  and the outer reporter sees ``"<step>: <inner label>"`` with ``done``
  advanced by the inner fraction, when the inner total is known.
- :func:`eta_text` words the time left of a step from its estimate.
- :class:`Throttle` passes on at most one report per interval, for loops
  that would report thousands of times a second.

Examples
--------
>>> from featkit.progress import sub_steps
>>> seen = []
>>> def show(label, done, total):
...     seen.append((label, done, total))
>>> report = sub_steps(show, "outrank", 1, 4)  # step 1 (counted from 0) of 4
>>> report("120,000 rows", 120_000, None)
>>> report("fold 2 of 4", 2, 4)
>>> seen
[('outrank: 120,000 rows', 1, 4), ('outrank: fold 2 of 4', 1.5, 4)]
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["ProgressReporter", "Throttle", "as_reporter", "eta_text", "null_progress", "sub_steps"]

ProgressReporter = Callable[[str, "int | float", "int | float | None"], None]


def null_progress(label: str, done, total) -> None:
    """A reporter that discards every report.

    Parameters
    ----------
    label : str
    done : int or float
    total : int, float or None
    """


def as_reporter(progress) -> ProgressReporter:
    """``progress`` as a reporter: None becomes :func:`null_progress`.

    Parameters
    ----------
    progress : callable or None

    Returns
    -------
    reporter : callable ``(label, done, total) -> None``

    Examples
    --------
    >>> from featkit.progress import as_reporter, null_progress
    >>> as_reporter(None) is null_progress
    True
    """
    if progress is None:
        return null_progress
    if not callable(progress):
        raise TypeError(f"progress must be a callable (label, done, total) or None, got {progress!r}.")
    return progress


def _duration(seconds: float) -> str:
    seconds = max(float(seconds), 0.0)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def eta_text(elapsed: float, estimate: float) -> str:
    """The time left of a step estimated at ``estimate`` seconds, ``elapsed`` seconds in.

    Past its estimate a step's end cannot be told; the text says so rather
    than counting below zero.

    Parameters
    ----------
    elapsed, estimate : float
        Seconds.

    Returns
    -------
    str

    Examples
    --------
    >>> from featkit.progress import eta_text
    >>> eta_text(10, 40), eta_text(0, 300), eta_text(50, 40)
    ('ETA 30 s', 'ETA 5 min', 'over its estimate of 40 s')
    """
    if elapsed > estimate:
        return f"over its estimate of {_duration(estimate)}"
    return f"ETA {_duration(estimate - elapsed)}"


def sub_steps(progress, label: str, step, n_steps) -> ProgressReporter:
    """A reporter for the work inside one step of a larger task.

    An inner report ``(inner_label, done, total)`` reaches ``progress`` as
    ``(f"{label}: {inner_label}", step + done / total, n_steps)``; with an
    unknown inner ``total`` (or a total of 0) the outer count stays at ``step``.

    Parameters
    ----------
    progress : callable or None
        The outer reporter.
    label : str
        The step's label (e.g. the method's name).
    step : int or float
        Steps finished before this one.
    n_steps : int, float or None
        Steps in all.

    Returns
    -------
    reporter : callable ``(label, done, total) -> None``
    """
    outer = as_reporter(progress)
    if outer is null_progress:
        return null_progress

    def report(inner_label: str, done, total) -> None:
        fraction = min(max(done / total, 0.0), 1.0) if total else 0.0
        outer(f"{label}: {inner_label}", step + fraction if fraction else step, n_steps)

    return report


class Throttle:
    """Pass reports on to ``progress`` at most once per ``interval`` seconds.

    The first report always passes; the ones that come sooner than
    ``interval`` after the last one passed are held, and :meth:`flush` passes
    the latest held one (call it when the loop ends, so the final count shows).

    Parameters
    ----------
    progress : callable or None
        The reporter to pass reports to.
    interval : float, default=0.1
        Seconds between two reports passed on.
    clock : callable, default=time.monotonic
        Returns the time in seconds (a test passes a fake clock).

    Examples
    --------
    >>> from featkit.progress import Throttle
    >>> seen, now = [], [0.0]
    >>> report = Throttle(lambda *a: seen.append(a), interval=1.0, clock=lambda: now[0])
    >>> for rows in (100, 200, 300):
    ...     report(f"{rows} rows", rows, None)
    >>> now[0] = 1.5
    >>> report("400 rows", 400, None)
    >>> report("500 rows", 500, None)
    >>> report.flush()
    >>> seen
    [('100 rows', 100, None), ('400 rows', 400, None), ('500 rows', 500, None)]
    """

    def __init__(self, progress, interval: float = 0.1, clock=time.monotonic):
        self._progress = as_reporter(progress)
        self._interval = float(interval)
        self._clock = clock
        self._last = None
        self._held = None

    def __call__(self, label: str, done, total) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            self._held = (label, done, total)
            return
        self._last, self._held = now, None
        self._progress(label, done, total)

    def flush(self) -> None:
        """Pass on the latest report held back, if any."""
        if self._held is not None:
            held, self._held = self._held, None
            self._last = self._clock()
            self._progress(*held)
