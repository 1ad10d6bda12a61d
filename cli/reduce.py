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
STREAM_SUFFIXES = {".csv", ".tsv", ".parquet"}
METHODS = ("pca", "robust", "outlier", "ppca")
SOLVERS = ("auto", "covariance_eigh", "svd", "randomized")
DEVICES = ("auto", "cpu", "gpu")


def _make_estimator(method, n_components, *, solver, device, whiten, seed, budget):
    from featkit.decomposition import PCA, OutlierRobustPCA, ProbabilisticPCA, RobustPCA

    if method == "pca":
        return PCA(n_components, solver=solver, device=device, whiten=whiten, random_state=seed,
                   memory_budget=budget)
    if method == "robust":
        return RobustPCA(n_components, memory_budget=budget)
    if method == "outlier":
        return OutlierRobustPCA(n_components, memory_budget=budget)
    return ProbabilisticPCA(n_components, random_state=seed, memory_budget=budget)


def _numeric_columns(frame, drop, keep):
    """Columns to reduce: numeric / boolean ones not dropped or carried; notes for the rest."""
    import pandas as pd

    from featkit.exceptions import UnknownNameError, suggest_names

    for name in list(drop) + list(keep):
        if name not in frame.columns:
            raise UnknownNameError(f"No column {name!r}.{suggest_names(name, [str(c) for c in frame.columns])}")
    used, skipped = [], []
    for col in frame.columns:
        if col in drop or col in keep:
            continue
        dtype = frame[col].dtype
        if pd.api.types.is_bool_dtype(dtype) or (
            pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)
        ):
            used.append(col)
        else:
            skipped.append(str(col))
    if not used:
        from featkit.exceptions import InputError

        raise InputError("No numeric column left to reduce (text/categorical columns are not used).")
    return used, skipped


def _matrix(frame, columns, allow_nan, where=""):
    import numpy as np

    from featkit.exceptions import InputError

    sub = frame[columns]
    dtype = np.float32 if all(str(t) == "float32" for t in sub.dtypes) else np.float64
    X = sub.to_numpy(dtype=dtype, na_value=np.nan)
    if not allow_nan:
        bad = ~np.isfinite(X).all(axis=0)
        if bad.any():
            names = ", ".join(repr(str(c)) for c in np.asarray(columns)[bad][:5])
            raise InputError(
                f"Column(s) {names} have missing or infinite values{where}: use --method ppca (fits "
                "missing values directly) or impute them first."
            )
    return X


def _score_frame(frame, keep, Z, prefix):
    import pandas as pd

    out = pd.DataFrame(Z, columns=[f"{prefix}{i}" for i in range(Z.shape[1])], index=frame.index)
    if keep:
        out = pd.concat([frame[keep], out], axis=1)
    return out.reset_index(drop=True)


def _summary(est, n_rows, n_features, streamed):
    import numpy as np

    ratio = np.asarray(getattr(est, "explained_variance_ratio_", [np.nan]), dtype=float)
    how = " (streamed in two passes)" if streamed else ""
    return (f"reduced {n_rows} rows x {n_features} columns to {est.n_components_} components{how}; "
            f"explained variance {np.nansum(ratio):.1%} (first: {ratio[0]:.1%})")


def _batches(path, batch_size, columns=None):
    """DataFrames of ``batch_size`` rows, never the whole file.

    Parquet is read here with ``pre_buffer=False``: pyarrow's default
    pre-buffering reads ahead every row group that ``iter_batches`` will visit,
    which holds about the whole file in memory. Other formats go through
    :func:`featkit.io.iter_batches`.
    """
    if Path(path).suffix.lower() != ".parquet":
        from featkit.io import iter_batches

        yield from iter_batches(path, batch_size=batch_size, columns=columns)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    from featkit.exceptions import InputError

    try:
        reader = pq.ParquetFile(path, pre_buffer=False)
        for batch in reader.iter_batches(batch_size=batch_size, columns=columns):
            yield batch.to_pandas()
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"Cannot read {str(path)!r} as Parquet: {exc}") from None


