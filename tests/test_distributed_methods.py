"""Dask fits beyond one kernel: text columns encoded on the cluster, binned MI, InfFS_S / ECFS -- equal to in-memory."""

import numpy as np
import pandas as pd
import pytest

from featkit.stats._reduction import DistinctValues, KeyedSums, reduce_blocks


def _table(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return pd.DataFrame({
        "a": rng.normal(size=n) + y,
        "b": rng.normal(size=n),
        "c": np.where(rng.random(n) < 0.6, np.array(["p", "q", "r"])[y], rng.choice(["p", "q", "r", "s"], n)),
        "d": pd.Series(rng.choice(["u", "v", None], n), dtype=object),
        "e": rng.choice([f"k{i}" for i in range(40)], n),  # 5 folds x 40 codes: keys past int8
        "y": y,
        "r": rng.normal(size=n) + (np.asarray(rng.choice([f"k{i}" for i in range(40)], n) == "k3") * 2.0),
    })


def test_distinct_and_keyed_sums_any_split_equal_whole():
    rng = np.random.default_rng(0)
    words = rng.choice(np.array(["x", "yy", "z", "w"], dtype=object), 500)
    keys = rng.integers(-1, 6, (500, 2))
    weights = rng.normal(size=(500, 3))
    distinct, keyed = DistinctValues(), KeyedSums([6, 6])
    whole_d = reduce_blocks(distinct, [([words],)])
    whole_k = reduce_blocks(keyed, [(keys, weights)])
    for cuts in ([0, 1, 500], [0, 200, 201, 500], list(range(0, 501, 100))):
        spans = list(zip(cuts[:-1], cuts[1:]))
        assert reduce_blocks(distinct, [([words[a:b]],) for a, b in spans])[0].tolist() == ["w", "x", "yy", "z"]
        got = reduce_blocks(keyed, [(keys[a:b], weights[a:b]) for a, b in spans])
        for (c1, s1), (c2, s2) in zip(got, whole_k):
            np.testing.assert_array_equal(c1, c2)
            np.testing.assert_allclose(s1, s2, rtol=1e-12, atol=1e-12)
    assert whole_d[0].tolist() == ["w", "x", "yy", "z"]
    assert DistinctValues(limit=3).finalize(DistinctValues(limit=3).partial([words]))[0] is None


distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def frames():
    df = _table()
    return df, dd.from_pandas(df, npartitions=5)


FEATURES = list("abcde")


@pytest.mark.parametrize("target,impute", [("y", False), ("y", True), ("r", True), (None, False)])
def test_numeric_encoding_equals_encode_numeric(client, frames, target, impute):
    from featkit.distributed._encode import DaskEncoder
    from featkit.io import encode_numeric

    df, ddf = frames
    binary = df["y"].where(df["y"] < 2, 1) if target == "y" and impute else None
    y_mem = None if target is None else (binary if binary is not None else df[target])
    y_dask = None if target is None else (ddf["y"].where(ddf["y"] < 2, 1) if binary is not None else ddf[target])
    want = encode_numeric(df[FEATURES], None, y_mem, None, impute=impute, random_state=3)
    enc = DaskEncoder(ddf[FEATURES], y_dask, random_state=3)
    got = enc.split(enc.numeric(impute=impute))[0].compute().to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_codes_equal_encode_discrete_values(client, frames):
    from featkit.distributed._encode import DaskEncoder
    from featkit.io._encode import encode_discrete_values

    df, ddf = frames
    got = DaskEncoder(ddf[FEATURES]).codes().compute().to_numpy()
    np.testing.assert_array_equal(got, encode_discrete_values(df[FEATURES]))


def test_rank_features_with_text_columns_runs_on_every_row(client, frames):
    from featkit.ranking import rank_features

    df, ddf = frames
    methods = ["f_test", "variance", "outrank"]
    table = df.drop(columns="r")
    # the equal vote: the default cv_weighted consensus chooses its weights on the 500-row sample
    mem = rank_features(table, "y", methods=methods, aggregation="mean_rank")
    dist = rank_features(ddf.drop(columns="r"), "y", methods=methods, sample=500, aggregation="mean_rank")
    for name in methods:
        np.testing.assert_allclose(dist.methods[name].scores, mem.methods[name].scores, rtol=1e-6)
        np.testing.assert_array_equal(dist.methods[name].ranking, mem.methods[name].ranking)
    assert dist.top(5) == mem.top(5)
    assert not any("fitted on a seeded sample" in note or "stays on the sample" in note for note in dist.notes), dist.notes
    assert any("f_test, variance, outrank computed on all 3000 rows" in note for note in dist.notes)


@pytest.mark.parametrize("make", ["FTestRanker", "VarianceRanker", "OutRank"])
def test_fit_on_dask_frame_with_text_equals_in_memory(client, frames, make):
    import featkit.selection as sel

    df, ddf = frames
    est = getattr(sel, make)()
    mem = type(est)(**est.get_params()).fit(df[FEATURES], df["y"])
    dist = est.fit(ddf[FEATURES], ddf["y"])
    np.testing.assert_allclose(dist.scores_, mem.scores_, rtol=1e-6)
    np.testing.assert_array_equal(dist.ranking_, mem.ranking_)


def test_too_many_categories_is_one_line_and_stays_on_the_sample(client, frames, monkeypatch):
    import featkit.distributed._encode as enc
    from featkit.exceptions import InputError
    from featkit.ranking import rank_features
    from featkit.selection import FTestRanker

    _, ddf = frames
    monkeypatch.setattr(enc, "VOCABULARY_LIMIT", 10)
    with pytest.raises(InputError, match="e have more than 10 categories"):
        FTestRanker().fit(ddf[FEATURES], ddf["y"])
    result = rank_features(ddf.drop(columns="r"), "y", methods=["f_test"], sample=500)
    assert any("f_test stays on the sample" in note and "more than 10 categories" in note for note in result.notes)


def test_read_dask_reads_gzip_csv_parts(tmp_path, frames):
    from featkit.distributed import read_dask

    df, _ = frames
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, lo in enumerate(range(0, 3000, 1000)):
        df.iloc[lo:lo + 1000].to_csv(folder / f"p{i}.csv.gz", index=False)
    got = read_dask(folder).compute()
    assert got.shape == df.shape and got["y"].tolist() == df["y"].tolist()
    assert read_dask(str(folder / "p*.csv.gz")).npartitions == 3


@pytest.mark.parametrize("params,target", [({}, "y"), ({"n_bins": 5}, "r"),
                                           ({"n_bins": None, "bias_correction": None}, "y")])
def test_binned_mutual_info_on_dask_equals_in_memory(client, monkeypatch, params, target):
    """The probe rows (evenly spaced past the probe size) give the in-memory edges; counts add exactly."""
    import featkit.distributed._binned as dask_binned
    import featkit.stats._binned_mi as binned
    from featkit.selection import BinnedMutualInfoRanker

    monkeypatch.setattr(binned, "QUANTILE_SAMPLE_ROWS", 700)
    monkeypatch.setattr(dask_binned, "QUANTILE_SAMPLE_ROWS", 700)
    rng = np.random.default_rng(2)
    n = 3000
    y = rng.integers(0, 3, n)
    df = pd.DataFrame({"a": rng.normal(size=n) + y, "b": rng.integers(0, 30, n).astype(float),
                       "c": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n) * y),
                       "d": rng.choice(["u", "v", "w"], n), "e": np.round(rng.normal(size=n), 1),
                       "y": y, "r": rng.normal(size=n) + y})
    ddf = dd.from_pandas(df, npartitions=4)
    mem = BinnedMutualInfoRanker(**params).fit(df[list("abcde")], df[target])
    dist = BinnedMutualInfoRanker(**params).fit(ddf[list("abcde")], ddf[target])
    assert dist.task_ == mem.task_
    np.testing.assert_allclose(dist.scores_, mem.scores_, rtol=1e-9)
    np.testing.assert_array_equal(dist.ranking_, mem.ranking_)
    np.testing.assert_array_equal(dist.n_bins_, mem.n_bins_)


