"""`featkit reduce`: principal-component scores of a table, streamed when it is larger than memory."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import (
    check_not_input,
    check_seed,
    check_writable,
    clean_text,
    console,
    fail,
    handle_errors,
    progress,
    quiet_warnings,
    split_list,
)

OUTPUT_SUFFIXES = {".csv", ".tsv", ".json", ".parquet"}
REPORT_SUFFIXES = {".html", ".htm"}
STREAM_SUFFIXES = {".csv", ".tsv", ".parquet"}
METHODS = ("pca", "robust", "outlier", "ppca")  # featkit.decomposition.REDUCE_METHODS; not imported for a fast --help
SOLVERS = ("auto", "covariance_eigh", "svd", "randomized")
DEVICES = ("auto", "cpu", "gpu")


def _summary(reduction):
    ratio = reduction.explained_variance_ratio
    how = " (streamed in two passes)" if reduction.streamed else ""
    total = sum(r for r in ratio.tolist() if r == r)  # NaN-free sum: the methods without ratios give NaN
    return (f"reduced {reduction.n_rows} rows x {len(reduction.columns)} columns to "
            f"{reduction.estimator.n_components_} components{how}"
            f"{' (standardised columns)' if reduction.scale is not None else ''}; "
            f"explained variance {total:.1%} (first: {ratio[0]:.1%})")


def _command_line(data, n_components, method, target, standardize, drop, seed) -> str:
    import shlex

    parts = ["featkit", "reduce", str(data), "--n-components", str(n_components), "--method", method]
    for flag, value in (("--target", target), ("--drop", drop)):
        if value:
            parts += [flag, value]
    if standardize:
        parts.append("--standardize")
    return shlex.join(parts + ["--seed", str(seed)])


def _write_streamed(reduction, output, group, raw_names):
    """The scores of the second pass, written batch by batch into the group's temp file."""
    from featkit.io import neutralise_formula_cells

    suffix = output.suffix.lower()
    tmp = group.temp(output)
    writer = None
    try:
        for i, out in enumerate(reduction.score_frames()):
            if suffix != ".parquet" and not raw_names:
                out = neutralise_formula_cells(out)
            if suffix == ".parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(out, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
            else:
                out.to_csv(tmp, mode="w" if i == 0 else "a", header=i == 0, index=False,
                           sep="\t" if suffix == ".tsv" else ",")
    finally:
        if writer is not None:
            writer.close()


