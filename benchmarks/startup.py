"""Start-up and `featkit rank` wall time against the same ranking in plain scikit-learn.

Times, each in a fresh process:

* ``import featkit`` (best of 5) against the imports the plain script needs
  (pandas + the scikit-learn modules), and against a bare ``python -c pass``;
* ``featkit --help`` (best of 5);
* ``featkit rank data.csv --target y`` on a synthetic 100,000 x 50 CSV with the
  default methods (f_test, mutual_info, random_forest, permutation, l1), against
  a plain scikit-learn script doing the same ranking with the same settings
  (read CSV with pandas, ``f_classif``, ``mutual_info_classif``, random-forest
  impurity importance, permutation importance of a forest on 25% held out,
  L1-logistic CV on standardised data, mean-rank consensus, write a CSV).

Run: ``python -m benchmarks startup`` (``--trees``/``--rows`` to scale; see ``--help``).
Writes benchmarks/results/startup.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "startup.txt"
WORK = Path(__file__).parent / "_work"  # generated data, kept between runs (git-ignored)

# The plain scikit-learn version of `featkit rank` with featkit's default settings.
PLAIN_SCRIPT = textwrap.dedent('''
    import inspect, json, sys, time
    t0 = time.perf_counter()
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_selection import f_classif, mutual_info_classif
    from sklearn.inspection import permutation_importance
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    steps = {"import": time.perf_counter() - t0}

    path, out, trees, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    t = time.perf_counter()
    frame = pd.read_csv(path)
    y = frame.pop("y").to_numpy()
    X = frame.to_numpy(dtype=float)
    steps["read"] = time.perf_counter() - t
    scores = {}

    t = time.perf_counter()
    scores["f_test"] = f_classif(X, y)[0]
    steps["f_test"] = time.perf_counter() - t

    t = time.perf_counter()
    scores["mutual_info"] = mutual_info_classif(X, y, n_neighbors=3, random_state=0)
    steps["mutual_info"] = time.perf_counter() - t

    t = time.perf_counter()
    forest = RandomForestClassifier(n_estimators=trees, max_features="sqrt", random_state=0)
    scores["random_forest"] = forest.fit(X, y).feature_importances_
    steps["random_forest"] = time.perf_counter() - t

    t = time.perf_counter()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    forest = RandomForestClassifier(n_estimators=trees, max_features="sqrt", random_state=0)
    forest.fit(X_tr, y_tr)
    scores["permutation"] = permutation_importance(
        forest, X_te, y_te, n_repeats=repeats, random_state=0).importances_mean
    steps["permutation"] = time.perf_counter() - t

    t = time.perf_counter()
    Xs = StandardScaler().fit_transform(X)
    kw = dict(Cs=8, cv=3, solver="liblinear", max_iter=2000, tol=1e-3, random_state=0,
              scoring="accuracy")
    params = inspect.signature(LogisticRegressionCV).parameters
    if params["penalty"].default == "deprecated":  # scikit-learn >= 1.8 spells L1 this way
        kw["l1_ratios"] = (1.0,)
    else:
        kw["penalty"] = "l1"
    if "use_legacy_attributes" in params:
        kw["use_legacy_attributes"] = False
    model = LogisticRegressionCV(**kw).fit(Xs, y)
    scores["l1"] = np.abs(np.atleast_2d(model.coef_)).mean(axis=0)
    steps["l1"] = time.perf_counter() - t

    t = time.perf_counter()
    table = pd.DataFrame(scores, index=frame.columns)
    ranks = table.rank(ascending=False, method="first")
    table["consensus"] = ranks.mean(axis=1)
    table = table.join(ranks, rsuffix="_rank").sort_values("consensus")
    table.to_csv(out, index_label="feature")
    steps["consensus+write"] = time.perf_counter() - t
    steps["total"] = time.perf_counter() - t0
    print(json.dumps({"steps": steps, "top10": table.index[:10].tolist()}))
''')


def _run_timed(cmd, **kwargs):
    """Run ``cmd``; return (completed process, wall seconds, CPU seconds of the child).

    CPU time (user + system) is reported next to wall time because the machine
    may be shared: it changes much less than wall time when other jobs compete.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, check=True, **kwargs)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc, wall, cpu


def _best_of(cmd, n=5, env=None):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - t)
    return min(times)


def _make_csv(path: Path, rows: int, cols: int, seed: int = 0) -> None:
    from sklearn.datasets import make_classification

    n_informative = max(1, min(10, cols // 5))
    X, y = make_classification(n_samples=rows, n_features=cols, n_informative=n_informative,
                               n_redundant=n_informative // 2,
                               n_repeated=0, random_state=seed, shuffle=True)
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"f{i:02d}" for i in range(cols)])
    frame["y"] = y
    frame.to_csv(path, index=False, float_format="%.6g")


