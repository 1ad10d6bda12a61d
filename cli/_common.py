"""Helpers every featkit command uses: consoles, progress, errors, atomic output.

Nothing here imports pandas, scikit-learn or featkit's maths at module level, so
that ``featkit --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from pathlib import Path

import typer

# Known errors: shown as one line, exit code 2, no traceback.
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
# Work shorter than this shows no progress display at all.
PROGRESS_DELAY_S = 1.0


class CommandError(Exception):
    """An error found by the command line itself (bad option value, unwritable path)."""


def console():
    """A rich console on stderr (progress, notes, errors)."""
    from rich.console import Console

    return Console(file=sys.stderr, stderr=True, highlight=False)


def stdout_console():
    """A rich console on stdout for results; wide when not a terminal so tables do not squeeze."""
    from rich.console import Console

    tty = sys.stdout.isatty()
    return Console(file=sys.stdout, highlight=False, width=None if tty else 200, soft_wrap=False)


def fail(msg: str):
    """Raise the error that :func:`handle_errors` turns into one line and exit code 2."""
    raise CommandError(msg)


def error_line(exc: BaseException) -> str:
    """The one line printed for a known error."""
    msg = str(exc).strip() or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None:
        msg = f"{exc.strerror or msg}: {exc.filename!r}"
    # One line: a message that spans several lines is joined.
    return "featkit: error: " + " ".join(msg.split())


def _known_errors():
    from featkit.exceptions import FeatkitError

    return (FeatkitError, CommandError, FileNotFoundError, PermissionError, IsADirectoryError)


def report_error(exc: BaseException) -> None:
    sys.stderr.write(error_line(exc) + "\n")
    sys.stderr.flush()


def handle_errors(func):
    """Run a command; known errors become one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _known_errors() as exc:
            report_error(exc)
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            sys.stderr.write("featkit: interrupted\n")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def split_list(value: str | None) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; None -> ``[]``."""
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def check_writable(path, suffixes, what="output") -> Path:
    """Fail early (before any work) when ``path`` cannot be written."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        fail(f"Cannot write {what} {str(path)!r}: use a file name ending in "
             f"{', '.join(sorted(suffixes))}.")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        fail(f"Cannot write {what} {str(path)!r}: the folder {str(parent)!r} does not exist.")
    if path.is_dir():
        fail(f"Cannot write {what} {str(path)!r}: it is a folder.")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        fail(f"Cannot write {what} {str(path)!r}: permission denied.")
    return path


def write_frame_atomic(frame, path) -> Path:
    """Write a DataFrame to .csv / .tsv / .json / .parquet atomically (temp file + rename)."""
    from featkit.io import atomic_path

    path = Path(path)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif suffix == ".json":
            frame.to_json(tmp, orient="records", indent=1)
        elif suffix in (".csv", ".tsv"):
            frame.to_csv(tmp, index=False, sep="\t" if suffix == ".tsv" else ",")
        else:
            fail(f"Cannot write {str(path)!r}: use .csv, .tsv, .json or .parquet.")
    return path


class _Reporter:
    """``progress(label, done, total)`` callback driving a rich progress bar."""

    def __init__(self, bar):
        self._bar = bar
        self._lock = threading.Lock()
        # Shown while the library itself loads, before the first step is reported.
        self._task = bar.add_task("starting", total=None)

    def __call__(self, label, done, total):
        with self._lock:
            self._bar.update(self._task, description=str(label), completed=done, total=total)


@contextlib.contextmanager
def progress(enabled: bool = True, *, delay: float = PROGRESS_DELAY_S, force_terminal=None,
             file=None):
    """A progress callback for :func:`featkit.rank_features`, shown on stderr.

    The bar appears only once the work has run for ``delay`` seconds, so quick
    runs print nothing; disabled (``--quiet``) or when stderr is not a terminal
    the callback does nothing. Yields a callable ``progress(label, done, total)``.
    """
    out = file if file is not None else sys.stderr
    interactive = force_terminal if force_terminal is not None else out.isatty()
    if not enabled or not interactive:
        yield lambda label, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, \
        TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(file=out, force_terminal=True), transient=True,
    )
    started = threading.Event()
    timer = threading.Timer(delay, lambda: (bar.start(), started.set()))
    timer.daemon = True
    timer.start()
    try:
        yield _Reporter(bar)
    finally:
        timer.cancel()
        timer.join()  # the display either started in full or never will
        if started.is_set():
            bar.stop()


def parse_value(text: str):
    """A method parameter from the command line: int, float, bool, None or text."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_params(items) -> dict:
    """``["random_forest.n_estimators=50", ...]`` -> ``{"random_forest": {"n_estimators": 50}}``."""
    out: dict = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or not method.strip() or not name.strip():
            fail(f"--param {item!r}: write it as METHOD.PARAMETER=VALUE, "
                 "e.g. random_forest.n_estimators=50.")
        out.setdefault(method.strip(), {})[name.strip()] = parse_value(value)
    return out
