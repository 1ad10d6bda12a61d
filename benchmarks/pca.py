"""featkit PCA vs scikit-learn PCA: time, peak memory, explained variance; streaming; GPU.

Run from the repository root::

    python -m benchmarks.pca                 # every case, prints a table
    python -m benchmarks.pca --quick         # smaller shapes (a smoke run)
    python -m benchmarks.pca --out benchmarks/results/pca.txt

Every case runs in a fresh subprocess so that its peak memory (``VmHWM`` of
``/proc/self/status``, which also sees BLAS/LAPACK buffers that tracemalloc
misses) belongs to it alone; the peak is reset after the data is built, so
"extra" is what the fit itself added on top of the data. Beside every time is
the GEMM bound: ``2 n d^2`` flops (one ``X^T X``) at the float32 GEMM rate
measured on this machine in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHAPES = {"tall": (1_000_000, 256, 20), "wide": (100_000, 2_000, 20)}
QUICK_SHAPES = {"tall": (100_000, 128, 10), "wide": (10_000, 1_000, 10)}
STREAM_BUDGET = 256 * 1024**2
QUICK_STREAM_BUDGET = 16 * 1024**2


# ------------------------------------------------------------------ in a case
def _vm(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def make_data(n, d, seed=0, rank=None):
    """float32 data with a decaying spectrum (rank-``rank`` signal plus noise), built in chunks."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rank = rank or min(d, 64)
    basis = np.linalg.qr(rng.standard_normal((d, rank)))[0].T.astype(np.float32)
    scales = (10.0 * 0.9 ** np.arange(rank)).astype(np.float32)
    X = np.empty((n, d), dtype=np.float32)
    step = 65536
    for s in range(0, n, step):
        m = min(step, n - s)
        X[s:s + m] = (rng.standard_normal((m, rank), dtype=np.float32) * scales) @ basis
        X[s:s + m] += rng.standard_normal((m, d), dtype=np.float32)
        X[s:s + m] += 5.0  # a common offset: centring matters
    return X


def run_case(spec):
    import numpy as np

    n, d, k = spec["n"], spec["d"], spec["k"]
    X = np.load(spec["data"]) if spec.get("data") else make_data(n, d)
    if spec["impl"] == "featkit-gpu":
        import cupy

        X = cupy.asarray(X)
        cupy.cuda.Device().synchronize()
    if spec["impl"].startswith("featkit"):
        from featkit.decomposition import PCA

        est = PCA(k, solver=spec["solver"], random_state=0, device="cpu" if spec["impl"] == "featkit" else "auto")
    else:
        from sklearn.decomposition import PCA

        est = PCA(k, svd_solver=spec["solver"], random_state=0)
    base = _vm("VmRSS")  # data and imports in place
    reset = _reset_peak()
    times = []
    # repeated fits (best of up to five, within ~20 s): run-to-run noise on this
    # machine is 10-30% for a one-second fit
    while len(times) < 5 and sum(times) < 20:
        t0 = time.perf_counter()
        est.fit(X)
        if spec["impl"] == "featkit-gpu":
            import cupy

            cupy.cuda.Device().synchronize()
        times.append(time.perf_counter() - t0)
    seconds = min(times)
    peak = _vm("VmHWM")
    ratio = est.explained_variance_ratio_
    ratio = ratio.get() if hasattr(ratio, "get") else np.asarray(ratio)
    return {
        "seconds": seconds,
        "peak": peak,
        "extra": peak - base if reset else None,
        "data_bytes": X.nbytes,
        "ev_ratio_sum": float(np.sum(ratio)),
        "solver_used": getattr(est, "solver_", getattr(est, "_fit_svd_solver", spec["solver"])),
        "components_dtype": str(est.components_.dtype),
    }


