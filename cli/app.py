"""The `featkit` command line: `featkit rank`, `featkit methods`, ...

Each command lives in its own module of this package (named in
``COMMAND_MODULES``) with a ``register(app)`` function. Commands import the
library inside their bodies, so ``featkit --help`` loads neither pandas nor
scikit-learn.
"""

from __future__ import annotations

import importlib
import sys

import typer

from ._common import EXIT_ERROR, EXIT_INTERRUPTED, _known_errors, report_error

COMMAND_MODULES = ("rank", "methods", "report", "reduce")

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


def main(argv=None) -> int:
    """Console-script entry point.

    Known errors, usage errors included, become one line on stderr starting
    with ``featkit: error:`` and exit code 2; there is never a traceback for them.
    """
    ClickException, Abort = _click_exceptions()
    try:
        code = app(args=argv, prog_name="featkit", standalone_mode=False)
    except ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `featkit`: show the help
            exc.show()
            return 0
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        sys.stderr.write("featkit: error: " + " ".join(exc.format_message().split()) + hint + "\n")
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
