"""Peak memory of ``featkit rank`` (defaults) on the main job's tall table, whole process tree.

The main job benchmark reads ``ru_maxrss``, the largest single process; this
samples the summed RSS of ``featkit rank`` and every worker it starts (psutil,
every 0.05 s), so memory moved into worker processes is counted too. It also
saves the ranking, so two branches can be compared for identical answers.

Run: ``python -m benchmarks rank_memory --rows 200000 [--out ranking.json] [--n-jobs N]
[--table tall.parquet]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.main_job import _featkit_exe, make_tall


def tree_peak(cmd) -> tuple[float, float, float, int]:
    """(wall s, peak summed RSS MiB, peak summed PSS MiB of the process tree, return code).

    RSS counts a page that two workers share (a mapped file, the libraries) once
    per worker; PSS splits it between them, so its sum is the tree's real memory.
    """
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root, peak_rss, peak_pss = psutil.Process(proc.pid), 0, 0
    while proc.poll() is None:
        try:
            members = [root, *root.children(recursive=True)]
            rss = pss = 0
            for p in members:
                try:
                    info = p.memory_full_info()
                    rss, pss = rss + info.rss, pss + getattr(info, "pss", info.rss)
                except psutil.Error:
                    pass  # a worker that ended between the listing and the reading
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    err = proc.stderr.read().decode(errors="replace").strip()
    if proc.returncode:
        print(err, file=sys.stderr)
    return time.perf_counter() - t0, peak_rss / 2**20, peak_pss / 2**20, proc.returncode


def main(argv=None) -> int:
    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--out", default=None, help="keep the ranking JSON here")
    ap.add_argument("--n-jobs", type=int, default=None)
    ap.add_argument("--table", default=None,
                    help="the Parquet table to rank: made here if missing, reused if present")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.table or Path(tmp) / "tall.parquet")
        if not path.exists():
            make_tall(path, args.rows)
        table_mib = pd.read_parquet(path).memory_usage(deep=True).sum() / 2**20
        out = Path(args.out or Path(tmp) / "rank.json")
        cmd = _featkit_exe() + ["rank", str(path), "--target", "y", "-o", str(out), "--quiet"]
        if args.n_jobs:
            cmd += ["--n-jobs", str(args.n_jobs)]
        wall, peak, pss, rc = tree_peak(cmd)
    print(f"featkit rank, defaults, {args.rows:,} x 100 (table {table_mib:.0f} MiB in pandas); "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  wall {wall:.1f} s, peak RSS of the process tree {peak:.0f} MiB = "
          f"{peak / table_mib:.1f}x the table (PSS {pss:.0f} MiB = {pss / table_mib:.1f}x), rc {rc}")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
