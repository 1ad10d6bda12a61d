"""The Dask engine: kernels split any way equal the whole; Dask fits equal in-memory fits."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from featkit.stats._reduction import (
    ClassMoments,
    ColumnMoments,
    ContingencyCounts,
    CrossMoments,
    QuantileSketch,
    ScatterMoments,
    reduce_blocks,
)

RNG = np.random.default_rng(7)
X = RNG.normal(size=(600, 5)) * [1, 2, 3, 4, 5] + 50
CODES = (X[:, 1] > 50).astype(int) + (X[:, 2] > 52).astype(int)
YREG = X[:, 3] * 0.3 + RNG.normal(size=600)


def _splits(n):
    return [[n], [1, n - 1], [200, 1, 399], [100] * 6]


@pytest.mark.parametrize("kernel,args", [
    (ColumnMoments(), (np.where(RNG.random(X.shape) < 0.1, np.nan, X),)),
    (ScatterMoments(block_rows=64), (X,)),
    (ClassMoments(3), (X, CODES)),
    (CrossMoments(), (X, YREG)),
    (ContingencyCounts(3, 3), (np.clip((X - 50).astype(int), 0, 2), CODES)),
])
def test_kernel_any_split_equals_whole(kernel, args):
    whole = reduce_blocks(kernel, [args])
    for sizes in _splits(X.shape[0]):
        cuts = np.cumsum([0] + sizes)
        blocks = [tuple(a[lo:hi] for a in args) for lo, hi in zip(cuts[:-1], cuts[1:])]
        for w, s in zip(whole, reduce_blocks(kernel, blocks)):
            np.testing.assert_allclose(s, w, rtol=1e-10, atol=1e-9)


def test_quantile_sketch_exact_below_capacity_and_bounded_above():
    sketch = QuantileSketch(capacity=1000)
    q = np.linspace(0.05, 0.95, 19)
    cols = sketch.finalize(sketch.combine([sketch.partial(X[:300]), sketch.partial(X[300:])]))
    np.testing.assert_allclose(QuantileSketch.quantiles(cols[0], q), np.quantile(X[:, 0], q))
    big = RNG.normal(size=(40000, 1))
    small = QuantileSketch(capacity=2000)
    state = small.combine([small.partial(b) for b in np.array_split(big, 7)])
    est = QuantileSketch.quantiles(small.finalize(state)[0], q)
    eps = np.sqrt(np.log(2 / 1e-3) / (2 * 2000))  # the documented bound at delta = 0.001
    true_rank = np.searchsorted(np.sort(big[:, 0]), est) / big.shape[0]
    assert np.all(np.abs(true_rank - q) <= eps)


# ------------------------------------------------------------------ on a cluster
distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def frames():
    df = pd.DataFrame(X, columns=list("abcde"))
    df["y"] = CODES
    df["r"] = YREG
    return df, dd.from_pandas(df, npartitions=6)


FEATURES = list("abcde")


def _estimators():
    from featkit.selection import FTestRanker, PCALoadingsRanker, VarianceRanker

    # PFA is left out: its k-means sees the features in name order on Dask (no content
    # fingerprints on a cluster), in fingerprint order in memory -- see docs/distributed.md
    return [VarianceRanker(), FTestRanker(), FTestRanker(task="regression"),
            PCALoadingsRanker(n_components=2)]


@pytest.mark.parametrize("est", _estimators(), ids=lambda e: repr(e))
def test_dask_fit_equals_in_memory(client, frames, est):
    df, ddf = frames
    target = "r" if getattr(est, "task", None) == "regression" else "y"
    mem = est.fit(df[FEATURES], df[target])
    scores, ranking = mem.scores_.copy(), mem.ranking_.copy()
    dist = type(est)(**est.get_params()).fit(ddf[FEATURES], ddf[target])
    mem.fit(df[FEATURES], df[target])
    assert isinstance(dist.scores_, np.ndarray)
    np.testing.assert_allclose(dist.scores_, scores, rtol=1e-6)
    np.testing.assert_array_equal(dist.ranking_, ranking)
    np.testing.assert_array_equal(dist.transform(df[FEATURES]), mem.transform(df[FEATURES]))


def test_dask_pca_equals_in_memory_and_transforms(client, frames):
    import dask.array as da

    from featkit.decomposition import PCA

    df, ddf = frames
    mem = PCA(3).fit(df[FEATURES])
    for data in (ddf[FEATURES], da.from_array(X, chunks=(150, 2))):
        dist = PCA(3).fit(data)
        np.testing.assert_allclose(dist.explained_variance_, mem.explained_variance_, rtol=1e-6)
        np.testing.assert_allclose(dist.components_, mem.components_, atol=1e-8)
    np.testing.assert_allclose(dist.transform(X), mem.transform(X), atol=1e-6)


def test_rank_features_on_dask_frame(client, frames):
    from featkit.ranking import rank_features

    df, ddf = frames
    methods = ["variance", "f_test", "pca_loadings"]
    mem = rank_features(df.drop(columns="r"), "y", methods=methods)
    dist = rank_features(ddf.drop(columns="r"), "y", methods=methods)
    assert dist.top(5) == mem.top(5)
    for name in methods:
        np.testing.assert_allclose(dist.methods[name].scores, mem.methods[name].scores, rtol=1e-6)
    # a sample smaller than the table: exact methods still see every row, the others say so
    sampled = rank_features(ddf.drop(columns="r"), "y", methods=["f_test", "random_forest"], sample=200)
    np.testing.assert_allclose(sampled.methods["f_test"].scores, mem.methods["f_test"].scores, rtol=1e-6)
    assert sampled.n_rows == 600
    assert any("random_forest fitted on a seeded sample of 200 of 600 rows" in n for n in sampled.notes)


def test_method_without_distributed_form_is_refused(client, frames):
    from featkit.exceptions import InputError
    from featkit.selection import MutualInfoRanker

    _, ddf = frames
    with pytest.raises(InputError, match="no distributed form"):
        MutualInfoRanker().fit(ddf[FEATURES], ddf["y"])


# a worker killed mid-task: tests/test_distributed_kill.py


def test_cli_dask_engine_and_dead_scheduler(client, frames, tmp_path):
    df, _ = frames
    folder = tmp_path / "parts"
    folder.mkdir()
    table = df.drop(columns="r")
    for i, lo in enumerate(range(0, 600, 200)):
        table.iloc[lo:lo + 200].to_parquet(folder / f"part{i}.parquet")
    out = tmp_path / "rank.csv"
    run = subprocess.run([sys.executable, "-m", "cli", "rank", str(folder), "--target", "y", "--engine",
                          "dask", "--workers", "1", "-m", "variance,f_test", "-q", "--output", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.exists()
    dead = subprocess.run([sys.executable, "-m", "cli", "rank", str(folder), "--target", "y", "--engine",
                           "dask", "--scheduler", "tcp://127.0.0.1:9", "-m", "variance"],
                          capture_output=True, text=True, timeout=60)
    assert dead.returncode == 2
    assert dead.stderr.strip().count("\n") == 0 and "No Dask scheduler answers" in dead.stderr


@pytest.mark.parametrize("params", [dict(batch_size=1500), dict(batch_size=600, subsample=3),
                                    dict(batch_size=1200, subsample=0.6, random_state=4, normalize=True)])
def test_dask_outrank_equals_in_memory(client, params):
    """Batches cut across partition boundaries are the in-memory batches: same scores and findings."""
    from featkit.selection import OutRank

    rng = np.random.default_rng(3)
    n = 5000
    y = rng.integers(0, 3, n)
    df = pd.DataFrame({"a": np.where(rng.random(n) < 0.7, y, rng.integers(0, 3, n)),
                       "b": rng.integers(0, 40, n), "c": rng.normal(size=n),
                       "d": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 4, n)), "y": y})
    ddf = dd.from_pandas(df, npartitions=7)  # 715-row partitions: no batch boundary falls on one
    mem = OutRank(**params).fit(df[list("abcd")], df["y"])
    dist = OutRank(**params).fit(ddf[list("abcd")], ddf["y"])
    assert dist.n_batches_ == mem.n_batches_ > 1
    np.testing.assert_allclose(dist.scores_, mem.scores_, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(dist.ranking_, mem.ranking_)
    np.testing.assert_allclose(dist.coverage_, mem.coverage_)
    assert dist.labels_ == mem.labels_


@pytest.mark.parametrize("standardize", [False, True])
def test_reduce_dask_equals_in_memory(client, tmp_path, standardize):
    from featkit.decomposition import reduce_file
    from featkit.distributed import reduce_dask

    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.normal(size=(900, 5)) * [1, 2, 3, 4, 5] + 7, columns=list("abcde"))
    df["id"] = np.arange(900)
    df["y"] = rng.integers(0, 2, 900)
    df.to_parquet(tmp_path / "t.parquet")
    mem = reduce_file(tmp_path / "t.parquet", 3, drop=["y"], keep=["id"], standardize=standardize)
    dist = reduce_dask(dd.from_pandas(df, npartitions=4), 3, drop=["y"], keep=["id"], standardize=standardize)
    frames = list(dist.score_frames())
    assert len(frames) == 4 and dist.n_rows == 900
    got, want = pd.concat(frames, ignore_index=True), next(mem.score_frames())
    assert got.columns.tolist() == want.columns.tolist() == ["id", "pca0", "pca1", "pca2"]
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(dist.explained_variance_ratio, mem.explained_variance_ratio, rtol=1e-6)


def test_cli_reduce_dask_engine(client, frames, tmp_path):
    df, _ = frames
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, lo in enumerate(range(0, 600, 200)):
        df.iloc[lo:lo + 200].to_parquet(folder / f"part{i}.parquet")
    df.to_parquet(tmp_path / "whole.parquet")
    outs = {}
    for engine, data in (("dask", str(folder / "*.parquet")), ("memory", str(tmp_path / "whole.parquet"))):
        outs[engine] = tmp_path / f"{engine}.parquet"
        extra = ["--engine", "dask", "--workers", "1"] if engine == "dask" else []
        run = subprocess.run([sys.executable, "-m", "cli", "reduce", data, "-k", "2", "--drop", "y,r",
                              "-o", str(outs[engine]), "-q", *extra], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
    np.testing.assert_allclose(pd.read_parquet(outs["dask"]).to_numpy(), pd.read_parquet(outs["memory"]).to_numpy(),
                               atol=1e-8)
    bad = subprocess.run([sys.executable, "-m", "cli", "reduce", str(folder), "-k", "2", "-m", "robust",
                          "-o", str(tmp_path / "x.parquet"), "--engine", "dask"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "--engine dask runs --method pca only" in bad.stderr
