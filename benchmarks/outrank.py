"""OutRank: featkit vs the reference ``outrank`` package, side by side in one run.

Run it in an environment that has both (the reference is not a featkit dependency)::

    python3 -m venv /work/venv-outrank
    /work/venv-outrank/bin/pip install -c constraints-ci.txt -e .
    /work/venv-outrank/bin/pip install outrank "xxhash<4"
    /work/venv-outrank/bin/python -m benchmarks.outrank            # 1M rows
    /work/venv-outrank/bin/python -m benchmarks.outrank --rows 200000 --out results.txt

What it does:

1. writes a synthetic click-log-like CSV (about 50 categorical columns with
   cardinalities 2..100,000, an ID column, missing values in some columns, a
   binary click label driven by 10 known columns);
2. ranks it end to end (CSV -> scores) with ``featkit.selection.outrank_file``
   and with the reference CLI, each in its own process::

       outrank --task ranking --data_source csv-raw --data_path DIR \\
           --heuristic MI-numba-randomized --target_ranking_only True \\
           --subsampling 1 --minibatch_size 16384 --label_column label \\
           --num_threads 2 --disable_tqdm True --output_folder OUT
       outrank --task ranking_summary --output_folder OUT --label_column label \\
           --heuristic MI-numba-randomized

   and reports wall time, peak memory (largest process), the largest score
   difference, Spearman's rho of the scores and the top-10 of each;
3. checks 3MR against the reference's own ``rank_features_3MR`` fed with its
   ``mutual_info_estimator_numba`` pair scores (the reference CLI's
   ``MI-numba-3mr`` heuristic scores every pair 0.0 in outrank 0.97.5);
4. optionally (``--caravan``, the CoIL 2000 table as shipped in the ISLP wheel:
   ``pip download --no-deps islp==0.6.0``) a real-data check.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_RELEVANT = 10


# ------------------------------------------------------------------ the data
def make_click_log(n_rows: int, seed: int = 0):
    """A click-log-like table: returns (pyarrow Table, cardinalities, relevant names)."""
    import pyarrow as pa

    rng = np.random.RandomState(seed)
    cards = np.unique(np.round(np.geomspace(2, 100_000, 49)).astype(int))
    while cards.size < 49:  # geomspace repeats small values after rounding
        cards = np.unique(np.append(cards, rng.randint(3, 100_000)))
    names = [f"f{j:02d}" for j in range(cards.size)]
    relevant_idx = np.linspace(0, cards.size - 4, N_RELEVANT).round().astype(int)
    columns, logit = {}, np.full(n_rows, -1.2)
    for j, (name, card) in enumerate(zip(names, cards)):
        # heavy-tailed value frequencies, values unrelated to their frequency
        codes = np.minimum((card * rng.random_sample(n_rows) ** 2.5).astype(np.int64), card - 1)
        values = rng.permutation(card)[codes]
        if j in relevant_idx:
            effect = rng.normal(0, 0.9 if card < 1000 else 1.6, card)
            logit += effect[values]
        mask = None
        if j % 6 == 5:  # some columns are often missing
            mask = rng.random_sample(n_rows) < 0.05 + 0.07 * (j % 5)
        columns[name] = pa.array(values.astype(np.int32), mask=mask)
    columns["row_id"] = pa.array(rng.permutation(n_rows).astype(np.int64) + 10_000_000)
    label = (rng.random_sample(n_rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    table = pa.table({"label": pa.array(label), **columns})
    card_map = dict(zip(names, cards.tolist()))
    card_map["row_id"] = n_rows
    return table, card_map, [names[j] for j in relevant_idx]


def write_csv(table, path: Path):
    import pyarrow.csv as pacsv

    path.parent.mkdir(parents=True, exist_ok=True)
    # the reference splits the header on commas, so it must not be quoted
    with open(path, "wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(include_header=False,
                                                                   quoting_style="none"))


# ----------------------------------------------------------------- the runs
_OURS = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from featkit.selection._outrank import outrank_file
features, scores, extra = outrank_file(sys.argv[1], "label", batch_size=int(sys.argv[2]), n_bins=None)
seconds = time.perf_counter() - t0
print(json.dumps({"features": features, "scores": scores.tolist(),
                  "normalized": extra["normalized_scores"], "labels": extra["label"],
                  "seconds_in_process": seconds,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

_WRAP = r"""
import resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(rc, time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_ours(csv_path: Path, batch_size: int) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _OURS, str(csv_path), str(batch_size)],
                         capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["seconds"] = time.perf_counter() - t0
    return res


