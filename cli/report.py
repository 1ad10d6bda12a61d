"""`featkit report`: rank a table (with evaluation) and write the HTML report,
or re-render a ranking saved as JSON."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import typer
from featkit import ATTRIBUTION_MODELS as MODELS
from featkit import AGGREGATIONS, TASKS

from ._common import (
    check_not_input,
    check_seed,
    check_writable,
    clean_text,
    console,
    fail,
    handle_errors,
    parse_params,
    progress,
    quiet_warnings,
    split_list,
)

REPORT_SUFFIXES = {".html", ".htm"}


def _load_saved(path: Path):
    from featkit.results import RankingResult

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        fail(f"{str(path)!r} is not valid JSON ({exc.msg}, line {exc.lineno}).")
    except (UnicodeDecodeError, RecursionError) as exc:
        fail(f"{str(path)!r} is not valid JSON ({type(exc).__name__}).")
    if not isinstance(data, dict) or not {"features", "methods", "consensus_rank"} <= set(data):
        fail(f"{str(path)!r} is not a ranking saved by `featkit rank --output ranking.json`.")
    # Any malformed part (a list where a mapping belongs, a string for a number)
    # surfaces as one of these while rebuilding or rendering the result.
    malformed = (KeyError, TypeError, ValueError, AttributeError, IndexError)
    try:
        result = RankingResult.from_dict(data)
        from featkit.report import render_report

        render_report(result)
    except malformed as exc:
        fail(f"{str(path)!r} is not a complete featkit ranking ({type(exc).__name__}: {exc}).")
    return result


def report_command(
    data: Path = typer.Argument(..., show_default=False,
                                help="A table (.csv, .parquet, ...) to rank, or a ranking saved as .json."),
    output: Path = typer.Option(..., "--output", "-o", show_default=False, help="The HTML file to write."),
    target: str = typer.Option(None, "--target", "-t", help="Target column."),
    method: str = typer.Option(None, "--method", "-m", help="Comma-separated methods (default: the defaults)."),
    model: str = typer.Option(None, "--model",
                              help="Add SHAP / gain of lightgbm or xgboost (needs featkit\\[boost])."),
    task: str = typer.Option("auto", "--task", help="auto, classification or regression."),
    drop: str = typer.Option(None, "--drop", help="Comma-separated columns to leave out."),
    sample: int = typer.Option(None, "--sample", help="Rank on a seeded random sample of N rows."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    aggregation: str = typer.Option("cv_weighted", "--aggregation",
                                    help="Consensus: cv_weighted, mean_rank, median_rank or borda (as in rank)."),
    param: list[str] = typer.Option(None, "--param", "-p",
                                    help="Method parameter METHOD.NAME=VALUE (repeatable), as in rank."),
    n_jobs: int = typer.Option(None, "--n-jobs", help="Parallel jobs for methods that take n_jobs."),
    title: str = typer.Option(None, "--title", help="Page title."),
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="Nothing on stderr but errors: no progress, messages or warnings."),
):
    """Write a self-contained HTML report (opens offline in any browser).

    Examples: featkit report data.csv --target y -o report.html --model lightgbm;
    featkit report ranking.json -o report.html (re-render a saved ranking).
    """
    if task not in TASKS:
        fail(f"--task {task!r} is not one of {', '.join(TASKS)}.")
    if model is not None and model not in MODELS:
        fail(f"--model {model!r} is not one of {', '.join(MODELS)}.")
    if aggregation not in AGGREGATIONS:
        fail(f"--aggregation {aggregation!r} is not one of {', '.join(AGGREGATIONS)}.")
    for name, value in (("--sample", sample), ("--n-jobs", None if n_jobs in (None, -1) else n_jobs)):
        if value is not None and value < 1:
            fail(f"{name} must be at least 1, got {value}.")
    params = parse_params(param)
    check_seed(seed)
    check_writable(output, REPORT_SUFFIXES, "the report")
    check_not_input(output, [data], "--output")

    if Path(data).suffix.lower() == ".json":
        if any(v is not None for v in (target, method, model, drop, sample, n_jobs)) or params \
                or aggregation != "cv_weighted":
            fail("A saved .json ranking is re-rendered as it is: --target, --method, --model, "
                 "--drop, --sample, --aggregation, --param and --n-jobs apply to a table only.")
        if not Path(data).is_file():
            fail(f"No such file: {str(data)!r}.")
        result = _load_saved(data)
    else:
        from featkit.ranking import rank_features

        with quiet_warnings(quiet), progress(not quiet) as cb:
            result = rank_features(
                data, target, methods=split_list(method) or None, task=task, drop=split_list(drop),
                sample=sample, random_state=seed, model=model, evaluate=True, progress=cb,
                aggregation=aggregation, params=params or None, n_jobs=n_jobs,
            )
        parts = ["featkit", "report", str(data)]
        for flag, value in (("--target", target), ("--method", method), ("--model", model),
                            ("--task", None if task == "auto" else task), ("--drop", drop),
                            ("--sample", sample), ("--seed", seed),
                            ("--aggregation", None if aggregation == "cv_weighted" else aggregation),
                            ("--n-jobs", n_jobs), ("--output", output)):
            if value is not None:
                parts += [flag, str(value)]
        for item in param or ():
            parts += ["--param", item]
        result.meta["command"] = shlex.join(parts)

    from featkit.io import commit_group
    from featkit.report import render_report

    with quiet_warnings(quiet), commit_group() as group:
        html = render_report(result, title=title)
        with open(group.temp(output), "w", encoding="utf-8") as fh:
            fh.write(html)
    if not quiet:
        console().print(f"Wrote the report to {clean_text(output)}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("report")(handle_errors(report_command))