def reduce_command(
    data: Path = typer.Argument(..., help="Table to reduce: .csv/.tsv (also .gz), .parquet, .feather.",
                                show_default=False),
    n_components: int = typer.Option(..., "--n-components", "-k", help="Number of components to keep."),
    output: Path = typer.Option(..., "--output", "-o",
                                help="Scores file: .parquet, .csv, .tsv (or .json without --stream)."),
    method: str = typer.Option("pca", "--method", "-m",
                               help="pca, robust (low-rank + sparse), outlier (corrupted rows) or ppca "
                                    "(probabilistic; missing values allowed)."),
    solver: str = typer.Option("auto", "--solver", help="PCA solver: auto, covariance_eigh, svd, randomized."),
    device: str = typer.Option("auto", "--device", help="PCA device: auto, cpu or gpu."),
    whiten: bool = typer.Option(False, "--whiten", help="Scale the scores to unit variance (pca)."),
    target: str = typer.Option(None, "--target", "-t",
                               help="Target column: left out of the reduction; colours the report's score plot."),
    standardize: bool = typer.Option(False, "--standardize",
                                     help="Scale every column to unit variance first (a PCA of the "
                                          "correlations), so no column wins by its units."),
    report: Path = typer.Option(None, "--report",
                                help="Also write an HTML report: explained variance, loadings, scores."),
    drop: str = typer.Option(None, "--drop", help="Comma-separated columns to leave out."),
    keep: str = typer.Option(None, "--keep",
                             help="Comma-separated columns copied to the output as they are (e.g. an id)."),
    stream: bool = typer.Option(False, "--stream",
                                help="Read the file in batches (two passes) instead of loading it; "
                                     "automatic when the file is larger than the memory budget."),
    batch_size: int = typer.Option(None, "--batch-size",
                                   help="Rows per batch when streaming (default: a quarter of the memory "
                                        "budget, at most 65536)."),
    memory_budget: str = typer.Option(None, "--memory-budget",
                                      help="Memory the work may take, e.g. 2GiB (default: "
                                           "FEATKIT_MEMORY_BUDGET or half the free memory)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (randomized solver, ppca)."),
    raw_names: bool = typer.Option(False, "--raw-names",
                                   help="Write --keep text as it is in a .csv/.tsv output, even cells a "
                                        "spreadsheet would run as a formula (default: a leading ')."),
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="Nothing on stderr but errors: no progress, summary or warnings."),
    engine: str = typer.Option("memory", "--engine",
                               help="memory, or dask (pca only): DATA may be a file, glob or folder of parts."),
    scheduler: str = typer.Option(None, "--scheduler",
                                  help="Dask scheduler address (tcp://host:8786); default: a local cluster."),
    workers: int = typer.Option(2, "--workers", help="Worker processes of the local Dask cluster."),
    memory_limit: str = typer.Option(None, "--memory-limit",
                                     help="Memory limit of each local Dask worker, e.g. 400MiB or 2GB "
                                          "(default: Dask's share of the machine's memory)."),
):
    """Project a table on its principal components and save the scores (one row per input row)."""
    for value, choices, option in ((method, METHODS, "--method"), (solver, SOLVERS, "--solver"),
                                   (device, DEVICES, "--device")):
        if value not in choices:
            from featkit.exceptions import suggest_names

            fail(f"{option} {value!r} is not one of {', '.join(choices)}.{suggest_names(value, choices)}")
    if n_components < 1:
        fail(f"--n-components must be at least 1, got {n_components}.")
    if batch_size is not None and batch_size < 2:
        fail(f"--batch-size must be at least 2, got {batch_size}.")
    check_seed(seed)
    if engine not in ("memory", "dask"):
        fail(f"--engine {engine!r} is not one of memory, dask.")
    if engine == "dask":
        _reduce_dask(data, n_components, output, method, whiten, target, standardize, drop, keep,
                     scheduler, workers, memory_limit, raw_names, quiet)
        return
    from featkit.decomposition import needs_streaming, reduce_file

    auto_stream = needs_streaming(data, memory_budget)
    streamed = stream or auto_stream
    if streamed and method != "pca":
        fail(f"--method {method} needs every row in memory (the file is {'streamed' if stream else 'larger than the memory budget'}); "
             "use --method pca to stream, or reduce a sample of the rows.")
    output = check_writable(output, STREAM_SUFFIXES if streamed else OUTPUT_SUFFIXES, "scores")
    check_not_input(output, [data], "--output")
    render = None
    if report is not None:
        report = check_writable(report, REPORT_SUFFIXES, "the report")
        check_not_input(report, [data], "--report")
        if report.resolve() == output.resolve():
            fail("--output and --report name the same file.")
        try:
            from featkit.report import render_reduction_report as render
        except ImportError as exc:
            fail(f"The HTML report is not available: {exc}.")
    from featkit.io import commit_group

    msg = console()
    with quiet_warnings(quiet), progress(not quiet) as on_progress, commit_group() as group:
        reduction = reduce_file(data, n_components, method=method, solver=solver, device=device, whiten=whiten,
                                drop=split_list(drop), keep=split_list(keep), target=target,
                                standardize=standardize, stream=streamed,
                                batch_size=batch_size, memory_budget=memory_budget, random_state=seed,
                                progress=on_progress)
        if streamed:
            _write_streamed(reduction, output, group, raw_names)
        else:
            from featkit.io import write_frame

            write_frame(next(reduction.score_frames()), output, group=group, raw_names=raw_names)
        if render is not None:
            html = render(reduction.to_section(random_state=seed), title=f"featkit reduce: {data.name}",
                          command=_command_line(data, n_components, method, target, standardize, drop, seed))
            with open(group.temp(report), "w", encoding="utf-8") as fh:
                fh.write(html)
    if not quiet:
        skipped = [f"{name} ({why})" for name, why in reduction.skipped.items()]
        if skipped:
            msg.print(clean_text(f"note: column(s) not used: {', '.join(skipped[:10])}"
                                 + (" ..." if len(skipped) > 10 else "")), markup=False)
        if auto_stream and not stream:
            msg.print("note: the file is larger than the memory budget: streamed in batches")
        msg.print(_summary(reduction))
        msg.print(f"wrote {clean_text(output)}", markup=False)
        if report is not None:
            msg.print(f"wrote the report to {clean_text(report)}", markup=False)


def _reduce_dask(data, n_components, output, method, whiten, target, standardize, drop, keep,
                 scheduler, workers, memory_limit, raw_names, quiet):
    """PCA on a Dask cluster; the scores are written partition by partition into the commit group."""
    if method != "pca":
        fail(f"--engine dask runs --method pca only, not {method!r}.")
    if workers < 1:
        fail(f"--workers must be at least 1, got {workers}.")
    from .rank import _memory_limit

    limit = _memory_limit(memory_limit)
    output = check_writable(output, STREAM_SUFFIXES, "scores")
    check_not_input(output, [data], "--output")
    from featkit.distributed import dask_client, read_dask, reduce_dask
    from featkit.exceptions import InputError
    from featkit.io import commit_group

    try:
        with quiet_warnings(quiet), dask_client(scheduler, workers, memory_limit=limit) as _, commit_group() as group:
            ddf = read_dask(data)
            reduction = reduce_dask(ddf, n_components, whiten=whiten, drop=split_list(drop),
                                    keep=split_list(keep), target=target, standardize=standardize)
            _write_streamed(reduction, output, group, raw_names)
    except (InputError, ImportError) as exc:
        fail(str(exc))
    if not quiet:
        msg = console()
        msg.print(_summary(reduction).replace("streamed in two passes", "on Dask"))
        msg.print(f"wrote {clean_text(output)}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("reduce")(handle_errors(reduce_command))