def _featkit_exe() -> list[str]:
    exe = shutil.which("featkit", path=str(Path(sys.executable).parent)) or shutil.which("featkit")
    return [exe] if exe else [sys.executable, "-m", "featkit_cli"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks startup", description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--trees", type=int, default=200,
                    help="trees per forest on both sides (featkit's default is 200)")
    ap.add_argument("--repeats", type=int, default=5,
                    help="permutation repeats on both sides (featkit's default is 5)")
    ap.add_argument("--skip-rank", action="store_true", help="only time start-up")
    ap.add_argument("--output", type=Path, default=RESULTS)
    ap.add_argument("--note", default="", help="a line written into the results (why this scale)")
    args = ap.parse_args(argv)

    py = sys.executable
    featkit = _featkit_exe()
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    say("featkit start-up benchmark")
    say(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}; "
        "SHARED with other jobs while measuring (timings are noisy; ratios matter)")
    say(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    if args.note:
        say(f"note: {args.note}")
    say()

    bare = _best_of([py, "-c", "pass"])
    imp = _best_of([py, "-c", "import featkit"])
    imp_rank = _best_of([py, "-c", "import featkit.ranking"])
    plain_imports = _best_of([py, "-c", "import pandas, sklearn.ensemble, sklearn.feature_selection, "
                                        "sklearn.inspection, sklearn.linear_model"])
    helptime = _best_of(featkit + ["--help"])
    methods = _best_of(featkit + ["methods"])
    say("start-up (fresh process, best of 5)")
    say(f"  python -c pass                        {bare:7.3f} s")
    say(f"  python -c 'import featkit'            {imp:7.3f} s   ({imp - bare:+.3f} s over bare python)")
    say(f"  python -c 'import featkit.ranking'    {imp_rank:7.3f} s")
    say(f"  featkit --help                        {helptime:7.3f} s")
    say(f"  featkit methods                       {methods:7.3f} s")
    say(f"  plain imports (pandas + sklearn)      {plain_imports:7.3f} s")
    say(f"  ratio import featkit / plain imports  {imp / plain_imports:7.2f}")
    say(f"  ratio featkit --help / plain imports  {helptime / plain_imports:7.2f}")
    say()

    if not args.skip_rank:
        with tempfile.TemporaryDirectory(prefix="featkit-bench-") as tmp:
            tmp = Path(tmp)
            WORK.mkdir(exist_ok=True)
            data = WORK / f"startup_{args.rows}x{args.cols}.csv"
            t = time.perf_counter()
            if not data.exists():
                _make_csv(tmp / data.name, args.rows, args.cols)
                os.replace(tmp / data.name, data)
            say(f"rank: synthetic CSV {args.rows:,} x {args.cols} (+ target y; make_classification, "
                f"{max(1, min(10, args.cols // 5))} informative, {max(1, min(10, args.cols // 5)) // 2} redundant), {data.stat().st_size / 1e6:.1f} MB "
                f"(ready in {time.perf_counter() - t:.1f} s)")
            say(f"settings on both sides: forests of {args.trees} trees, {args.repeats} permutation "
                "repeats, mutual information k=3, L1-logistic CV (8 Cs, 3 folds), seed 0, 1 job")
            script = tmp / "plain.py"
            script.write_text(PLAIN_SCRIPT)

            plain, plain_wall, plain_cpu = _run_timed(
                [py, str(script), str(data), str(tmp / "plain.csv"), str(args.trees), str(args.repeats)],
                capture_output=True, text=True)
            plain_out = json.loads(plain.stdout.strip().splitlines()[-1])
            print(f"  plain scikit-learn script done: {plain_wall:.1f} s wall, {plain_cpu:.1f} s CPU",
                  flush=True)

            out = tmp / "featkit.json"
            cmd = featkit + ["rank", str(data), "--target", "y", "--output", str(out), "--quiet",
                             "-p", f"random_forest.n_estimators={args.trees}",
                             "-p", f"permutation.n_estimators={args.trees}",
                             "-p", f"permutation.n_repeats={args.repeats}"]
            _, fk_wall, fk_cpu = _run_timed(cmd, stdout=subprocess.DEVNULL)
            fk = json.loads(out.read_text())

            order = sorted(range(len(fk["features"])), key=lambda i: fk["consensus_rank"][i])
            fk_top = [fk["features"][i] for i in order[:10]]
            steps = plain_out["steps"]
            say()
            say(f"  {'step (wall s)':<22}{'featkit':>10}{'plain sklearn':>15}{'ratio':>8}")
            for name in ("f_test", "mutual_info", "random_forest", "permutation", "l1"):
                a, b = fk["methods"][name]["seconds"], steps[name]
                say(f"  {name:<22}{a:>10.2f}{b:>15.2f}{a / b:>8.2f}")
            say(f"  {'whole command, wall':<22}{fk_wall:>10.2f}{plain_wall:>15.2f}{fk_wall / plain_wall:>8.2f}")
            say(f"  {'whole command, CPU':<22}{fk_cpu:>10.2f}{plain_cpu:>15.2f}{fk_cpu / plain_cpu:>8.2f}")
            overhead = fk_wall - sum(fk["methods"][m]["seconds"] for m in fk["methods"])
            plain_overhead = plain_wall - sum(steps[m] for m in fk["methods"])
            say(f"  {'outside the methods':<22}{overhead:>10.2f}{plain_overhead:>15.2f}"
                f"{overhead / plain_overhead:>8.2f}   (start-up, reading, typing/encoding, writing)")
            shared = len(set(fk_top) & set(plain_out["top10"]))
            say(f"  consensus top-10 shared by both: {shared}/10")
            say(f"  featkit top-10: {', '.join(fk_top)}")
    say()
    flags = "".join(f" --{k} {v}" for k, v, d in (("rows", args.rows, 100_000), ("cols", args.cols, 50),
                                                   ("trees", args.trees, 200),
                                                   ("repeats", args.repeats, 5)) if v != d)
    say(f"rerun: python -m benchmarks startup{flags}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