def _outrank_cli() -> str:
    exe = Path(sys.executable).with_name("outrank")
    return str(exe) if exe.exists() else "outrank"


def run_reference(data_dir: Path, out_dir: Path, batch_size: int, threads: int) -> dict:
    import pandas as pd

    common = ["--label_column", "label", "--heuristic", "MI-numba-randomized",
              "--output_folder", str(out_dir), "--disable_tqdm", "True"]
    rank = [_outrank_cli(), "--task", "ranking", "--data_source", "csv-raw",
            "--data_path", str(data_dir), "--target_ranking_only", "True", "--subsampling", "1",
            "--minibatch_size", str(batch_size), "--num_threads", str(threads)] + common
    summary = [_outrank_cli(), "--task", "ranking_summary", "--data_path", str(data_dir)] + common
    seconds, peak = 0.0, 0
    cwd = out_dir.parent  # the CLI writes a checkpoint file into the working directory
    for cmd in (rank, summary):
        out = subprocess.run([sys.executable, "-c", _WRAP] + cmd, capture_output=True, text=True,
                             check=True, cwd=cwd)
        rc, sec, rss = out.stdout.split()
        if int(rc) != 0:
            raise RuntimeError(f"outrank failed: {' '.join(cmd)}")
        seconds += float(sec)
        peak = max(peak, int(rss))
    pairs = pd.read_csv(out_dir / "pairwise_ranks.tsv", sep="\t")
    pairs = pairs[pairs.FeatureB.str.split("-").str[0] == "label"]
    raw = {a.rsplit("-(", 1)[0]: float(s) for a, s in zip(pairs.FeatureA, pairs.Score)}
    singles = pd.read_csv(out_dir / "feature_singles.tsv", sep="\t")
    norm = {f.rsplit("-(", 1)[0]: float(s) for f, s in zip(singles.Feature, singles.iloc[:, 1])}
    labels = {f.rsplit("-(", 1)[0]: f for f in singles.Feature}
    return {"raw": raw, "normalized": norm, "labels": labels, "seconds": seconds,
            "maxrss_kb": peak, "command": " ".join(rank[:1] + ["..."] + rank[1:])}


