"""The Dask benchmark's pieces that need no cluster, and the CLI's ``--memory-limit``."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyarrow")
from benchmarks import distributed as bench  # noqa: E402


def test_write_parts_writes_readable_parts_with_the_known_truth(tmp_path):
    size = bench.write_parts(tmp_path / "parts", 3, rows_per_part=500, seed=1)
    parts = sorted((tmp_path / "parts").glob("*.parquet"))
    assert len(parts) == 3
    frames = [pd.read_parquet(p) for p in parts]
    assert all(len(f) == 500 for f in frames)
    assert size == sum(int(f.memory_usage(deep=True).sum()) for f in frames)
    columns = frames[0].columns
    assert columns[0] == "y" and set(bench.INFORMATIVE) <= set(columns)
    assert {"x00", f"x{bench.N_NUMERIC - 1:02d}", f"c{bench.N_CATEGORICAL - 1}"} <= set(columns)
    assert set(np.unique(frames[0]["y"])) == {0, 1}
    # different parts are different rows, not copies of one
    assert not frames[0]["x00"].equals(frames[1]["x00"])
    assert frames[0]["c0"].dtype == np.int32
    bench.write_parts(tmp_path / "text", 1, rows_per_part=50, categoricals="strings")
    text = pd.read_parquet(next((tmp_path / "text").glob("*.parquet")))
    assert text["c0"].str.startswith("v").all()


def test_parts_for_scales_with_the_size():
    small, large = bench.parts_for(10 << 20, rows_per_part=1000), bench.parts_for(100 << 20, rows_per_part=1000)
    assert 2 <= small < large
    assert 8 <= large / small <= 11


def test_top10_and_score_difference(tmp_path):
    names = [f"f{i}" for i in range(12)]
    ranking = list(range(12, 0, -1))  # f11 best
    (tmp_path / "r.json").write_text(json.dumps({"features": names,
                                                 "methods": {"m": {"ranking": ranking}}}))
    assert bench.top10(tmp_path / "r.json") == {"m": [f"f{i}" for i in range(11, 1, -1)]}
    a = pd.DataFrame({"PC1": [1.0, -2.0, 4.0], "PC2": [0.5, 0.0, -1.0]})
    b = pd.DataFrame({"PC1": [-1.0, 2.0, -4.0], "PC2": [0.5, 0.0, -0.6]})  # PC1 flipped, PC2 off by 0.4
    a.to_parquet(tmp_path / "a.parquet")
    b.to_parquet(tmp_path / "b.parquet")
    assert bench.score_difference(tmp_path / "a.parquet", tmp_path / "b.parquet") == pytest.approx(0.4 / 4)
    assert bench.agreement({"m": ["a"], "n": ["b"]}, {"m": ["a"], "n": ["c"]}) == "m same, n DIFFERENT"


def test_memory_limit_option():
    from cli.rank import _memory_limit

    assert _memory_limit(None) == "auto"
    assert _memory_limit("400MiB") == 400 << 20


@pytest.mark.parametrize("command", [["rank", "-t", "y"], ["reduce", "-k", "2", "-o", "out.parquet"]])
def test_cli_bad_memory_limit_is_one_line_and_exit_2(tmp_path, command):
    bench.write_parts(tmp_path / "parts", 2, rows_per_part=50)
    args = [command[0], str(tmp_path / "parts"), *command[1:]]
    if command[0] == "reduce":
        args[args.index("out.parquet")] = str(tmp_path / "out.parquet")
    run = subprocess.run([sys.executable, "-m", "cli", *args, "--engine", "dask", "--memory-limit", "lots"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "--memory-limit 'lots'" in run.stderr
