"""OutRank on Dask: the client's peak memory and wall time of `rank -m outrank --engine dask` on a Parquet folder.

The folder is the one ``benchmarks/distributed.py`` writes (48 float32 columns,
four int32 categoricals, a binary ``y``). Each command runs in a fresh process,
sampled by :func:`benchmarks.distributed.run_sampled` (client RSS, the largest
worker's RSS). ``--featkit-path`` runs another checkout of featkit (an older
commit, unpacked with ``git archive``) through ``PYTHONPATH`` so that a before /
after pair is measured on the same folder within one run; ``--methods`` picks
the methods (default ``outrank``; ``outrank_3mr`` runs 3MR on every row).

Run: ``python -m benchmarks distributed_outrank --rows 2500000 [--featkit-path OLD]``.
Results are appended to ``benchmarks/results/distributed_outrank.txt``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.distributed import ROWS_PER_PART, _featkit_exe, run_sampled, top10, write_parts

RESULTS = Path(__file__).parent / "results" / "distributed_outrank.txt"
MiB = 1 << 20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks distributed_outrank",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_500_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="900MiB")
    ap.add_argument("--methods", default="outrank")
    ap.add_argument("--sample", type=int, default=None, help="rows of the client's sample pass (--sample)")
    ap.add_argument("--featkit-path", action="append", default=[],
                    help="LABEL=PATH of another featkit checkout to run first (repeatable)")
    ap.add_argument("--no-self", action="store_true", help="run only the --featkit-path checkouts")
    ap.add_argument("--self-first", action="store_true", help="run this checkout before the others")
    ap.add_argument("--folder", type=Path, default=None, help="reuse a folder of parts")
    ap.add_argument("--timeout", type=float, default=1200)
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    with tempfile.TemporaryDirectory(prefix="featkit-obench-") as tmp:
        tmp = Path(tmp)
        folder = args.folder or tmp / "parts"
        n_parts = max(2, -(-args.rows // ROWS_PER_PART))
        if not folder.exists():
            size = write_parts(folder, n_parts)
            say(f"data: {n_parts} parts x {ROWS_PER_PART:,} rows, {size / MiB:,.0f} MiB in memory")
        say(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores; "
            f"load average {os.getloadavg()[0]:.1f} at start")
        runs = [(label, path) for label, path in (s.split("=", 1) for s in args.featkit_path)]
        if args.self_first:
            runs.insert(0, ("this checkout", None))
        elif not args.no_self:
            runs.append(("this checkout", None))
        tops = {}
        for label, path in runs:
            out = tmp / f"{len(tops)}.json"
            cmd = [*_featkit_exe(), "rank", str(folder), "-t", "y", "--quiet", "-m", args.methods,
                   "--engine", "dask", "--workers", str(args.workers), "--memory-limit", args.memory_limit,
                   "-o", str(out)] + ([] if args.sample is None else ["--sample", str(args.sample)])
            env_path = os.environ.get("PYTHONPATH")
            if path is not None:
                os.environ["PYTHONPATH"] = path
            try:
                load = os.getloadavg()[0]
                r = run_sampled(cmd, args.timeout)
            finally:
                if path is not None:
                    if env_path is None:
                        os.environ.pop("PYTHONPATH")
                    else:
                        os.environ["PYTHONPATH"] = env_path
            status = "ok" if r["rc"] == 0 else f"failed: {r['error']}"
            say(f"{label:<16} -m {args.methods}: wall {r['wall']:.1f} s, client peak {r['client_mib']:,.0f} MiB, "
                f"largest worker {r['worker_mib']:,.0f} MiB (load {load:.1f} at start, "
                f"{os.getloadavg()[0]:.1f} at end), {status}")
            if r["rc"] == 0:
                tops[label] = top10(out)
        labels = list(tops)
        for other in labels[1:]:
            same = tops[other] == tops[labels[0]]
            say(f"top-10 {labels[0]} vs {other}: {'identical' if same else 'DIFFERENT'}")
        say()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"appended to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
