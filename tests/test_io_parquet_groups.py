"""A Parquet file is read a group of columns at a time into the frame a one-pass read gives (#13)."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import featkit.io._read as read
from featkit.io import read_table


def _frame(n=500, index=None):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({
        "x": rng.normal(size=n).astype(np.float32), "z": rng.normal(size=n),
        "code": rng.randint(0, 9, n).astype(np.int32),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        "name": rng.choice(["ann", "bo", None], n),
        "flag": rng.rand(n) > 0.5,
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.randint(0, 1000, n), unit="h"),
        "y": rng.randint(0, 2, n),
    })
    frame.loc[rng.rand(n) < 0.1, "z"] = np.nan
    if index is not None:
        frame.index = index
    return frame


@pytest.mark.parametrize("index", [None, pd.RangeIndex(5, 505, name="row")])
@pytest.mark.parametrize("columns", [None, ["y", "colour", "x"]])
def test_reading_in_column_groups_gives_the_one_pass_frame(tmp_path, monkeypatch, index, columns):
    path = tmp_path / "t.parquet"
    _frame(index=index).to_parquet(path, index=index is not None)
    whole = read_table(path, columns=columns)
    groups = []
    grouped_read = read._read_parquet_in_groups
    monkeypatch.setattr(read, "_GROUP_BYTES", 1)  # one column per group
    monkeypatch.setattr(read, "_read_parquet_in_groups",
                        lambda *a: groups.append(1) or grouped_read(*a))
    grouped = read_table(path, columns=columns)
    assert groups and grouped is not None
    pd.testing.assert_frame_equal(grouped, whole)
    assert grouped.columns.tolist() == (columns or _frame().columns.tolist())


def test_a_stored_index_column_is_read_in_one_pass(tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"
    _frame(index=pd.Index([f"r{i}" for i in range(500)], name="key")).to_parquet(path)
    monkeypatch.setattr(read, "_GROUP_BYTES", 1)
    assert read._read_parquet_in_groups(path, None) is None
    assert read_table(path).index[0] == "r0"


def test_groups_hold_about_the_bytes_asked_for(tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"
    _frame().to_parquet(path, index=False)
    meta = pq.ParquetFile(path).metadata
    sizes = [meta.row_group(0).column(c).total_uncompressed_size for c in range(meta.num_columns)]
    reads = []
    original = pq.ParquetFile.read
    monkeypatch.setattr(pq.ParquetFile, "read",
                        lambda self, columns=None, **kw: reads.append(columns) or original(self, columns, **kw))
    monkeypatch.setattr(read, "_GROUP_BYTES", sum(sizes))  # the whole file: one pass
    assert read._read_parquet_in_groups(path, None) is None and not reads
    monkeypatch.setattr(read, "_GROUP_BYTES", sum(sizes) // 2)
    read_table(path)
    assert len(reads) >= 2 and sum(reads, []) == _frame().columns.tolist()
