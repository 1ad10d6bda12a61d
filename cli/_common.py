"""Helpers every featkit command uses: consoles, progress, errors, atomic output.

Nothing here imports pandas, scikit-learn or featkit's maths at module level, so
that ``featkit --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import threading
import unicodedata
import warnings
from pathlib import Path

import typer

# Known errors: shown as one line, exit code 2, no traceback.
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a killed job
SEED_MAX = 2**32 - 1  # numpy's RandomState takes seeds in 0 .. 2**32 - 1
# Work shorter than this shows no progress display at all.
PROGRESS_DELAY_S = 1.0


class CommandError(Exception):
    """An error found by the command line itself (bad option value, unwritable path)."""


def console():
    """A rich console on stderr (progress, notes, errors)."""
    from rich.console import Console

    return Console(file=sys.stderr, stderr=True, highlight=False)


def stdout_console(width: int | None = None):
    """A rich console on stdout for results, ``width`` characters wide.

    By default: the terminal's width; when stdout is not a terminal, ``COLUMNS``
    when set, else 200 (a pipe or file has no width, and a wide table in a
    file beats one squeezed to 80).
    """
    from rich.console import Console

    if width is None and not sys.stdout.isatty():
        columns = os.environ.get("COLUMNS", "").strip()
        width = int(columns) if columns.isdigit() and int(columns) > 0 else 200
    return Console(file=sys.stdout, highlight=False, width=width, soft_wrap=False)


def fail(msg: str):
    """Raise the error that :func:`handle_errors` turns into one line and exit code 2."""
    raise CommandError(msg)


# An escape sequence (CSI ``ESC [ ... final``, OSC ``ESC ] ... BEL/ST``, or a
# two-character one) is dropped whole, so no "[31m" residue is left behind.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
                      r"|\x9b[0-?]*[ -/]*[@-~]")


def clean_text(text, *, keep_newlines=False) -> str:
    """``text`` without terminal control characters (escape sequences, C0/C1, bidi controls).

    Data (column names, category values) reaches the terminal through tables,
    notes and errors; a name holding an escape sequence must not recolour,
    retitle or clear the user's terminal. Tabs and newlines become spaces
    unless ``keep_newlines``.

    Examples
    --------
    >>> clean_text("\\x1b[31mred\\x1b[0m name\\x07")
    'red name'
    """
    text = _ESCAPES.sub("", str(text))
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\t\r\n":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d":
            continue  # C0/C1 controls and format controls (bidi overrides); keep ZWJ for emoji
        else:
            out.append(ch)
    return "".join(out)


def plain_message(text) -> str:
    """A message for the user: numpy scalar reprs shown as their value, controls removed.

    Examples
    --------
    >>> plain_message("only one class: np.int64(1) and np.str_('a')")
    "only one class: 1 and 'a'"
    """
    from featkit.exceptions import plain_values

    return clean_text(plain_values(text))


def error_line(exc: BaseException) -> str:
    """The one line printed for a known error."""
    msg = str(exc).strip() or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None:
        msg = f"{exc.strerror or msg}: {exc.filename!r}"
    elif isinstance(exc, OSError) and exc.strerror:
        msg = exc.strerror
    # One line: a message that spans several lines is joined.
    return "featkit: error: " + " ".join(plain_message(msg).split())


def _known_errors():
    from featkit.exceptions import FeatkitError

    known = (FeatkitError, CommandError, OSError)
    # Any OSError from the system (no space left, read-only file system, ...)
    # is a condition the user fixes, not a bug: one line, not a traceback.
    # scikit-learn's InvalidParameterError is a bad value the user gave to a
    # scikit-learn estimator; when scikit-learn was never imported none can
    # have been raised, and importing it here would slow every error down.
    validation = sys.modules.get("sklearn.utils._param_validation")
    if validation is not None:
        known += (validation.InvalidParameterError,)
    return known


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


def check_seed(seed: int, option: str = "--seed") -> int:
    """Fail unless ``seed`` is a valid random seed (0 .. 2**32 - 1)."""
    if not 0 <= seed <= SEED_MAX:
        fail(f"{option} must be between 0 and {SEED_MAX} (2**32 - 1), got {seed}.")
    return seed


def check_not_input(output, inputs, option: str) -> None:
    """Fail before any work when ``output`` is one of the ``inputs`` (links resolved)."""
    from featkit.io import same_file

    for source in inputs:
        if source is not None and same_file(output, source):
            fail(f"{option} {str(output)!r} is the input file {str(source)!r}; "
                 "featkit never writes over its input: choose another name.")


@contextlib.contextmanager
def quiet_warnings(quiet: bool):
    """With ``quiet``, no library warning reaches stderr (worker processes included)."""
    if not quiet:
        yield
        return
    import logging

    saved_env = os.environ.get("PYTHONWARNINGS")
    # joblib / loky workers start fresh interpreters: they read the environment.
    os.environ["PYTHONWARNINGS"] = "ignore"
    previous_disable = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous_disable)
        if saved_env is None:
            os.environ.pop("PYTHONWARNINGS", None)
        else:
            os.environ["PYTHONWARNINGS"] = saved_env


def _silence_stdout() -> None:
    # Data that could not be written stays in stdout's buffer; pointing the file
    # descriptor at /dev/null lets the exit-time flush succeed instead of
    # printing an "Exception ignored" traceback.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def print_results(printer, *args) -> None:
    """Call ``printer(*args)`` and flush stdout; a failed write is one clear error.

    A reader that closes the pipe early (``| head``) is not an error; a full
    disk or another failure is, and it happens before any output file commits.
    """
    try:
        printer(*args)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:
        _silence_stdout()
        fail(f"Cannot write to standard output: {exc.strerror or exc}.")


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


class _Reporter:
    """``progress(label, done, total)`` callback driving a rich progress display.

    One line shows the run's step (``done`` of ``total``); a label
    ``"<method>: <detail>"`` opens or updates a line of that method's own
    (rows x features, elapsed, ETA: several may run at once), and
    ``"<method>: done"`` closes it. :meth:`print` writes a message above the
    display.
    """

    def __init__(self, bar, started=None, out=None):
        self._bar = bar
        self._started = started
        self._out = out
        self._lock = threading.Lock()
        self._lines = {}
        # Shown while the library itself loads, before the first step is reported.
        self._task = bar.add_task("starting", total=None)

    def __call__(self, label, done, total):
        label = clean_text(label)
        with self._lock:
            key, sep, detail = label.partition(": ")
            if not sep:
                self._bar.update(self._task, description=label, completed=done, total=total)
            elif detail == "done":
                if key in self._lines:
                    self._bar.remove_task(self._lines.pop(key))
                self._bar.update(self._task, completed=done, total=total)
            elif key in self._lines:
                self._bar.update(self._lines[key], description=label)
            else:
                self._lines[key] = self._bar.add_task(label, total=None)

    def running(self) -> list[str]:
        """The descriptions of the method lines now shown (for tests and logs)."""
        with self._lock:
            by_id = {t.id: t for t in self._bar.tasks}
            return [by_id[task_id].description for task_id in self._lines.values()]

    def print(self, text: str) -> None:
        """Write ``text`` on stderr, above the live display when it is shown."""
        if self._started is not None and self._started.is_set():
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self._out or sys.stderr, flush=True)


class _Silent:
    """The callback of a disabled or non-terminal display: messages only, or nothing."""

    def __init__(self, out=None):
        self._out = out

    def __call__(self, label, done, total):
        return None

    def print(self, text: str) -> None:
        if self._out is not None:
            print(text, file=self._out, flush=True)


@contextlib.contextmanager
def progress(enabled: bool = True, *, delay: float = PROGRESS_DELAY_S, force_terminal=None,
             file=None):
    """A progress callback for :func:`featkit.rank_features`, shown on stderr.

    The display appears only once the work has run for ``delay`` seconds, so
    quick runs print nothing; disabled (``--quiet``) or when stderr is not a
    terminal the callback does nothing. Yields a callable ``progress(label,
    done, total)`` with a ``print(text)`` method for messages (shown unless
    disabled). The display redraws several times a second, and the engine
    reports a running method every second, so its line and ETA are never
    older than that.
    """
    out = file if file is not None else sys.stderr
    interactive = force_terminal if force_terminal is not None else out.isatty()
    if not enabled or not interactive:
        yield _Silent(out if enabled else None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, \
        TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(file=out, force_terminal=True), transient=True, refresh_per_second=4,
    )
    started = threading.Event()
    timer = threading.Timer(delay, lambda: (bar.start(), started.set()))
    timer.daemon = True
    timer.start()
    try:
        yield _Reporter(bar, started, out)
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
