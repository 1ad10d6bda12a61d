"""The Dask engine (issue #14): a Parquet folder several times one worker's memory, ranked and reduced.

One run, side by side on the same folder of Parquet parts (numeric float32
columns and a few categoricals, as integer codes or with ``--categoricals strings``
as text, a binary target ``y`` driven by a known informative subset):

* ``featkit rank FOLDER -t y -m f_test,variance,outrank,gradient_boosting --engine dask``
  with ``--workers 1`` and ``--workers 2`` (a ``LocalCluster`` whose workers have
  ``--memory-limit``);
* the single-process streaming path ``featkit rank FOLDER -t y -m outrank --stream``;
* the in-memory run of the same three methods (only when the table is small
  enough to load here, i.e. ``--quick``, or with ``--in-memory``);
* ``featkit reduce FOLDER -k 5 -o out.parquet --engine dask`` against ``--stream``.

Each command runs in a fresh process. Reported: wall time, the peak RSS of the
largest Dask worker process and of the client process (psutil, sampled every
0.2 s over the command's descendants), and whether the answers agree: the
top-10 of each method that two runs share, and for ``reduce`` the largest
difference of the scores (up to each component's sign).

Run: ``python -m benchmarks distributed`` (2 workers x 600 MiB, ~3 GiB of
data) or ``--quick`` (2 x 512 MiB, ~600 MiB). A worker holds ~350 MiB before
any data, so smaller limits pause it for good. Writes
benchmarks/results/distributed.txt (``--output`` to change).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "distributed.txt"
METHODS = ("f_test", "variance", "outrank", "gradient_boosting")
N_NUMERIC = 48
N_CATEGORICAL = 4
ROWS_PER_PART = 50_000
# Informative columns, known before the data is drawn: the truth the top-10s are checked against.
INFORMATIVE = ("x00", "x01", "x02", "x03", "x04", "x05", "c0", "c1")
MiB = 1 << 20


# ------------------------------------------------------------------ the data
def make_part(n_rows: int, seed: int, categoricals: str = "codes"):
    """One part as a pandas DataFrame: ``x00..`` float32, ``c0..`` int32 codes (or strings), ``y`` in {0, 1}."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    cols, logit = {}, np.zeros(n_rows)
    for j in range(N_NUMERIC):
        x = rng.standard_normal(n_rows).astype(np.float32)
        if j < 6:  # linear, step and quadratic effects, as in main_job's tall table
            logit += (x, np.tanh(2 * x), x * x - 1)[j % 3] * (1.0 if j % 2 else -1.0)
        cols[f"x{j:02d}"] = x
    for j in range(N_CATEGORICAL):
        card = (5, 20, 100, 1000)[j]
        codes = rng.integers(0, card, n_rows)
        if j < 2:
            # Level effects fixed by the column, not the part: every part shares one truth.
            logit += np.random.default_rng(1000 + j).normal(0, 1.0, card)[codes]
        # Strings send the reduction methods to the gathered sample on Dask until categoricals
        # are encoded on the cluster (docs/distributed.md, Benchmark): codes are the default.
        cols[f"c{j}"] = (codes.astype(np.int32) if categoricals == "codes"
                         else np.array([f"v{k}" for k in range(card)], dtype=object)[codes])
    y = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return pd.DataFrame({"y": y, **cols})


