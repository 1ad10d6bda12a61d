"""HTML report: generation time and size on a 100,000 x 100 table, against ydata-profiling.

Steps on a synthetic mixed-type table (``make_benchmark``: 100,000 rows, 100 feature
columns incl. categoricals, an ID column, target ``y``):

1. the ranking itself: ``rank_features(..., methods=f_test,variance, model="lightgbm")``
   (not part of the report's cost; shown for scale);
2. ``evaluate_ranking`` (selection curves, bootstrap stability, agreement, redundancy)
   with its defaults -- the work ``featkit report`` adds beyond the ranking;
3. ``write_report`` (rendering only) and the file size.

Target: steps 2 + 3 under 10 s and the file under 5 MB. For comparison, the tool a
user would otherwise reach for to get an HTML report of a table: ydata-profiling
``ProfileReport(frame, minimal=True).to_file(...)`` on the same table, run in a
separate interpreter given by ``--ydata-python`` (it pins other pandas/numpy versions;
skipped when not given / not importable).

Run: ``python -m benchmarks report [--rows N] [--ydata-python /path/to/python]``.
Writes benchmarks/results/report.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "report.txt"

YDATA_SCRIPT = textwrap.dedent('''
    import json, sys, time, warnings
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    import pandas as pd
    from ydata_profiling import ProfileReport
    t_import = time.perf_counter() - t0
    frame = pd.read_parquet(sys.argv[1]) if sys.argv[1].endswith(".parquet") else pd.read_csv(sys.argv[1])
    t = time.perf_counter()
    ProfileReport(frame, minimal=True, progress_bar=False, title="ydata").to_file(sys.argv[2])
    print(json.dumps({"seconds": time.perf_counter() - t, "import": t_import}))
''')


def _table(n_rows: int, seed: int = 0):
    from featkit.datasets import make_benchmark

    # 5 + 3 + 2 + 86 numeric, 2 + 2 categorical = 100 feature columns (+ id, + y).
    bench = make_benchmark(n_rows, n_informative=5, n_redundant=3, n_repeated=2, n_noise=86,
                           n_categorical_informative=2, n_categorical_noise=2, id_column=True,
                           random_state=seed)
    return bench.frame


def _ydata(python: str, frame, workdir: Path):
    data = workdir / "table.csv"
    frame.to_csv(data, index=False)
    out = workdir / "ydata.html"
    script = workdir / "ydata_run.py"
    script.write_text(YDATA_SCRIPT)
    t = time.perf_counter()
    proc = subprocess.run([python, str(script), str(data), str(out)], capture_output=True, text=True,
                          timeout=900)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["bytes"] = out.stat().st_size
    info["wall"] = wall
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks report", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--ydata-python", default=os.environ.get("FEATKIT_BENCH_YDATA_PYTHON"),
                        help="Interpreter with ydata-profiling installed (optional).")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)

    import numpy as np

    import featkit
    from featkit.evaluation import evaluate_ranking
    from featkit.io import encode_numeric, prepare_features
    from featkit.ranking import rank_features
    from featkit.report import write_report
    from featkit.sections import EvaluationSection

    frame = _table(args.rows)
    n_features = frame.shape[1] - 2
    lines = [f"featkit {featkit.__version__} report benchmark -- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}; "
             "SHARED with other jobs running at the same time (timings are wall clock, one run).",
             f"table: make_benchmark, {args.rows:,} rows x {n_features} feature columns "
             "(96 numeric at mixed scales, 4 categorical) + ID column + target y (classification)", ""]

    t = time.perf_counter()
    result = rank_features(frame, "y", methods=["f_test", "variance"], model="lightgbm", random_state=0)
    t_rank = time.perf_counter() - t

    # The same matrix rank_features hands to the evaluation.
    prepared = prepare_features(frame, "y", random_state=0)
    info = {c.name: c for c in prepared.columns}
    X_num = encode_numeric(prepared.X, [info[c] for c in prepared.X.columns], prepared.y,
                           prepared.task, impute=True, random_state=0)
    t = time.perf_counter()
    c = time.process_time()
    result.sections.evaluation = EvaluationSection.from_dict(
        evaluate_ranking(result, X_num, prepared.y, task=prepared.task, random_state=0))
    t_eval = time.perf_counter() - t
    c_eval = time.process_time() - c
    ev_seconds = result.sections.evaluation.seconds

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        c = time.process_time()
        path = write_report(result, tmp / "report.html")
        t_write = time.perf_counter() - t
        c_write = time.process_time() - c
        size = path.stat().st_size
        ydata = None
        if args.ydata_python:
            ydata = _ydata(args.ydata_python, frame, tmp)

    beyond = t_eval + t_write
    beyond_cpu = c_eval + c_write
    curves = result.sections.evaluation.curves or {}
    lines += [
        "featkit",
        f"  ranking itself (f_test, variance, lightgbm SHAP+gain)   {t_rank:8.2f} s   (not counted)",
        f"  evaluate_ranking (curves, stability, agreement, redund.) {t_eval:8.2f} s"
        f"   [curves {ev_seconds.get('curves', 0):.2f}, stability {ev_seconds.get('stability', 0):.2f}, "
        f"redundancy {ev_seconds.get('redundancy', 0):.2f}]",
        f"  write_report (render + atomic write)                    {t_write:8.2f} s",
        f"  report generation beyond the ranking                    {beyond:8.2f} s   target < 10 s: "
        f"{'met' if beyond < 10 else 'NOT met'}",
        f"  ... as CPU time of this process (evaluate + write)       {beyond_cpu:8.2f} s",
        f"  selection curves complete (not cut by the time budget)  {'yes' if not curves.get('truncated') else 'NO'}",
        f"  report size                                             {size / 1e6:8.2f} MB  target < 5 MB: "
        f"{'met' if size < 5e6 else 'NOT met'}",
        "",
    ]
    if ydata is None:
        lines.append("ydata-profiling: not run (pass --ydata-python /path/to/python with it installed)")
    elif "error" in ydata:
        lines.append(f"ydata-profiling: failed: {ydata['error']}")
    else:
        lines += [
            "ydata-profiling ProfileReport(minimal=True).to_file (separate interpreter)",
            f"  profile + write                                         {ydata['seconds']:8.2f} s",
            f"  report size                                             {ydata['bytes'] / 1e6:8.2f} MB",
            "",
            "side by side (featkit report beyond the ranking vs ydata-profiling minimal)",
            f"  time   featkit {beyond:.2f} s vs ydata {ydata['seconds']:.2f} s  "
            f"-> ratio ydata/featkit = {ydata['seconds'] / beyond:.2f}x",
            f"  size   featkit {size / 1e6:.2f} MB vs ydata {ydata['bytes'] / 1e6:.2f} MB  "
            f"-> ratio ydata/featkit = {ydata['bytes'] / size:.2f}x",
            "  (not the same content: ydata profiles each column; featkit's report covers ranking,",
            "   selection curves, stability, agreement, redundancy and SHAP -- the comparison is the",
            "   cost of getting an HTML report of a table with the usual tool)",
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    _ = np  # numpy imported early so its import time is not charged to the steps
    return 0


if __name__ == "__main__":
    sys.exit(main())
