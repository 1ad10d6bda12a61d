"""The `featkit` command line: `featkit rank`, `featkit methods`, ...

Each command lives in its own module of this package (named in
``COMMAND_MODULES``) with a ``register(app)`` function. Commands import the
library inside their bodies, so ``featkit --help`` loads neither pandas nor
scikit-learn.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading

import typer

from ._common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    _known_errors,
    plain_message,
    report_error,
)

COMMAND_MODULES = ("rank", "methods", "report", "reduce", "select")

app = typer.Typer(
    name="featkit",
    help="Feature analysis for tabular data: rank and select features, explain them, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool):
    if value:
        from featkit import __version__

        typer.echo(f"featkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Show the version and exit."),
):
    """Feature analysis for tabular data: rank and select features, explain them, report."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"{__package__}.{_name}").register(app)


def _click_exceptions():
    try:  # typer >= 0.20 vendors click
        from typer._click.exceptions import ClickException
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click.exceptions import ClickException
    return ClickException, typer.Abort


def _on_signal(signum, frame):  # noqa: ARG001 - the signal module's signature
    """End the process now: remove unfinished temporary outputs, then exit 130 / 143.

    The command runs in a worker thread, so this handler runs in the main
    thread even while a method sits in native code for minutes. Finished
    outputs are never touched: they are renamed only when all succeeded.
    """
    from featkit.io import remove_pending_temps

    ranking = sys.modules.get("featkit.ranking")
    if ranking is not None:  # worker processes in native code would run on after we exit
        ranking.terminate_workers()
    remove_pending_temps()
    terminated = signum == signal.SIGTERM
    with contextlib.suppress(OSError):
        sys.stderr.write("featkit: terminated\n" if terminated else "featkit: interrupted\n")
        sys.stderr.flush()
    # os._exit: the worker thread cannot be stopped, and a normal exit would wait for it.
    os._exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def _invoke(argv):
    return app(args=argv, prog_name="featkit", standalone_mode=False)


def _invoke_interruptible(argv):
    """Run the command in a worker thread while the main thread waits for signals.

    Python runs signal handlers only in the main thread and only between
    bytecodes: a method in native code (liblinear, a BLAS call) would hold off
    Ctrl-C until it returns. Waiting here in short slices keeps the main thread
    ready, so SIGINT / SIGTERM take effect at once.
    """
    outcome = {}

    def work():
        try:
            outcome["value"] = _invoke(argv)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            outcome["error"] = exc

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = threading.Thread(target=work, name="featkit-command", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def main(argv=None) -> int:
    """Console-script entry point.

    Known errors, usage errors included, become one line on stderr starting
    with ``featkit: error:`` and exit code 2; there is never a traceback for them.
    Ctrl-C exits with 130 and SIGTERM with 143, after removing unfinished
    temporary outputs (no output is replaced by an interrupted run).
    """
    ClickException, Abort = _click_exceptions()
    in_main_thread = threading.current_thread() is threading.main_thread()
    try:
        code = _invoke_interruptible(argv) if in_main_thread else _invoke(argv)
    except ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `featkit`: show the help
            exc.show()
            return 0
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = " ".join(plain_message(exc.format_message()).split())
        sys.stderr.write("featkit: error: " + message + hint + "\n")
        return EXIT_ERROR if exc.exit_code == 2 else exc.exit_code
    except Abort:
        sys.stderr.write("featkit: aborted\n")
        return 1
    except _known_errors() as exc:  # raised outside a command (e.g. while registering)
        report_error(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("featkit: interrupted\n")
        return EXIT_INTERRUPTED
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