def test_rank_features_binned_mi_with_text_on_every_row(client, frames):
    from featkit.ranking import rank_features

    df, ddf = frames
    mem = rank_features(df.drop(columns="r"), "y", methods=["mutual_info_binned"])
    dist = rank_features(ddf.drop(columns="r"), "y", methods=["mutual_info_binned"], sample=500)
    np.testing.assert_allclose(dist.methods["mutual_info_binned"].scores, mem.methods["mutual_info_binned"].scores,
                               rtol=1e-9)
    assert any("mutual_info_binned computed on all 3000 rows" in note for note in dist.notes)


def _graph_table():
    rng = np.random.default_rng(4)
    n = 2000
    df = pd.DataFrame(rng.normal(size=(n, 6)) * [1, 2, 3, 1, 1, 5], columns=list("abcdef"))
    df["y"], df["y3"] = rng.integers(0, 2, n), rng.integers(0, 3, n)
    df["a"] += df["y"]
    df["b"] += 0.5 * df["y3"]
    df["r"] = df["c"] * 0.3 + rng.normal(size=n)
    df["g"] = df["y3"] * 2.0  # a perfect predictor of y3: +inf
    return df


@pytest.mark.parametrize("make,params,target", [
    ("InfFS", dict(supervised=True), "y"), ("InfFS", dict(supervised=True), "y3"),
    ("InfFS", dict(supervised=True, variant="2016"), "y"), ("InfFS", dict(supervised=True, standardize=True), "r"),
    ("ECFS", {}, "y"), ("ECFS", dict(standardize=True), "y3"), ("ECFS", {}, "r")])
