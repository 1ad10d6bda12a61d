"""`featkit rank FOLDER --stream`: a folder or glob of parts streams as the one file they make."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from featkit.ranking import rank_file_streaming, should_stream


@pytest.fixture
def parts(tmp_path):
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.normal(size=(3000, 4)), columns=list("abcd"))
    df["k"] = rng.choice(["p", "q", "r"], 3000)
    df["y"] = ((df["a"] + (df["k"] == "q")) > 0.3).astype(int)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):  # parts of 1,000 rows: batches of 700 straddle the part boundaries
        df.iloc[i * 1000:(i + 1) * 1000].to_parquet(folder / f"p{i}.parquet", index=False)
    whole = tmp_path / "whole.parquet"
    df.to_parquet(whole, index=False)
    return folder, whole


def test_streamed_parts_equal_the_whole_file(parts):
    folder, whole = parts
    want = rank_file_streaming(whole, "y", methods="outrank", batch_size=700)
    for source in (folder, str(folder / "*.parquet")):
        got = rank_file_streaming(source, "y", methods="outrank", batch_size=700)
        assert got.features == want.features and got.n_rows == want.n_rows == 3000
        np.testing.assert_array_equal(got.methods["outrank"].scores, want.methods["outrank"].scores)


def test_should_stream_sizes_a_folder_by_its_parts(parts):
    folder, whole = parts
    size = whole.stat().st_size
    # the parts together pass a threshold that none of them passes alone
    assert should_stream(folder, "outrank", threshold_bytes=size // 2)
    assert not should_stream(folder, "outrank", threshold_bytes=10 * size)


def test_cli_rank_folder_stream(parts, tmp_path):
    folder, whole = parts
    outs = []
    for i, source in enumerate((str(folder), str(folder / "*.parquet"), str(whole))):
        outs.append(tmp_path / f"r{i}.json")
        run = subprocess.run([sys.executable, "-m", "cli", "rank", source, "-t", "y", "-m", "outrank",
                              "--stream", "--batch-size", "700", "-q", "-o", str(outs[-1])],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
    scores = [json.loads(o.read_text())["methods"]["outrank"]["scores"] for o in outs]
    assert scores[0] == scores[1] == scores[2]