def gemm_rate(seconds=3.0):
    """Float32 GEMM rate (flop/s) of a 4096^3 product, best of a few."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((4096, 4096), dtype=np.float32)
    best = np.inf
    a @ a
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        t = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t)
    return 2 * 4096**3 / best


# ------------------------------------------------------------------ driver
def _subprocess(payload, timeout=600):
    cmd = [sys.executable, "-m", "benchmarks.pca", "--case", json.dumps(payload)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        return {"error": (res.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def _stream_case(budget, quick):
    """Write a Parquet file 3x the budget, then `featkit reduce` it in a child with that budget."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = 64 if quick else 128
    rows_needed = 3 * budget // (d * 4)
    folder = Path(tempfile.mkdtemp(prefix="featkit-pca-bench-"))
    path = folder / "big.parquet"
    writer = None
    written = 0
    step = 131072
    while written < rows_needed:
        m = min(step, rows_needed - written)
        X = make_data(m, d, seed=written)
        table = pa.Table.from_arrays([pa.array(X[:, j]) for j in range(d)], names=[f"f{j}" for j in range(d)])
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="none", use_dictionary=False)
        writer.write_table(table, row_group_size=65536)
        written += m
    writer.close()
    size = path.stat().st_size
    out = folder / "scores.parquet"
    # the same command on a 10-row file: the interpreter and its imports alone
    tiny = folder / "tiny.parquet"
    pq.write_table(pq.ParquetFile(path).read_row_group(0).slice(0, 10), tiny)
    base_args = ["reduce", str(tiny), "--n-components", "2", "--output", str(folder / "tiny_scores.parquet"),
                 "--stream", "--quiet"]
    args = ["reduce", str(path), "--n-components", "20", "--output", str(out), "--memory-budget", str(budget),
            "--quiet"]
    t0 = time.perf_counter()
    peak, err = _cli_peak(args)
    seconds = time.perf_counter() - t0
    import_peak, _ = _cli_peak(base_args)
    result = {
        "rows": written, "cols": d, "file_bytes": size, "budget": budget, "seconds": seconds,
        "peak": peak, "import_peak": import_peak,
        "ok": out.exists(), "error": err.strip().splitlines()[-1] if err.strip() else "",
    }
    if out.exists():
        result["out_rows"] = pq.ParquetFile(out).metadata.num_rows
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    return result


# The CLI run in a child that reports its own VmHWM when it exits (the rusage
# of a forked child also counts the parent's pages from before exec).
_CLI_WRAPPER = """
import sys
sys.argv = ["featkit"] + sys.argv[2:]
out = sys.argv.pop(1)
try:
    from featkit_cli.app import main
    code = main(sys.argv[1:])
finally:
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
    open(out, "w").write(hwm)
sys.exit(code)
"""


def _cli_peak(args):
    with tempfile.NamedTemporaryFile("r", suffix=".hwm", delete=False) as fh:
        report = fh.name
    res = subprocess.run([sys.executable, "-c", _CLI_WRAPPER, "x", report] + args,
                         capture_output=True, text=True)
    try:
        peak = int(Path(report).read_text() or 0) * 1024
    finally:
        Path(report).unlink()
    return peak, res.stderr


