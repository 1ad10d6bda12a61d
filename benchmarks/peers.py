"""mRMR, ReliefF, Boruta: featkit vs mrmr-selection, skrebate and BorutaPy, side by side.

The peers are benchmark-only dependencies; install them next to featkit::

    pip install mrmr-selection==0.2.8 skrebate==0.8.4 boruta
    python -m benchmarks peers                    # the issue's sizes
    python -m benchmarks peers --parts mrmr --quick

For each method, one run of each tool on the same table, the same parameters:

* mrmr: 10,000 x 1,000 classification table, K = 100; ``mrmr_classif`` (n_jobs=1,
  the machine is shared) vs ``MRMR(max_steps=100)``: same selection order?
  length of the common prefix, time ratio;
* relieff: 5,000 x 500 (continuous) classification table, k = 10;
  ``skrebate.ReliefF(n_neighbors=10)`` vs ``ReliefF(n_neighbors=10)``: max |score
  difference|, time ratio;
* boruta: generated tables with known truth and breast_cancer; BorutaPy with
  the random forest of its README (``max_depth=5``, ``class_weight="balanced"``,
  ``n_estimators="auto"``) vs featkit's default; the confirmed sets' Jaccard
  index, recall of the truth, time ratio; and featkit with the same forest as
  BorutaPy (identical decisions expected).

Results go to ``benchmarks/results/peers.txt`` (``--out`` to change).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results" / "peers.txt"


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def timed_cpu(fn):
    """Wall and CPU seconds (all threads of this process): on a shared machine the
    CPU time is the steadier measure of two single-threaded tools."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def jaccard(a, b):
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 1.0


def part_mrmr(out, quick):
    from mrmr import mrmr_classif
    from sklearn.datasets import make_classification

    from featkit.selection import MRMR

    n, d, k = (2000, 200, 30) if quick else (10_000, 1_000, 100)
    X, y = make_classification(n, d, n_informative=20, n_redundant=80, random_state=0)
    df = pd.DataFrame(X, columns=[f"c{i}" for i in range(d)])
    ref, t_ref = timed(lambda: mrmr_classif(df, pd.Series(y), K=k, show_progress=False, n_jobs=1))
    ours, t_ours = timed(lambda: MRMR(max_steps=k).fit(X, y).selection_order_.tolist())
    ref = [int(c[1:]) for c in ref]
    prefix = next((i for i, (a, b) in enumerate(zip(ref, ours)) if a != b), min(len(ref), len(ours)))
    out(f"mrmr  {n} x {d}, K={k}: same order={ref == ours} (common prefix {prefix}/{k}), "
        f"Jaccard {jaccard(ref, ours):.3f}; mrmr-selection {t_ref:.2f} s, featkit {t_ours:.3f} s, "
        f"{t_ref / t_ours:.1f}x faster")


def part_relieff(out, quick):
    from skrebate import ReliefF as SkReliefF

    from featkit.selection import ReliefF

    n, d = (1500, 100) if quick else (5000, 500)
    rng = np.random.default_rng(0)
    X = rng.random((n, d))
    y = ((X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, t_ref, c_ref = timed_cpu(
            lambda: SkReliefF(n_neighbors=10).fit(X.copy(), y).feature_importances_)
    ours, t_ours, c_ours = timed_cpu(lambda: ReliefF(n_neighbors=10).fit(X, y).scores_)
    top_ref, top_ours = np.argsort(-ref)[:10], np.argsort(-ours)[:10]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out(f"relieff {n} x {d}, k=10: max |score diff| {np.abs(ref - ours).max():.2e}, same top-10 "
        f"{top_ref.tolist() == top_ours.tolist()}; skrebate {t_ref:.2f} s (CPU {c_ref:.2f} s), "
        f"featkit {t_ours:.2f} s (CPU {c_ours:.2f} s), {t_ref / t_ours:.1f}x faster "
        f"({c_ref / c_ours:.1f}x in CPU time; load average {load:.1f})")


def part_boruta(out, quick):
    from boruta import BorutaPy
    from sklearn.datasets import load_breast_cancer, make_classification
    from sklearn.ensemble import RandomForestClassifier

    from featkit.selection import Boruta

    tables = []
    sizes = [(1000, 50, 8)] if quick else [(1000, 50, 8), (1000, 100, 10)]
    for n, d, inf in sizes:
        X, y = make_classification(n, d, n_informative=inf, n_redundant=0, n_repeated=0,
                                   shuffle=False, random_state=0)
        tables.append((f"generated {n} x {d} ({inf} informative)", X, y, set(range(inf))))
    Xb, yb = load_breast_cancer(return_X_y=True)
    tables.append(("breast_cancer 569 x 30", Xb, yb, None))
    for name, X, y, truth in tables:
        def forest():
            return RandomForestClassifier(n_jobs=-1, class_weight="balanced", max_depth=5)

        ref, t_ref = timed(lambda: BorutaPy(forest(), n_estimators="auto", random_state=1).fit(X, y))
        ours, t_ours = timed(lambda: Boruta(random_state=1).fit(X, y))
        ref_set = np.flatnonzero(ref.support_)
        ours_set = np.flatnonzero(ours.confirmed_)
        recall = "" if truth is None else (
            f", recall of truth BorutaPy {len(truth & set(ref_set)) / len(truth):.2f} / "
            f"featkit {len(truth & set(ours_set)) / len(truth):.2f}"
        )
        out(f"boruta {name}: confirmed BorutaPy {len(ref_set)}, featkit {len(ours_set)}, "
            f"Jaccard {jaccard(ref_set, ours_set):.3f}{recall}; BorutaPy (RF, auto trees) "
            f"{t_ref:.1f} s, featkit (ExtraTrees 50) {t_ours:.1f} s, {t_ref / t_ours:.1f}x faster")
        same, _ = timed(lambda: Boruta(estimator=RandomForestClassifier(
            n_estimators=50, max_depth=5, class_weight="balanced", n_jobs=-1), max_iter=30,
            random_state=1).fit(X, y))
        # featkit fits on its canonical column order; BorutaPy gets the same order
        order = same.canonical_order_
        inverse = np.argsort(order)
        ref_same = BorutaPy(RandomForestClassifier(n_estimators=50, max_depth=5, class_weight="balanced",
                                                   n_jobs=-1), n_estimators=50, max_iter=30,
                            random_state=1).fit(X[:, order], y)
        out(f"       same forest (50 trees, 30 rounds, same column order): identical confirmed "
            f"{bool((same.confirmed_ == ref_same.support_[inverse]).all())}, identical ranking "
            f"{bool((same.boruta_ranking_ == ref_same.ranking_[inverse]).all())}")


PARTS = {"mrmr": part_mrmr, "relieff": part_relieff, "boruta": part_boruta}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS))
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    out(f"peers benchmark ({'quick' if args.quick else 'issue sizes'})")
    for name in args.parts.split(","):
        PARTS[name.strip()](out, args.quick)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
