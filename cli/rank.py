"""`featkit rank`: rank every column of a table and print / save the ranking."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer
from featkit import AGGREGATIONS, TASKS, parse_size
from featkit import ATTRIBUTION_MODELS as MODELS

from ._common import (
    check_not_input,
    check_seed,
    check_writable,
    clean_text,
    console,
    fail,
    handle_errors,
    parse_params,
    print_results,
    progress,
    quiet_warnings,
    split_list,
    stdout_console,
)
from ._table import DEFAULT_TOP, parse_top, print_ranking

OUTPUT_SUFFIXES = {".csv", ".tsv", ".json", ".parquet"}
REPORT_SUFFIXES = {".html", ".htm"}


def _threshold_bytes(text: str) -> int:
    """``--stream-threshold`` in bytes (GB = 1e9, GiB = 2**30: featkit's one size reading)."""
    try:
        return parse_size(text)
    except ValueError:
        fail(f"--stream-threshold {text!r}: give a size such as 500M or 1GiB.")


def _budget(text):
    """``--time-budget`` in seconds (None when not given)."""
    from featkit import parse_duration

    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError:
        fail(f"--time-budget {text!r}: give a duration such as 90, 90s, 2m or 1h.")


# A plan estimated shorter than this, with nothing sampled and no budget, is
# not shown: a quick run prints nothing on stderr, like the progress display.
PLAN_MIN_SECONDS = 2.0


def _show_plan(cb, plan) -> None:
    eventful = plan.time_budget is not None or any(m.action != "full" for m in plan.methods)
    if eventful or plan.total_seconds >= PLAN_MIN_SECONDS:
        cb.print("\n".join(map(clean_text, plan.lines())))


def _choice(value, choices, option):
    if value is not None and value not in choices:
        from featkit.exceptions import suggest_names

        fail(f"{option} {value!r} is not one of {', '.join(choices)}.{suggest_names(value, choices)}")
    return value


def _command_line(data, opts: dict) -> str:
    parts = ["featkit", "rank", str(data)]
    for flag, value in opts.items():
        if value is None or value is False or value == [] or value == ():
            continue
        if value is True:
            parts.append(flag)
        elif isinstance(value, (list, tuple)):
            for v in value:
                parts += [flag, str(v)]
        else:
            parts += [flag, str(value)]
    return shlex.join(parts)


def rank_command(
    data: Path = typer.Argument(..., help="Table to rank: .csv/.tsv (also .gz), .parquet, .feather.",
                                show_default=False),
    target: str = typer.Option(None, "--target", "-t",
                               help="Target column. Without it only unsupervised methods run."),
    method: str = typer.Option(None, "--method", "-m",
                               help="Comma-separated methods (see `featkit methods`); default: the defaults."),
    top: str = typer.Option(str(DEFAULT_TOP), "--top",
                            help="Rows to print: a number, or 'all' (the saved output always has "
                                 "every row). -k is reduce's --n-components, not this."),
    task: str = typer.Option("auto", "--task", help="auto, classification or regression."),
    drop: str = typer.Option(None, "--drop", help="Comma-separated columns to leave out."),
    sample: int = typer.Option(None, "--sample", help="Rank on a seeded random sample of N rows."),
    seed: int = typer.Option(0, "--seed", help="Random seed (sampling and randomised methods)."),
    output: Path = typer.Option(None, "--output", "-o",
                                help="Save the full ranking: .csv, .tsv, .json or .parquet (atomic write)."),
    report: Path = typer.Option(None, "--report", help="Also write an HTML report (adds an evaluation)."),
    model: str = typer.Option(None, "--model",
                              help="Add SHAP and gain importances of lightgbm or xgboost (needs featkit\\[boost])."),
    aggregation: str = typer.Option("cv_weighted", "--aggregation",
                                    help="Consensus: cv_weighted (the members' weighting that an inner cross-validation supports, by one standard error), mean_rank, median_rank or borda."),
    keep_id: bool = typer.Option(False, "--keep-id", help="Rank ID-like columns instead of excluding them."),
    categorical_int_max: int = typer.Option(0, "--categorical-int-max",
                                            help="Integer columns with at most N distinct values are categorical."),
    param: list[str] = typer.Option(None, "--param", "-p",
                                    help="Method parameter METHOD.NAME=VALUE (repeatable), "
                                         "e.g. random_forest.n_estimators=50."),
    n_jobs: int = typer.Option(None, "--n-jobs",
                               help="Cores for the run (-1: all): methods fit side by side in worker "
                                    "processes, each with its share. Default: one method at a time."),
    time_budget: str = typer.Option(None, "--time-budget",
                                    help="Whole run within this time (90, 90s, 2m, 1h): slow methods "
                                         "fit on a seeded row sample, or are skipped, with a note."),
    full: bool = typer.Option(False, "--full",
                              help="Fit every method on every row, even one estimated far beyond "
                                   "the others (sampled by default, with a note)."),
    plan_only: bool = typer.Option(False, "--plan",
                                   help="Print the plan (methods, estimated time and memory, "
                                        "sampling) and exit without fitting."),
    stream: bool = typer.Option(False, "--stream",
                                help="Read the file in batches (methods with a streaming scorer only)."),
    stream_threshold: str = typer.Option("1GiB", "--stream-threshold",
                                         help="Stream files larger than this when every method can."),
    batch_size: int = typer.Option(16384, "--batch-size", help="Rows per batch when streaming."),
    raw_names: bool = typer.Option(False, "--raw-names",
                                   help="Write names as they are in a .csv/.tsv output, even those a "
                                        "spreadsheet would run as a formula (default: a leading ')."),
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="Nothing on stderr but errors: no progress, messages or warnings."),
    engine: str = typer.Option("memory", "--engine",
                               help="memory, or dask: DATA may be a file, glob or folder of Parquet/CSV parts."),
    scheduler: str = typer.Option(None, "--scheduler",
                             help="Dask scheduler address (tcp://host:8786); default: a local cluster."),
    workers: int = typer.Option(2, "--workers", help="Worker processes of the local Dask cluster."),
    memory_limit: str = typer.Option(None, "--memory-limit",
                                     help="Memory limit of each local Dask worker, e.g. 400MiB or 2GB "
                                          "(default: Dask's share of the machine's memory)."),
):
    """Rank every column of DATA with several methods and print a consensus table.

    Example: featkit rank data.csv --target y --top 20 --output ranking.csv
    """
    from featkit.ranking import rank_features, rank_file_streaming, should_stream

    # Everything that can be checked before the (possibly long) work is checked first.
    top = parse_top(top)
    _choice(task, TASKS, "--task")
    _choice(aggregation, AGGREGATIONS, "--aggregation")
    _choice(model, MODELS, "--model")
    for name, value in (("--sample", sample), ("--batch-size", batch_size),
                        ("--n-jobs", None if n_jobs is None or n_jobs == -1 else n_jobs)):
        if value is not None and value < 1:
            fail(f"{name} must be at least 1, got {value}.")
    if categorical_int_max < 0:
        fail(f"--categorical-int-max must be 0 or more, got {categorical_int_max}.")
    check_seed(seed)
    if output is not None:
        check_writable(output, OUTPUT_SUFFIXES, "the ranking")
        check_not_input(output, [data], "--output")
    if report is not None:
        check_writable(report, REPORT_SUFFIXES, "the report")
        check_not_input(report, [data], "--report")
    if output is not None and report is not None and output.resolve() == report.resolve():
        fail("--output and --report name the same file.")
    budget = _budget(time_budget)
    params = parse_params(param)
    methods = split_list(method) or None
    drop_cols = split_list(drop)
    threshold = _threshold_bytes(stream_threshold)

    _choice(engine, ("memory", "dask"), "--engine")
    if engine == "dask":
        result = _rank_dask(data, target, scheduler, workers, memory_limit, quiet, methods=methods, task=task,
                            drop=drop_cols, sample=sample, random_state=seed, aggregation=aggregation,
                            keep_id=keep_id, categorical_int_max=categorical_int_max,
                            params=params or None)
        streaming = False
    else:
        streaming = should_stream(data, methods, threshold_bytes=threshold, force=stream)
    if streaming and (model or report or sample or params or keep_id or task != "auto"
                      or categorical_int_max or budget or plan_only or full or n_jobs):
        fail("--stream works with --target, --method, --drop, --seed, --batch-size, --top and "
             "--output only.")
    if plan_only:
        from featkit import plan_ranking

        with quiet_warnings(quiet):
            plan = plan_ranking(data, target, methods=methods, task=task, drop=drop_cols,
                                sample=sample, random_state=seed, keep_id=keep_id,
                                categorical_int_max=categorical_int_max, params=params or None,
                                n_jobs=n_jobs, time_budget=budget, full=full)
        print_results(lambda: stdout_console().print("\n".join(map(clean_text, plan.lines())),
                                                     markup=False))
        return
    render_report = None
    if report is not None:
        try:
            from featkit.report import render_report
        except ImportError as exc:
            fail(f"The HTML report is not available: {exc}.")

    with quiet_warnings(quiet), progress(not quiet) as cb:
        if engine == "dask":
            pass
        elif streaming:
            result = rank_file_streaming(data, target, methods=methods, drop=drop_cols,
                                         batch_size=batch_size, random_state=seed,
                                         aggregation=aggregation, progress=cb)
        else:
            result = rank_features(
                data, target, methods=methods, task=task, drop=drop_cols, sample=sample,
                random_state=seed, aggregation=aggregation, keep_id=keep_id,
                categorical_int_max=categorical_int_max, model=model, evaluate=report is not None,
                progress=cb, params=params or None, n_jobs=n_jobs, time_budget=budget,
                full=full, on_plan=lambda plan: _show_plan(cb, plan),
            )
    result.meta["command"] = _command_line(data, {
        "--target": target, "--method": method, "--task": None if task == "auto" else task,
        "--drop": drop, "--sample": sample, "--seed": seed, "--aggregation":
        None if aggregation == "cv_weighted" else aggregation, "--model": model,
        "--keep-id": keep_id, "--param": param, "--stream": stream, "--n-jobs": n_jobs,
        "--time-budget": time_budget, "--full": full,
        "--output": output, "--report": report, "--raw-names": raw_names,
    })

    from featkit.io import commit_group

    # All or nothing: every output is written to a temporary file and the table
    # printed first; the files are renamed into place only when all succeeded.
    with commit_group() as group:
        if output is not None:
            result.save(output, raw_names=raw_names, group=group)
        if render_report is not None:
            html = render_report(result)
            with open(group.temp(report), "w", encoding="utf-8") as fh:
                fh.write(html)
        print_results(print_ranking, result, top)
    if not quiet:
        err = console()
        if output is not None:
            err.print(f"Wrote the ranking of {len(result.features)} features to {clean_text(output)}",
                      markup=False)
        if render_report is not None:
            err.print(f"Wrote the report to {clean_text(report)}", markup=False)


def _memory_limit(text):
    """``--memory-limit`` for ``dask_client``: bytes, or Dask's own "auto" when not given."""
    if text is None:
        return "auto"
    try:
        limit = parse_size(text)
    except ValueError:
        limit = 0
    if limit <= 0:
        fail(f"--memory-limit {text!r}: give a positive size such as 400MiB or 2GB.")
    return limit


def _rank_dask(data, target, scheduler, workers, memory_limit, quiet, **kwargs):
    from featkit.distributed import dask_client, read_dask
    from featkit.exceptions import InputError
    from featkit.ranking import rank_features

    if workers < 1:
        fail(f"--workers must be at least 1, got {workers}.")
    limit = _memory_limit(memory_limit)
    try:
        with quiet_warnings(quiet), dask_client(scheduler, workers, memory_limit=limit) as _:
            return rank_features(read_dask(data), target, **kwargs)
    except (InputError, ImportError) as exc:
        fail(str(exc))


def register(app: typer.Typer) -> None:
    app.command("rank")(handle_errors(rank_command))