def write_parts(folder, n_parts: int, rows_per_part: int = ROWS_PER_PART, seed: int = 0,
                categoricals: str = "codes") -> int:
    """Write ``n_parts`` Parquet parts into ``folder``; returns the table's in-memory bytes.

    The bytes are pandas' ``memory_usage(deep=True)`` of each part, summed: the
    size that "several times one worker's memory" is measured against.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n_parts):
        part = make_part(rows_per_part, seed * 100_003 + i, categoricals)
        total += int(part.memory_usage(deep=True).sum())
        part.to_parquet(folder / f"part-{i:04d}.parquet", index=False)
    return total


def parts_for(target_bytes: int, rows_per_part: int = ROWS_PER_PART, categoricals: str = "codes") -> int:
    """How many parts make about ``target_bytes`` in memory (measured on a small part)."""
    probe = make_part(2_000, seed=0, categoricals=categoricals)
    per_row = probe.memory_usage(deep=True).sum() / len(probe)
    return max(2, math.ceil(target_bytes / (per_row * rows_per_part)))


# ------------------------------------------------------------------ running
def _featkit_exe() -> list[str]:
    exe = shutil.which("featkit", path=str(Path(sys.executable).parent)) or shutil.which("featkit")
    return [exe] if exe else [sys.executable, "-m", "featkit_cli"]


def run_sampled(cmd, timeout: float) -> dict:
    """Run ``cmd``; wall time, return code, the client's and the largest descendant's peak RSS.

    A ``LocalCluster``'s workers are the only long-lived descendants of the
    command, so the largest descendant peak is the largest worker's peak.
    """
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peaks: dict[int, int] = {}
    client_peak, timed_out = 0, False
    while proc.poll() is None:
        try:
            client_peak = max(client_peak, root.memory_info().rss)
            for child in root.children(recursive=True):
                try:
                    peaks[child.pid] = max(peaks.get(child.pid, 0), child.memory_info().rss)
                except psutil.Error:  # it ended between the listing and the read
                    pass
        except psutil.Error:
            pass
        if time.perf_counter() - start > timeout:
            proc.kill()
            timed_out = True
            break
        time.sleep(0.2)
    proc.wait()
    err = proc.stderr.read().decode(errors="replace").strip()
    return {"wall": time.perf_counter() - start, "rc": None if timed_out else proc.returncode,
            "load": os.getloadavg()[1],  # the 5-minute average as the command ends: how shared the cores were
            "client_mib": client_peak / MiB,
            "worker_mib": max(peaks.values()) / MiB if peaks else float("nan"),
            "error": err.splitlines()[-1] if proc.returncode and err else ""}


def notes(path) -> list:
    """The notes of a saved ``featkit rank`` JSON (which methods ran on every row, which on a sample)."""
    return list(json.loads(Path(path).read_text()).get("notes", []))


def top10(path) -> dict:
    """Top-10 feature names of each method in a saved ``featkit rank`` JSON."""
    result = json.loads(Path(path).read_text())
    names = np.asarray(result["features"], dtype=object)
    tops = {}
    for name, method in result["methods"].items():
        ranking = np.asarray(method["ranking"], dtype=float)
        order = np.lexsort((names.astype(str), ranking))  # ties by name, as RankingResult.top
        tops[name] = [str(n) for n in names[order[:10]]]
    return tops


def score_difference(a, b) -> float:
    """Largest |a - b| of two score files relative to the largest |a|, each component's sign aligned first."""
    import pandas as pd

    fa, fb = pd.read_parquet(a), pd.read_parquet(b)
    cols = [c for c in fa.columns if c in fb.columns and np.issubdtype(fa[c].dtype, np.floating)]
    if len(fa) != len(fb) or not cols:
        return float("nan")
    worst, scale = 0.0, 0.0
    for c in cols:
        x, y = fa[c].to_numpy(float), fb[c].to_numpy(float)
        sign = 1.0 if np.dot(x, y) >= 0 else -1.0  # a component is defined up to its sign
        worst = max(worst, float(np.max(np.abs(x - sign * y))))
        scale = max(scale, float(np.max(np.abs(x))))
    return worst / scale if scale else worst


def agreement(tops_a: dict, tops_b: dict) -> str:
    shared = [m for m in tops_a if m in tops_b]
    if not shared:
        return "no method in common"
    return ", ".join(f"{m} {'same' if tops_a[m] == tops_b[m] else 'DIFFERENT'}" for m in shared)


