"""A table given as a folder or a glob of parts reads as the whole table, in memory and streamed."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError
from featkit.io import iter_batches, read_table
from featkit.io._parts import expand_paths


@pytest.fixture
def parts(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(250, 4)), columns=list("abcd"))
    df["y"] = rng.integers(0, 2, 250)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, lo in enumerate(range(0, 250, 100)):
        df.iloc[lo:lo + 100].to_parquet(folder / f"p{i}.parquet")
    df.to_parquet(tmp_path / "whole.parquet")
    return df, folder


def test_folder_and_glob_read_as_whole_table(parts):
    df, folder = parts
    for source in (folder, str(folder / "*.parquet")):
        pd.testing.assert_frame_equal(read_table(source), df)
        got = pd.concat(list(iter_batches(source, batch_size=64)), ignore_index=True)
        pd.testing.assert_frame_equal(got, df)
    assert [len(b) for b in iter_batches(folder, batch_size=64)] == [64, 64, 64, 58]
    assert len(read_table(folder, nrows=150)) == 150


def test_bad_parts_are_named(parts, tmp_path):
    df, folder = parts
    with pytest.raises(InputError, match="No Parquet or CSV parts"):
        expand_paths(str(tmp_path / "none*.csv"))
    df.iloc[:10].to_csv(folder / "x.csv", index=False)
    with pytest.raises(InputError, match="Mixed kinds of parts"):
        read_table(folder)
    (folder / "x.csv").unlink()
    df.iloc[:10, :2].to_parquet(folder / "p9.parquet")
    with pytest.raises(InputError, match="same columns"):
        read_table(folder)


def test_cli_rank_and_reduce_a_folder_without_dask(parts, tmp_path):
    _, folder = parts
    whole = tmp_path / "whole.parquet"
    for cmd in (["rank", "-t", "y", "-m", "variance,f_test"], ["reduce", "-k", "2", "--drop", "y"],
                ["reduce", "-k", "2", "--drop", "y", "--stream"]):
        outs = []
        for i, data in enumerate((str(folder), str(whole))):
            outs.append(tmp_path / f"out{i}.csv")
            run = subprocess.run([sys.executable, "-m", "cli", cmd[0], data, *cmd[1:], "-q", "-o", str(outs[-1])],
                                 capture_output=True, text=True, timeout=120)
            assert run.returncode == 0, run.stderr
        assert outs[0].read_text() == outs[1].read_text(), cmd