def _mib(b):
    return f"{b / 1024**2:,.0f} MiB"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="small shapes (smoke run)")
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--skip-stream", action="store_true")
    args = parser.parse_args(argv)
    if args.case:
        spec = json.loads(args.case)
        result = {"gemm_rate": gemm_rate()} if spec.get("impl") == "gemm" else run_case(spec)
        print(json.dumps(result))
        return 0

    from featkit._array import gpu_available

    shapes = QUICK_SHAPES if args.quick else SHAPES
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    started = time.perf_counter()
    say("featkit PCA vs scikit-learn PCA (one run; every case in a fresh subprocess)")
    say(f"machine: {os.cpu_count()} CPU cores, shared with other jobs while this ran: "
        "times are noisy, compare the ratios within one run")
    import numpy
    import sklearn

    say(f"numpy {numpy.__version__}, scikit-learn {sklearn.__version__}; load average at the start "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rate = _subprocess({"impl": "gemm"})["gemm_rate"]
    say("columns: fit s = wall time of fit() (best of up to five fits, within ~20 s, in each of two subprocesses run in forward and reverse order; peak = the larger of the two); x bound = fit s / GEMM bound; peak = VmHWM of the process "
        "(interpreter + data + fit); fit extra = peak above the RSS just before fit() (VmHWM reset "
        "there); peak/data = peak / data bytes")
    say(f"measured float32 GEMM rate: {rate / 1e9:,.0f} GFLOP/s (4096^3, best of several)")
    say()
    cases = {
        "tall": [("sklearn", "auto"), ("sklearn", "covariance_eigh"), ("featkit", "auto")],
        "wide": [("sklearn", "auto"), ("sklearn", "covariance_eigh"), ("featkit", "auto"),
                 ("featkit", "covariance_eigh"), ("featkit", "randomized")],
    }
    if gpu_available():
        for name in cases:
            cases[name].append(("featkit-gpu", "auto"))
    cache = Path(tempfile.mkdtemp(prefix="featkit-pca-bench-data-"))
    for name, (n, d, k) in shapes.items():
        import numpy as np

        data_file = cache / f"{name}.npy"
        np.save(data_file, make_data(n, d))  # built once, loaded by every case
        bound = 2.0 * n * d * d / rate
        say(f"{name}: {n:,} x {d:,} float32, {k} components; data {_mib(n * d * 4)}; "
            f"GEMM bound (2 n d^2 at {rate / 1e9:,.0f} GFLOP/s) = {bound:.2f} s")
        header = f"  {'implementation':34s} {'fit s':>8s} {'x bound':>8s} {'peak':>10s} {'fit extra':>10s} " \
                 f"{'peak/data':>9s} {'EV ratio sum':>13s}  solver used"
        say(header)
        results = {}
        # every case runs in two subprocesses, in forward then reverse order: a
        # process's place in the sequence alone moved its time by up to ~20%
        order = cases[name] + cases[name][::-1]
        for impl, solver in order:
            r = _subprocess({"impl": impl, "solver": solver, "n": n, "d": d, "k": k, "data": str(data_file)})
            prev = results.get((impl, solver))
            if prev is not None and "seconds" in prev and "seconds" in r:
                r = {**r, "seconds": min(r["seconds"], prev["seconds"]), "peak": max(r["peak"], prev["peak"]),
                     "extra": (max(r["extra"], prev["extra"])
                               if r["extra"] is not None and prev["extra"] is not None else None)}
            results[(impl, solver)] = r
        for impl, solver in cases[name]:
            r = results[(impl, solver)]
            label = f"{impl} solver={solver}"
            if "error" in r:
                say(f"  {label:34s} failed: {r['error']}")
                continue
            extra = _mib(r["extra"]) if r["extra"] is not None else "n/a"
            say(f"  {label:34s} {r['seconds']:8.2f} {r['seconds'] / bound:8.2f} {_mib(r['peak']):>10s} "
                f"{extra:>10s} {r['peak'] / r['data_bytes']:9.2f} {r['ev_ratio_sum']:13.6f}  {r['solver_used']}")
        ours = results.get(("featkit", "auto"), {})
        if "seconds" in ours:
            for impl, solver in cases[name]:
                r = results[(impl, solver)]
                if impl == "sklearn" and "seconds" in r:
                    say(f"  ratio featkit auto / sklearn {solver}: time {ours['seconds'] / r['seconds']:.2f}, "
                        f"peak memory {ours['peak'] / r['peak']:.2f}, EV ratio sum "
                        f"{ours['ev_ratio_sum'] - r['ev_ratio_sum']:+.2e}")
        data_file.unlink()
        gpu = results.get(("featkit-gpu", "auto"))
        if gpu and "seconds" in gpu and "seconds" in ours:
            say(f"  GPU (CuPy) vs CPU featkit: {ours['seconds'] / gpu['seconds']:.1f}x faster")
        say()
    cache.rmdir()
    if not gpu_available():
        say("GPU: CuPy does not see a CUDA GPU here: the CuPy cases were skipped "
            "(run this script on a GPU machine to add them).")
        say()
    if not args.skip_stream:
        budget = QUICK_STREAM_BUDGET if args.quick else STREAM_BUDGET
        s = _stream_case(budget, args.quick)
        say(f"streaming: `featkit reduce big.parquet --n-components 20 --memory-budget {_mib(budget)}` "
            f"on a {s['rows']:,} x {s['cols']} float32 Parquet file of {_mib(s['file_bytes'])} "
            f"({s['file_bytes'] / budget:.1f}x the budget)")
        if s["ok"]:
            say(f"  two passes (fit, then transform and write {s['out_rows']:,} rows) in {s['seconds']:.1f} s; "
                f"peak RSS {_mib(s['peak'])} (interpreter + imports alone: {_mib(s['import_peak'])}; "
                f"data part {_mib(s['peak'] - s['import_peak'])} = "
                f"{(s['peak'] - s['import_peak']) / budget:.2f}x the budget)")
        else:
            say(f"  failed: {s['error']}")
    say(f"total benchmark time {time.perf_counter() - started:.0f} s; load average at the end "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other jobs)")
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