# ------------------------------------------------------------------ the benchmark
def main(argv=None) -> int:
    from featkit import parse_size

    ap = argparse.ArgumentParser(prog="python -m benchmarks distributed",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="~600 MiB of data, 2 workers x 512 MiB (minutes)")
    ap.add_argument("--data-size", default=None, help="in-memory size of the table (default 3GiB, quick 600MiB)")
    ap.add_argument("--memory-limit", default=None, help="per worker (default 600MiB, quick 512MiB)")
    ap.add_argument("--in-memory", action="store_true",
                    help="also rank in memory when the table is larger than --quick's")
    ap.add_argument("--categoricals", choices=("codes", "strings"), default="codes",
                    help="categorical columns as int32 codes (default) or as text")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per command")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    data_bytes = parse_size(args.data_size or ("600MiB" if args.quick else "3GiB"))
    # A worker holds ~350 MiB before any data (pandas, pyarrow, scikit-learn, featkit) and
    # Dask pauses it at 80% of its limit: below ~512 MiB a worker pauses for good.
    limit = args.memory_limit or ("512MiB" if args.quick else "600MiB")
    timeout = args.timeout or (300 if args.quick else 1800)
    in_memory = args.in_memory or data_bytes <= 600 * MiB
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    say("featkit Dask engine benchmark" + (" (--quick)" if args.quick else ""))
    say(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} at start (a shared machine inflates wall times; "
        "ratios within this run are what count)")
    say(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    with tempfile.TemporaryDirectory(prefix="featkit-dbench-") as tmp:
        tmp = Path(tmp)
        folder = tmp / "parts"
        n_parts = parts_for(data_bytes, categoricals=args.categoricals)
        t = time.perf_counter()
        size = write_parts(folder, n_parts, categoricals=args.categoricals)
        disk = sum(f.stat().st_size for f in folder.iterdir())
        limit_bytes = parse_size(limit)
        say(f"data: {n_parts} Parquet parts x {ROWS_PER_PART:,} rows = {n_parts * ROWS_PER_PART:,} rows x "
            f"{N_NUMERIC} float32 + {N_CATEGORICAL} categorical columns as "
            f"{'int32 codes' if args.categoricals == 'codes' else 'strings'} (cardinality 5..1000) + y; {size / MiB:,.0f} MiB in memory "
            f"({size / limit_bytes:.1f}x one worker's {limit}), {disk / MiB:,.0f} MiB on disk "
            f"(written in {time.perf_counter() - t:.0f} s); informative: {', '.join(INFORMATIVE)}")
        say()
        exe = _featkit_exe()
        rank = [*exe, "rank", str(folder), "-t", "y", "--quiet"]
        runs, tops = [], {}

        def record(label, cmd, json_out=None):
            r = run_sampled(cmd, timeout)
            r["label"] = label
            runs.append(r)
            if r["rc"] == 0 and json_out is not None:
                tops[label] = top10(json_out)
                r["notes"] = notes(json_out)
            status = "ok" if r["rc"] == 0 else (f"timed out after {timeout:.0f} s" if r["rc"] is None
                                               else f"exit {r['rc']}: {r['error']}")
            print(f"  {label}: {r['wall']:.1f} s, {status}", flush=True)
            return r

        for workers in (1, 2):
            out = tmp / f"dask{workers}.json"
            record(f"rank dask {workers} worker{'s' if workers > 1 else ''}",
                   rank + ["-m", ",".join(METHODS), "--engine", "dask", "--workers", str(workers),
                           "--memory-limit", limit, "-o", str(out)], out)
        out = tmp / "stream.json"
        record("rank --stream (outrank)", [*exe, "rank", str(folder), "-t", "y", "--quiet", "-m", "outrank",
                                           "--stream", "-o", str(out)], out)
        if in_memory:
            out = tmp / "memory.json"
            record("rank in memory", rank + ["-m", ",".join(METHODS), "-o", str(out)], out)
        reduce = [*exe, "reduce", str(folder), "-k", "5", "-t", "y", "--quiet"]
        record("reduce dask 2 workers", reduce + ["--engine", "dask", "--workers", "2", "--memory-limit",
                                                  limit, "-o", str(tmp / "dask.parquet")])
        record("reduce --stream", reduce + ["--stream", "-o", str(tmp / "stream.parquet")])

        say(f"{'command':<28} {'wall s':>8} {'worker peak MiB':>16} {'client peak MiB':>16} {'load':>5}  status")
        for r in runs:
            status = "ok" if r["rc"] == 0 else ("timeout" if r["rc"] is None else f"exit {r['rc']}")
            worker = "-" if "dask" not in r["label"] else f"{r['worker_mib']:,.0f}"
            say(f"{r['label']:<28} {r['wall']:>8.1f} {worker:>16} {r['client_mib']:>16,.0f} {r['load']:>5.1f}  {status}")
            if r["error"]:
                say(f"    {r['error']}")
            for note in r.get("notes", []):
                say(f"    note: {note}")
        say()
        say("answers (top-10 of each method, ties by name):")
        labels = list(tops)
        for i, a in enumerate(labels):
            for b in labels[i + 1:]:
                say(f"  {a} vs {b}: {agreement(tops[a], tops[b])}")
        for label, t10 in tops.items():
            for method, names in t10.items():
                found = sum(n in INFORMATIVE for n in names)
                say(f"  {label} {method}: {found}/{len(INFORMATIVE)} informative in top-10: {', '.join(names)}")
        if (tmp / "dask.parquet").exists() and (tmp / "stream.parquet").exists():
            say(f"  reduce dask vs --stream: max |score difference| / max |score| {score_difference(tmp / 'dask.parquet', tmp / 'stream.parquet'):.2e}"
                " (signs aligned per component)")
        by = {r["label"]: r for r in runs}
        d1, d2 = by.get("rank dask 1 worker"), by.get("rank dask 2 workers")
        st = by.get("rank --stream (outrank)")
        if d1 and d2 and d1["rc"] == 0 and d2["rc"] == 0:
            say(f"  rank: 2 workers / 1 worker wall time {d2['wall'] / d1['wall']:.2f}x; "
                f"dask (2 workers, {len(METHODS)} methods) / --stream (outrank only) {d2['wall'] / st['wall']:.2f}x"
                if st and st["rc"] == 0 else
                f"  rank: 2 workers / 1 worker wall time {d2['wall'] / d1['wall']:.2f}x")
        say()
        say(f"rerun: python -m benchmarks distributed{' --quick' if args.quick else ''}"
            f"{' --categoricals strings' if args.categoricals == 'strings' else ''}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