def test_supervised_graph_rankers_on_dask_equal_in_memory(client, make, params, target):
    import featkit.selection as sel

    df = _graph_table()
    features = list("abcdefg")
    ddf = dd.from_pandas(df, npartitions=3)
    mem = getattr(sel, make)(**params).fit(df[features], df[target])
    dist = getattr(sel, make)(**params).fit(ddf[features], ddf[target])
    np.testing.assert_allclose(dist.scores_, mem.scores_, rtol=1e-6)
    np.testing.assert_allclose(dist.reference_scores_, mem.reference_scores_, rtol=1e-6)
    np.testing.assert_array_equal(dist.ranking_, mem.ranking_)
    assert np.isinf(dist.scores_[6]) == (target == "y3")


def test_rank_features_graph_methods_on_every_row(client, frames):
    from featkit.ranking import rank_features

    df, ddf = frames
    methods = ["inffs_s", "ecfs", "inffs"]
    mem = rank_features(df.drop(columns="r"), "y", methods=methods)
    dist = rank_features(ddf.drop(columns="r"), "y", methods=methods, sample=500)
    for name in methods:
        # InfFS_U ranks the rows: a 3-class target encoding's cells, summed in another order on the
        # cluster, differ in the last bits and two nearly equal cells can swap ranks (2e-6 here)
        np.testing.assert_allclose(dist.methods[name].scores, mem.methods[name].scores,
                                   rtol=1e-5 if name == "inffs" else 1e-6)
    np.testing.assert_array_equal(dist.methods["inffs"].ranking, mem.methods["inffs"].ranking)
    assert any("inffs_s, ecfs, inffs computed on all 3000 rows" in note for note in dist.notes), dist.notes
    assert not any("fitted on a seeded sample" in note or "stays on the sample" in note for note in dist.notes)


