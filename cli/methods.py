"""`featkit methods`: list every method in the registry."""

from __future__ import annotations

import typer

from ._common import handle_errors, stdout_console


def methods_command(
    supervised: bool = typer.Option(None, "--supervised/--unsupervised",
                                     help="Only methods that need a target / only those that do not."),
    installed: bool = typer.Option(False, "--installed", help="Only methods whose extra is installed."),
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
):
    """List the ranking methods: name, family, needs target, extra, installed?, summary."""
    from featkit.registry import list_methods

    specs = list_methods(needs_target=supervised, installed_only=installed)
    rows = [{
        "name": s.name, "family": s.family, "needs_target": s.needs_target,
        "extra": s.extra or "", "installed": s.is_installed(), "default": s.default,
        "streaming": bool(s.streaming), "summary": s.summary, "reference": s.reference,
    } for s in specs]
    if as_json:
        import json

        typer.echo(json.dumps(rows, indent=1))
        return
    from rich.table import Table

    table = Table(title="featkit methods", title_justify="left")
    for col in ("name", "family", "needs target", "extra", "installed", "summary"):
        table.add_column(col, overflow="fold", no_wrap=col == "name")
    for r in rows:
        name = r["name"] + (" *" if r["default"] else "")
        table.add_row(name, r["family"], "yes" if r["needs_target"] else "no",
                      r["extra"] or "-", "yes" if r["installed"] else "[red]no[/red]", r["summary"])
    out = stdout_console()
    out.print(table)
    out.print("* default of `featkit rank` (with a target). A method whose extra is not installed "
              'needs: pip install "featkit[EXTRA]".')


def register(app: typer.Typer) -> None:
    app.command("methods")(handle_errors(methods_command))
