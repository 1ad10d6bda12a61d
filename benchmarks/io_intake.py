"""Data intake: featkit.io against plain pandas / scikit-learn on a 100,000 x 50 CSV.

Side by side, one run each (best of ``--repeat``):

* reading: ``featkit.io.read_table`` (header check, duplicate names, ragged-row
  check) against ``pandas.read_csv``;
* streaming: ``featkit.io.iter_batches`` (pyarrow) against
  ``pandas.read_csv(chunksize=...)``, both a full pass over the file, and
  against the same with the dtypes fixed from the first chunk (what
  iter_batches guarantees: every batch has the same dtypes);
* typing: ``featkit.io.prepare_features`` (column kinds, ID/constant flags, target);
* numeric encoding: ``featkit.io.encode_numeric`` (5-fold cross-fitted target
  encoding of the categorical columns + median imputation) against
  scikit-learn's ``TargetEncoder(cv=5).fit_transform`` + ``SimpleImputer``;
* discrete encoding: ``featkit.io.encode_discrete(n_bins=10)`` against
  ``KBinsDiscretizer(10, strategy="quantile", encode="ordinal")`` +
  ``OrdinalEncoder`` for the categoricals.

The table: 40 numeric columns (2% missing), 10 text columns with 3 .. 1000
levels, a binary target. Run: ``python -m benchmarks io_intake [--rows N]``.
Writes benchmarks/results/io_intake.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(n_rows, 40))
    numeric[rng.random(numeric.shape) < 0.02] = np.nan
    frame = pd.DataFrame(numeric, columns=[f"x{i:02d}" for i in range(40)])
    signal = np.nan_to_num(numeric[:, 0]) + np.nan_to_num(numeric[:, 1])
    for j, k in enumerate(np.round(np.geomspace(3, 1000, 10)).astype(int)):
        levels = rng.integers(0, k, n_rows)
        frame[f"c{j}"] = np.array([f"L{i}" for i in range(k)], dtype=object)[levels]
        if j % 2 == 0:
            signal += rng.normal(size=k)[levels]
    frame["y"] = (signal + rng.normal(size=n_rows) > 0).astype(int)
    return frame


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks io_intake", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "io_intake.txt"))
    args = parser.parse_args(argv)

    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import KBinsDiscretizer, OrdinalEncoder, TargetEncoder

    from featkit.io import encode_discrete, encode_numeric, iter_batches, prepare_features, read_table

    table = make_table(args.rows)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "intake.csv"
        table.to_csv(path, index=False)
        size_mb = path.stat().st_size / 1e6

        t_pd, frame_pd = best_of(lambda: pd.read_csv(path), args.repeat)
        t_fk, frame = best_of(lambda: read_table(path), args.repeat)
        assert frame.shape == frame_pd.shape
        rows.append(("read CSV", "read_table", t_fk, "pandas.read_csv", t_pd))

        t_pd, _ = best_of(lambda: sum(len(c) for c in pd.read_csv(path, chunksize=16384)), args.repeat)
        t_fk, n = best_of(lambda: sum(len(b) for b in iter_batches(path, batch_size=16384)), args.repeat)
        assert n == args.rows
        rows.append(("stream CSV (16384-row batches)", "iter_batches", t_fk, "read_csv(chunksize)", t_pd))

        def typed_chunks():
            # What iter_batches promises: the same dtypes in every batch (numbers as float64).
            head = pd.read_csv(path, nrows=16384)
            dtypes = {c: "float64" for c in head if head[c].dtype.kind in "iuf"}
            return sum(len(c) for c in pd.read_csv(path, chunksize=16384, dtype=dtypes))

        t_typed, _ = best_of(typed_chunks, args.repeat)
        rows.append(("  same, pandas with fixed dtypes", "iter_batches", t_fk, "read_csv(chunksize, dtype)", t_typed))

    t_prep, data = best_of(lambda: prepare_features(frame, "y"), args.repeat)
    rows.append(("type columns + target", "prepare_features", t_prep, "-", float("nan")))

    X, y = data.X, data.y.to_numpy()
    cat_cols = [c.name for c in data.columns if c.kind == "categorical"]
    num_cols = [c.name for c in data.columns if c.kind == "numeric"]

    def sklearn_numeric():
        from sklearn.model_selection import StratifiedKFold

        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        enc = TargetEncoder(cv=folds).fit_transform(
            X[cat_cols].astype(object).to_numpy(), y
        )
        num = SimpleImputer(strategy="median").fit_transform(X[num_cols].to_numpy())
        return np.column_stack([num, enc])

    t_fk, ours = best_of(lambda: encode_numeric(X, data.columns, data.y, data.task), args.repeat)
    t_sk, theirs = best_of(sklearn_numeric, args.repeat)
    assert ours.shape == theirs.shape
    rows.append(("numeric encoding (target enc.)", "encode_numeric", t_fk, "TargetEncoder+SimpleImputer", t_sk))
    # Agreement of the two cross-fitted encodings (different folds and priors, same idea).
    idx = [X.columns.get_loc(c) for c in cat_cols]
    agree = [np.corrcoef(ours[:, i], theirs[:, len(num_cols) + k])[0, 1] for k, i in enumerate(idx)]

    def sklearn_discrete():
        num = SimpleImputer(strategy="median").fit_transform(X[num_cols].to_numpy())
        bins = KBinsDiscretizer(n_bins=10, encode="ordinal", strategy="quantile", quantile_method="linear").fit_transform(num)
        cats = OrdinalEncoder().fit_transform(X[cat_cols].astype(object).to_numpy())
        return np.column_stack([bins, cats])

    t_fk, _ = best_of(lambda: encode_discrete(X, data.columns, n_bins=10), args.repeat)
    t_sk, _ = best_of(sklearn_discrete, args.repeat)
    rows.append(("discrete codes (10 quantile bins)", "encode_discrete", t_fk, "KBinsDiscretizer+OrdinalEncoder", t_sk))

    lines = [
        f"featkit data intake benchmark: {args.rows:,} rows x 50 features (+ target), CSV {size_mb:.0f} MB",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pandas {pd.__version__}; SHARED machine (2 cores, other jobs running), best of {args.repeat}",
        "",
        f"{'step':36s} {'featkit':>10s} {'baseline':>10s} {'ratio':>7s}  (featkit call / baseline)",
    ]
    for step, ours_name, t_ours, base_name, t_base in rows:
        ratio = t_ours / t_base if np.isfinite(t_base) else float("nan")
        base = f"{t_base:9.3f}s" if np.isfinite(t_base) else f"{'-':>10s}"
        lines.append(f"{step:36s} {t_ours:9.3f}s {base} {ratio:7.2f}  ({ours_name} / {base_name})")
    lines += [
        "",
        "ratio < 1: featkit faster. Correlation of featkit's and scikit-learn's cross-fitted",
        "target encodings per categorical column (different folds and priors): "
        + ", ".join(f"{a:.3f}" for a in agree),
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
