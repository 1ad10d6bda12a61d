"""X and y of a Dask fit come from one selection: Dask may cut a few-column
read of a Parquet folder into fewer blocks than the rest of the frame."""

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")


@pytest.fixture
def parquet_folder(tmp_path):
    rng = np.random.RandomState(0)
    frames = []
    for i in range(4):
        df = pd.DataFrame(rng.normal(size=(500, 4)), columns=list("abcd"))
        df["y"] = (df["a"] + 0.5 * rng.normal(size=500) > 0).astype(int)
        df.to_parquet(tmp_path / f"part{i}.parquet")
        frames.append(df)
    return tmp_path, pd.concat(frames, ignore_index=True)


def test_the_target_alone_is_cut_into_fewer_blocks_than_the_features(parquet_folder):
    folder, _ = parquet_folder
    ddf = dd.read_parquet(str(folder))
    # the situation the fix is for (if Dask stops fusing, this documents it and the rest still holds)
    assert len(ddf["y"].to_delayed()) <= len(ddf[list("abcd")].to_delayed())


@pytest.mark.parametrize("name", ["f_test", "variance", "outrank"])
def test_dask_fit_on_a_parquet_folder_equals_in_memory(parquet_folder, name):
    from featkit.registry import make_estimator

    folder, frame = parquet_folder
    ddf = dd.read_parquet(str(folder))
    X, y = frame[list("abcd")], frame["y"]
    mem = make_estimator(name).fit(X, y)
    dsk = make_estimator(name).fit(ddf[list("abcd")], ddf["y"])
    np.testing.assert_allclose(dsk.scores_, mem.scores_, rtol=1e-6)