def _stream(data, output, est, *, batch_size, drop, keep, budget, report, group, raw_names):
    """Two passes over the file: partial_fit, then transform; the output written batch by batch."""
    import numpy as np
    import pyarrow as pa

    from featkit._array import check_memory, memory_budget_bytes
    from featkit.io._cells import neutralise_formula_cells

    first = next(iter(_batches(data, 1024)))
    used, skipped = _numeric_columns(first, drop, keep)
    d = len(used)
    if est.n_components > d:
        from featkit.exceptions import InputError

        raise InputError(f"--n-components {est.n_components} is more than the {d} numeric columns.")
    # a batch lives as Arrow, pandas, a float matrix and its scores: ~4 float64 copies
    per_row = 4 * 8 * (d + len(keep))
    if batch_size is None:
        batch_size = int(min(65536, max(1024, memory_budget_bytes(budget) // 4 // per_row)))
    check_memory(batch_size * per_row, f"a batch of {batch_size} rows", "Lower --batch-size.", budget)
    columns = list(keep) + used
    n_rows = 0
    for i, frame in enumerate(_batches(data, batch_size, columns)):
        X = _matrix(frame, used, False, where=f" in the batch starting at row {n_rows}")
        est.partial_fit(X)
        n_rows += len(frame)
        report("fit (pass 1 of 2)", i + 1, None)
    est.components_  # noqa: B018 - solve once, before the second pass
    prefix = type(est).__name__.lower()
    suffix = output.suffix.lower()
    done = 0
    tmp = group.temp(output)
    writer = None
    try:
        for i, frame in enumerate(_batches(data, batch_size, columns)):
            Z = est.transform(_matrix(frame, used, False, where=f" in the batch starting at row {done}"))
            out = _score_frame(frame, list(keep), np.asarray(Z), prefix)
            if suffix != ".parquet" and not raw_names:
                out = neutralise_formula_cells(out)
            if suffix == ".parquet":
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(out, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
            else:
                out.to_csv(tmp, mode="w" if i == 0 else "a", header=i == 0, index=False,
                           sep="\t" if suffix == ".tsv" else ",")
            done += len(frame)
            report("transform (pass 2 of 2)", i + 1, None)
    finally:
        if writer is not None:
            writer.close()
    limit = memory_budget_bytes(budget)
    return used, skipped, n_rows, limit


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
    from featkit._array import memory_budget_bytes
    from featkit.io._read import existing_file

    budget = memory_budget_bytes(memory_budget) if memory_budget else None
    data = existing_file(data)
    limit = memory_budget_bytes(budget)
    auto_stream = data.stat().st_size > limit
    streamed = stream or auto_stream
    if streamed and method != "pca":
        fail(f"--method {method} needs every row in memory (the file is {'streamed' if stream else 'larger than the memory budget'}); "
             "use --method pca to stream, or reduce a sample of the rows.")
    output = check_writable(output, STREAM_SUFFIXES if streamed else OUTPUT_SUFFIXES, "scores")
    check_not_input(output, [data], "--output")
    drop_cols, keep_cols = split_list(drop), split_list(keep)
    est = _make_estimator(method, n_components, solver=solver, device=device, whiten=whiten, seed=seed,
                          budget=budget)
    from featkit.io._atomic import commit_group

    msg = console()
    with quiet_warnings(quiet), progress(not quiet) as report, commit_group() as group:
        if streamed:
            used, skipped, n_rows, _ = _stream(data, output, est, batch_size=batch_size, drop=drop_cols,
                                               keep=keep_cols, budget=budget, report=report,
                                               group=group, raw_names=raw_names)
        else:
            import numpy as np

            from featkit.io import read_table

            from ._common import write_frame

            frame = read_table(data)
            used, skipped = _numeric_columns(frame, drop_cols, keep_cols)
            X = _matrix(frame, used, allow_nan=method == "ppca")
            report("fit", 0, 1)
            Z = np.asarray(est.fit_transform(X))
            report("fit", 1, 1)
            write_frame(_score_frame(frame, keep_cols, Z, type(est).__name__.lower()), output,
                        group=group, raw_names=raw_names)
            n_rows = X.shape[0]
    if not quiet:
        if skipped:
            msg.print(clean_text(f"note: non-numeric column(s) not used: {', '.join(skipped[:10])}"
                                 + (" ..." if len(skipped) > 10 else "")), markup=False)
        if auto_stream and not stream:
            msg.print("note: the file is larger than the memory budget: streamed in batches")
        msg.print(_summary(est, n_rows, len(used), streamed))
        msg.print(f"wrote {clean_text(output)}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("reduce")(handle_errors(reduce_command))