# ------------------------------------------------------------------ 3MR check
def check_3mr(n_rows: int = 20_000, batch_size: int = 5000, seed: int = 1) -> list[str]:
    """Our OutRank3MR vs the reference's greedy (rank_features_3MR) fed with the
    reference estimator's own pair scores, following its task_ranking glue."""
    import itertools

    import pandas as pd
    from outrank.algorithms.feature_ranking.ranking_mi_numba import mutual_info_estimator_numba
    from outrank.algorithms.importance_estimator import rank_features_3MR

    from featkit.selection import OutRank3MR

    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n_rows)
    a = np.where(rng.rand(n_rows) < 0.75, y, rng.randint(0, 2, n_rows))
    cols = {
        "a": a, "a_copy": np.where(rng.rand(n_rows) < 0.95, a, 1 - a),
        "b": np.where(rng.rand(n_rows) < 0.6, y * 2 + rng.randint(0, 2, n_rows), rng.randint(0, 4, n_rows)),
        "c": rng.randint(0, 3, n_rows), "d": rng.randint(0, 50, n_rows),
        "xor1": rng.randint(0, 2, n_rows),
    }
    cols["xor2"] = np.where(rng.rand(n_rows) < 0.8, cols["xor1"] ^ y, rng.randint(0, 2, n_rows))
    cols["e"] = np.where(rng.rand(n_rows) < 0.3, y, rng.randint(0, 5, n_rows))
    frame = pd.DataFrame(cols)
    frame = frame[sorted(frame.columns)]  # position order = sorted-name order (see below)
    names = list(frame.columns)
    ours = OutRank3MR(batch_size=batch_size, n_bins=None).fit(frame, y)

    def est(first, second):  # reference estimator: `second` is the conditioning column
        return float(mutual_info_estimator_numba(first.astype(np.int32), second.astype(np.int32),
                                                 np.float32(1.0), True))

    rel, red, relation, self_pairs = {}, {}, {}, {}
    batches = [(s, s + batch_size) for s in range(0, n_rows, batch_size)]
    for s, e in batches:
        codes = {n: pd.Series(frame[n].to_numpy()[s:e]).astype(str).astype("category").cat.codes.to_numpy()
                 for n in names}
        yc = pd.Series(y[s:e]).astype(str).astype("category").cat.codes.to_numpy()
        for n in names:
            rel.setdefault(n, []).append(est(codes[n], yc))
            self_pairs.setdefault(n, []).append(est(codes[n], codes[n]))  # plain MI = entropy
        for i, j in itertools.combinations(range(len(names)), 2):
            first, second = names[i], names[j]
            red.setdefault((first, second), []).append(est(codes[first], codes[second]))
            joint = (pd.Series(frame[first].to_numpy()[s:e]).astype(str) + "|"
                     + pd.Series(frame[second].to_numpy()[s:e]).astype(str))
            jc = joint.astype("category").cat.codes.to_numpy()
            relation.setdefault((first, second), []).append(est(jc, yc))

    def norm(d):
        v = {k: float(np.median(x)) for k, x in d.items()}
        lo, hi = min(v.values()), max(v.values())
        return {k: (x - lo) / (hi - lo) for k, x in v.items()}

    rel_n = norm(rel)
    red_all = {**red, **{(n, n): x for n, x in self_pairs.items()}}
    red_n = norm(red_all)
    red_n.update({(b, a_): x for (a_, b), x in list(red_n.items())})
    rel_pairs = norm(relation)
    rel_pairs.update({(b, a_): x for (a_, b), x in list(rel_pairs.items())})
    reference = rank_features_3MR(rel_n, red_n, rel_pairs)
    ref_order = reference.Feature.tolist()
    our_order = [names[i] for i in ours.order_]
    lines = [
        f"3MR check ({n_rows:,} rows, {len(names)} features, batches of {batch_size:,}):",
        f"  reference rank_features_3MR order: {ref_order}",
        f"  featkit OutRank3MR order:          {our_order}",
        f"  identical: {ref_order == our_order}",
        "  (redundancy conditions on the later column, the reference on the later sorted name:",
        "   the column names here are in sorted order, so both are the same pairs)",
    ]
    return lines


# -------------------------------------------------------------- real data
def caravan_check(source: str, seed: int = 0) -> list[str]:
    """CoIL 2000 (Caravan, 5,822 customers, 85 coded socio-demographic and
    product-ownership columns, target Purchase): OutRank vs plain MI."""
    import zipfile

    import pandas as pd
    from sklearn.feature_selection import mutual_info_classif
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from featkit.selection import OutRank

    if source.endswith(".whl"):
        with zipfile.ZipFile(source) as whl:
            frame = pd.read_csv(io.BytesIO(whl.read("ISLP/data/Caravan.csv")))
    else:
        frame = pd.read_csv(source)
    y = (frame.pop("Purchase") == "Yes").astype(int).to_numpy()
    X = frame
    est = OutRank(n_bins=None).fit(X, y)
    plain = mutual_info_classif(X.to_numpy(), y, discrete_features=True)
    top_or = list(X.columns[np.argsort(-est.scores_)[:10]])
    top_mi = list(X.columns[np.argsort(-plain)[:10]])
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)

    def auc(cols):
        model = make_pipeline(OneHotEncoder(handle_unknown="ignore", min_frequency=5),
                              LogisticRegression(max_iter=2000, C=0.1))
        return cross_val_score(model, X[cols], y, cv=cv, scoring="roc_auc").mean()

    rng = np.random.RandomState(seed)
    random_auc = np.mean([auc(list(rng.choice(X.columns, 10, replace=False))) for _ in range(5)])
    card = X.nunique()
    lines = [
        f"Real data: CoIL 2000 / Caravan ({len(X):,} rows, {X.shape[1]} coded columns, "
        f"{y.mean():.1%} buyers), one batch:",
        "  OutRank top-10:  " + ", ".join(f"{c}({card[c]})" for c in top_or),
        "  plain MI top-10: " + ", ".join(f"{c}({card[c]})" for c in top_mi),
        f"  5-fold ROC AUC of a one-hot logistic regression on the 10 columns: OutRank {auc(top_or):.3f}, "
        f"plain MI {auc(top_mi):.3f}, random 10 (mean of 5) {random_auc:.3f}",
        f"  Spearman(OutRank, plain MI) over the 85 columns: "
        f"{_spearman(est.scores_, plain):.3f}",
    ]
    return lines