def _unsupervised_table(n=3000, seed=5):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 4))
    X = np.column_stack([base, base[:, :3] @ rng.normal(size=(3, 4)) + 0.5 * rng.normal(size=(n, 4)),
                         rng.integers(0, 5, n), rng.exponential(size=(n, 3)) * [1, 4, 9],
                         np.round(rng.normal(size=n), 1), np.full(n, 2.0)])
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


@pytest.mark.parametrize("standardize", [False, True])
def test_unsupervised_inffs_exact_ranks_equal_in_memory(client, standardize):
    from featkit.selection import InfFS

    df = _unsupervised_table()
    mem = InfFS(standardize=standardize).fit(df)
    dist = InfFS(standardize=standardize).fit(dd.from_pandas(df, npartitions=4))
    np.testing.assert_allclose(dist.scores_, mem.scores_, rtol=1e-6)
    np.testing.assert_array_equal(dist.ranking_, mem.ranking_)
    assert "exact Dask ranks" in dist.solver_


def test_unsupervised_inffs_rank_sketch_within_its_bound(client, monkeypatch):
    """Past the sketch's capacity: every |Spearman| within the documented bound, the same top-10."""
    import featkit.distributed._graph as graph
    from featkit.selection import InfFS
    from featkit.stats import spearman_correlation

    df = _unsupervised_table()
    ddf = dd.from_pandas(df, npartitions=4)
    R, exact, _, eps = graph.sketched_spearman(graph.frame_blocks(ddf), capacity=1000)
    assert not exact and eps == pytest.approx(np.sqrt(np.log(2e3) / 2000))
    true = np.abs(spearman_correlation(df.to_numpy()))
    np.fill_diagonal(true, np.where(df.std().to_numpy() > 0, 1.0, 0.0))
    ranks = df.rank().to_numpy() / len(df)
    s = ranks.std(axis=0)
    varies = s > 0
    bound = np.array([[graph.spearman_error_bound(a, b, eps) for b in s] for a in s])
    err = np.abs(R - true)
    assert np.all(err[np.ix_(varies, varies)] <= bound[np.ix_(varies, varies)])
    assert err.max() < 0.02  # the bound is a worst case; the sketch does far better
    monkeypatch.setattr(graph, "SPEARMAN_SKETCH_CAPACITY", 1000)
    dist, mem = InfFS().fit(ddf), InfFS().fit(df)
    assert "rank sketch" in dist.solver_
    assert set(np.argsort(-dist.scores_)[:10]) == set(np.argsort(-mem.scores_)[:10])


def test_batch_results_go_to_the_client_not_through_one_worker(client, frames):
    """OutRank's per-batch results of a big table outgrow a worker: no task may gather them all."""
    from featkit.selection import OutRank

    df, ddf = frames
    with distributed.get_task_stream(client) as stream:
        dist = OutRank(batch_size=700).fit(ddf[["a", "b", "c"]], ddf["y"])
    mem = OutRank(batch_size=700).fit(df[["a", "b", "c"]], df["y"])
    np.testing.assert_allclose(dist.scores_, mem.scores_, rtol=1e-12)
    names = {str(t["key"]) for t in stream.data}
    assert names and not any("list-" in k for k in names), sorted(names)[:5]


def test_cv_weighted_consensus_on_dask_keeps_the_samples_weights(client, frames):
    from featkit.ranking import rank_features
    from featkit.selection._consensus import aggregate_rankings

    _, ddf = frames
    methods = ["f_test", "variance", "outrank"]
    dist = rank_features(ddf.drop(columns="r"), "y", methods=methods, sample=500)
    weights = [dist.methods[m].weight for m in methods]
    assert all(w is not None for w in weights) and sum(weights) > 0
    want = aggregate_rankings([dist.methods[m].ranking for m in methods], "cv_weighted", weights=weights)
    np.testing.assert_allclose(dist.consensus_score, want)
    assert any("chosen by inner CV on the 500-row sample" in note for note in dist.notes), dist.notes
