"""`featkit select`: write the table with only its best columns (plus the target and --keep)."""

from __future__ import annotations

from pathlib import Path

import typer
from featkit import AGGREGATIONS, TASKS

from ._common import (
    check_not_input,
    check_seed,
    check_writable,
    clean_text,
    console,
    fail,
    handle_errors,
    print_results,
    progress,
    quiet_warnings,
    split_list,
    stdout_console,
)

OUTPUT_SUFFIXES = {".csv", ".tsv", ".json", ".parquet"}


def _parse_k(text: str):
    if text.strip().lower() == "cv":
        return "cv"
    try:
        k = int(text)
    except ValueError:
        k = 0
    if k < 1:
        fail(f"--k {text!r}: give a whole number of at least 1, or 'cv'.")
    return k


def _print_selection(selection) -> None:
    out = stdout_console()
    out.print(clean_text(selection.explain()), markup=False)
    if selection.cv is not None:
        out.print(f"{'k':>6}  {selection.cv['scoring']} (mean +- standard error)", markup=False)
        for k, m, e in zip(selection.cv["grid"], selection.cv["scores"], selection.cv["errors"]):
            mark = "  <- chosen" if k == selection.k else ""
            out.print(f"{k:>6}  {m:.3f} +- {e:.3f}{mark}", markup=False)
    out.print("Selected: " + clean_text(", ".join(selection.selected)), markup=False)


def select_command(
    data: Path = typer.Argument(..., help="Table: .csv/.tsv (also .gz), .parquet, .feather.",
                                show_default=False),
    target: str = typer.Option(..., "--target", "-t", help="Target column (always kept)."),
    output: Path = typer.Option(..., "--output", "-o",
                                help="The reduced table: .csv, .tsv, .json or .parquet (atomic write)."),
    method: str = typer.Option(None, "--method", "-m",
                               help="Comma-separated methods; one method ranks alone, several by "
                                    "their consensus (default: the defaults)."),
    k: str = typer.Option("cv", "--k",
                          help="Features to keep: a number, or 'cv' (5-fold cross-validation, "
                               "one-standard-error rule)."),
    keep: str = typer.Option(None, "--keep", help="Comma-separated columns to copy as they are."),
    task: str = typer.Option("auto", "--task", help="auto, classification or regression."),
    drop: str = typer.Option(None, "--drop", help="Comma-separated columns to leave out."),
    aggregation: str = typer.Option(None, "--aggregation",
                                    help="Consensus: " + ", ".join(AGGREGATIONS) + "."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    raw_names: bool = typer.Option(False, "--raw-names",
                                   help="Write text cells as they are in .csv/.tsv, even those a "
                                        "spreadsheet would run as a formula (default: a leading ')."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Nothing on stderr but errors."),
):
    """Keep the best columns of DATA for predicting the target and write them to OUTPUT.

    Example: featkit select data.csv -t y --k cv -o reduced.csv --keep id
    """
    from featkit import select_features

    k_value = _parse_k(k)
    if task not in TASKS:
        fail(f"--task {task!r} is not one of {', '.join(TASKS)}.")
    if aggregation is not None and aggregation not in AGGREGATIONS:
        fail(f"--aggregation {aggregation!r} is not one of {', '.join(AGGREGATIONS)}.")
    check_seed(seed)
    check_writable(output, OUTPUT_SUFFIXES, "the selected table")
    check_not_input(output, [data], "--output")

    with quiet_warnings(quiet), progress(not quiet) as cb:
        selection = select_features(
            data, target, k=k_value, methods=split_list(method) or None, keep=split_list(keep),
            task=task, drop=split_list(drop), random_state=seed, aggregation=aggregation,
            progress=cb)

    from featkit.io import commit_group, write_frame

    with commit_group() as group:
        write_frame(selection.frame, output, group=group, raw_names=raw_names)
        print_results(_print_selection, selection)
    if not quiet:
        console().print(f"Wrote {selection.frame.shape[0]:,} rows x {selection.frame.shape[1]} "
                        f"columns to {clean_text(output)}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("select")(handle_errors(select_command))