def plain_mi_line(csv_path: Path, feats, s_ours) -> str:
    """Where plain (uncorrected) discrete MI, scikit-learn's mutual_info_classif,
    puts the ID column and how it agrees with OutRank."""
    import pandas as pd
    from sklearn.feature_selection import mutual_info_classif

    frame = pd.read_csv(csv_path)
    y = frame.pop("label").to_numpy()
    X = frame[feats].fillna(-1).to_numpy(dtype=np.int64)
    t0 = time.perf_counter()
    plain = mutual_info_classif(X, y, discrete_features=True)
    seconds = time.perf_counter() - t0
    order = [feats[i] for i in np.argsort(-plain, kind="stable")]
    return (f"plain MI (scikit-learn mutual_info_classif, discrete_features=True, in memory, "
            f"{seconds:.1f} s): 'row_id' rank {order.index('row_id') + 1}, top-5 {order[:5]}; "
            f"Spearman with OutRank {_spearman(plain, s_ours):.3f}")


def _spearman(a, b) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


# ---------------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows of the side-by-side run")
    parser.add_argument("--scale-rows", type=int, default=None,
                        help="also stream a table of this many rows with featkit alone")
    parser.add_argument("--batch-size", type=int, default=16384)
    parser.add_argument("--threads", type=int, default=2, help="reference --num_threads")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--caravan", default=None, help="Caravan.csv or the ISLP wheel")
    parser.add_argument("--out", default=None, help="also write the report here")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args(argv)

    have_ref = shutil.which(_outrank_cli()) is not None or Path(_outrank_cli()).exists()
    lines = [
        "OutRank benchmark: featkit vs outrank (MI-numba-randomized), end to end CSV -> scores",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "SHARED machine (2 cores, other jobs running): timings are indicative",
    ]
    try:
        import outrank  # noqa: F401
        from importlib.metadata import version

        lines.append(f"outrank {version('outrank')}, numba {version('numba')}, "
                     f"featkit {version('featkit')}, numpy {np.__version__}")
    except ImportError:
        have_ref = False
        lines.append("outrank not installed: featkit only")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="outrank_bench_"))
    data_dir = work / "data"
    t0 = time.perf_counter()
    table, cards, relevant = make_click_log(args.rows)
    write_csv(table, data_dir / "data.csv")
    del table
    size_mb = (data_dir / "data.csv").stat().st_size / 2**20
    lines.append(f"data: {args.rows:,} rows x {len(cards)} feature columns + label, "
                 f"cardinalities 2..{max(v for k, v in cards.items() if k != 'row_id'):,} "
                 f"+ an ID column, {size_mb:.0f} MiB CSV (made in {time.perf_counter() - t0:.0f} s); "
                 f"relevant: {', '.join(relevant)}")
    print("\n".join(lines), flush=True)

    ours = run_ours(data_dir / "data.csv", args.batch_size)
    feats = ours["features"]
    s_ours = np.array(ours["scores"])
    ranked = [feats[i] for i in np.argsort(-s_ours, kind="stable")]
    block = [
        "",
        f"featkit outrank_file: {ours['seconds']:.1f} s wall (process incl. imports), "
        f"peak RSS {ours['maxrss_kb'] / 1024:.0f} MiB",
        f"  relevant columns in featkit's top-{N_RELEVANT}: "
        f"{len(set(ranked[:N_RELEVANT]) & set(relevant))}/{N_RELEVANT}; "
        f"ID column 'row_id' rank {ranked.index('row_id') + 1} of {len(feats)}, "
        f"score {s_ours[feats.index('row_id')]:.2e}",
    ]
    block.append(plain_mi_line(data_dir / "data.csv", feats, s_ours))
    if have_ref and not args.skip_reference:
        ref = run_reference(data_dir, work / "ref_out", args.batch_size, args.threads)
        s_ref = np.array([ref["raw"][f] for f in feats])
        n_ref = np.array([ref["normalized"][f] for f in feats])
        top_ours = ranked[:10]
        top_ref = [feats[i] for i in np.argsort(-s_ref, kind="stable")[:10]]
        block += [
            f"outrank CLI (ranking + ranking_summary, --num_threads {args.threads}): "
            f"{ref['seconds']:.1f} s wall, peak RSS (largest process) {ref['maxrss_kb'] / 1024:.0f} MiB",
            f"  command: {ref['command']}",
            "",
            f"speed-up (outrank / featkit wall time): {ref['seconds'] / ours['seconds']:.1f}x",
            f"outrank ran at {args.rows / ref['seconds']:,.0f} rows/s here: a 1,000,000-row run would "
            f"take about {1e6 / (args.rows / ref['seconds']) / 60:.0f} min"
            + (f", so the side-by-side uses {args.rows:,} rows" if args.rows < 1_000_000 else ""),
            f"max |score difference|: {np.max(np.abs(s_ours - s_ref)):.2e} (raw), "
            f"{np.max(np.abs(np.array(ours['normalized']) - n_ref)):.2e} (normalised feature_singles)",
            f"Spearman rho of scores: {_spearman(s_ours, s_ref):.6f}",
            f"top-10 featkit: {top_ours}",
            f"top-10 outrank: {top_ref}",
            f"same top-10 (same order): {top_ours == top_ref}",
            f"cardinality/coverage labels equal: "
            f"{sum(lab == ref['labels'][f] for f, lab in zip(feats, ours['labels']))}/{len(feats)}"
            + "".join(f"; {lab} vs {ref['labels'][f]}" for f, lab in zip(feats, ours["labels"])
                      if lab != ref["labels"][f])
            + " (both estimate large cardinalities with HyperLogLog)",
            "",
            f"{'feature':<8} {'card':>8} {'featkit':>12} {'outrank':>12}  label (featkit)",
        ]
        for f in ranked:
            j = feats.index(f)
            block.append(f"{f:<8} {cards[f]:>8} {s_ours[j]:>12.6f} {s_ref[j]:>12.6f}  "
                         f"{ours['labels'][j]}{'  *relevant' if f in relevant else ''}")
    print("\n".join(block), flush=True)
    lines += block
    if args.scale_rows and args.scale_rows != args.rows:
        table, cards_big, relevant_big = make_click_log(args.scale_rows)
        big = work / "big" / "data.csv"
        write_csv(table, big)
        del table
        res = run_ours(big, args.batch_size)
        order = [res["features"][i] for i in np.argsort(-np.array(res["scores"]), kind="stable")]
        extra = [
            "",
            f"featkit alone at {args.scale_rows:,} rows ({big.stat().st_size / 2**20:.0f} MiB CSV, streamed): "
            f"{res['seconds']:.1f} s wall, {args.scale_rows / res['seconds']:,.0f} rows/s, "
            f"peak RSS {res['maxrss_kb'] / 1024:.0f} MiB",
            f"  relevant columns in top-{N_RELEVANT}: "
            f"{len(set(order[:N_RELEVANT]) & set(relevant_big))}/{N_RELEVANT}; top-10: {order[:10]}; "
            f"'row_id' rank {order.index('row_id') + 1}",
        ]
        print("\n".join(extra), flush=True)
        lines += extra
    if have_ref:
        extra = [""] + check_3mr()
        print("\n".join(extra), flush=True)
        lines += extra
    if args.caravan:
        extra = [""] + caravan_check(args.caravan)
        print("\n".join(extra), flush=True)
        lines += extra
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
