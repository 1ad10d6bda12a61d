"""OutRank 3MR on Dask equals the in-memory fit; OutRank's client keeps combined counts only."""

import json
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from featkit.base import canonical_column_order
from featkit.selection import OutRank, OutRank3MR
from featkit.stats._distinct import DistinctCounter, DistinctCounts


def _table(n=5000, seed=0):
    """Codes, a near-copy, a continuous column, missing cells; column names chosen so that
    the in-memory canonical order (content fingerprints) is not the name order."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    a = np.where(rng.random(n) < 0.7, y, rng.integers(0, 3, n))
    return pd.DataFrame({
        "a": a, "a2": np.where(rng.random(n) < 0.9, a, 0), "b": rng.integers(0, 40, n),
        "c": rng.normal(size=n) + y, "d": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 4, n)),
        "e": np.where(rng.random(n) < 0.5, y, rng.integers(0, 3, n)), "y": y,
    })


FEATURES = ["a", "a2", "b", "c", "d", "e"]


def _assert_same_3mr(dist, mem, rtol=1e-12):
    np.testing.assert_array_equal(dist.order_, mem.order_)
    np.testing.assert_allclose(dist.gain_, mem.gain_, rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(dist.relevance_, mem.relevance_, rtol=rtol, atol=1e-15)
    np.testing.assert_array_equal(dist.pairs_, mem.pairs_)
    np.testing.assert_allclose(dist.redundancy_, mem.redundancy_, rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(dist.relation_, mem.relation_, rtol=rtol, atol=1e-15)
    np.testing.assert_array_equal(dist.scores_, mem.scores_)
    np.testing.assert_array_equal(dist.ranking_, mem.ranking_)
    np.testing.assert_array_equal(dist.get_support(), mem.get_support())
    np.testing.assert_array_equal(dist.cardinality_, mem.cardinality_)
    np.testing.assert_allclose(dist.coverage_, mem.coverage_)
    assert dist.labels_ == mem.labels_
    assert (dist.n_batches_, dist.pairs_capped_, dist.note_) == (mem.n_batches_, mem.pairs_capped_, mem.note_)


# ------------------------------------------------------------ no cluster needed
def test_the_table_tests_the_pair_direction():
    """The tables below only test something if the in-memory column order is not the names'."""
    df = _table()
    order = canonical_column_order(df[FEATURES].to_numpy(np.float64), FEATURES)
    assert order.tolist() != sorted(range(len(FEATURES)), key=lambda j: FEATURES[j])


def test_3mr_conditions_a_pair_on_its_later_name_whatever_the_column_order():
    df = _table()
    est = OutRank3MR(batch_size=1500).fit(df[FEATURES], df["y"])
    names = np.asarray(FEATURES)
    assert all(names[j] > names[i] for i, j in est.pairs_)
    shuffled = FEATURES[::-1]
    other = OutRank3MR(batch_size=1500).fit(df[shuffled], df["y"])
    by_name = {(FEATURES[i], FEATURES[j]): r for (i, j), r in zip(est.pairs_, est.redundancy_)}
    again = {(shuffled[i], shuffled[j]): r for (i, j), r in zip(other.pairs_, other.redundancy_)}
    assert by_name.keys() == again.keys()
    for key, value in by_name.items():
        assert again[key] == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_distinct_counts_any_split_equal_one_counter():
    rng = np.random.default_rng(1)
    small = rng.integers(0, 50, 3000).astype(float)
    big = rng.permutation(100_000).astype(float)  # past the exact limit: HyperLogLog
    whole = [DistinctCounter(), DistinctCounter()]
    whole[0].update(small)
    whole[1].update(big)
    kernel = DistinctCounts()
    for cuts in ([0, 3000], [0, 1, 1700, 3000], list(range(0, 3001, 500))):
        states = [kernel.partial([np.unique(small[a:b]), np.unique(big[a * 33:b * 33 + 1])])
                  for a, b in zip(cuts[:-1], cuts[1:])]
        states.append(kernel.partial([small[:0], big[99_000:]]))  # the rest of big, an empty block
        before = pickle.dumps(states)
        counts, exact = kernel.finalize(kernel.combine([kernel.combine(states[:1]), kernel.combine(states[1:])]))
        assert pickle.dumps(states) == before  # combine leaves its inputs alone (a retried task)
        assert counts.tolist() == [50, whole[1].count()] and exact.tolist() == [True, False]
    assert abs(whole[1].count() - 100_000) < 2_000


distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")


# ---------------------------------------------------------------- on a cluster
@pytest.mark.parametrize("params", [
    dict(batch_size=1500),
    dict(batch_size=600, subsample=3, max_pairs=4),
    dict(batch_size=1200, subsample=0.6, random_state=4, n_bins=None),
    dict(batch_size=2000, n_bins=5, n_features_to_select=3),
])
def test_dask_3mr_equals_in_memory(client, params):
    df = _table()
    ddf = dd.from_pandas(df, npartitions=7)  # 715-row partitions: batches cross their boundaries
    mem = OutRank3MR(**params).fit(df[FEATURES], df["y"])
    dist = OutRank3MR(**params).fit(ddf[FEATURES], ddf["y"])
    assert mem.n_batches_ > 1
    _assert_same_3mr(dist, mem)


def test_dask_3mr_text_columns_and_a_single_feature(client):
    df = _table(3000, seed=2)
    df["t"] = np.where(df["e"] > 0, "yes", None)
    df["u"] = np.array(["p", "q", "r", "s"])[df["b"] % 4]
    ddf = dd.from_pandas(df, npartitions=4)
    cols = ["a", "t", "u", "c"]
    _assert_same_3mr(OutRank3MR(batch_size=1100).fit(ddf[cols], ddf["y"]),
                     OutRank3MR(batch_size=1100).fit(df[cols], df["y"]))
    _assert_same_3mr(OutRank3MR(batch_size=1100).fit(ddf[["u"]], ddf["y"]),
                     OutRank3MR(batch_size=1100).fit(df[["u"]], df["y"]))


def test_rank_features_fits_3mr_on_every_row(client):
    from featkit.ranking import rank_features

    df = _table()
    ddf = dd.from_pandas(df, npartitions=5)
    dist = rank_features(ddf, "y", methods=["outrank_3mr", "outrank"], sample=800)
    mem = rank_features(df, "y", methods=["outrank_3mr", "outrank"])
    assert any("outrank_3mr, outrank computed on all 5000 rows" in note for note in dist.notes), dist.notes
    for name in ("outrank_3mr", "outrank"):
        np.testing.assert_allclose(dist.methods[name].scores, mem.methods[name].scores, rtol=1e-12)
        np.testing.assert_array_equal(dist.methods[name].ranking, mem.methods[name].ranking)


def _results_bytes(monkeypatch):
    """Patch the batch driver to record the pickled size of everything it brings to the client."""
    from featkit.distributed import _batches

    seen = []
    real = _batches.compute_all

    def recording(objs):
        out = real(objs)
        seen.append(sum(len(pickle.dumps(r)) for r in out))
        return out

    monkeypatch.setattr(_batches, "compute_all", recording)
    return seen


def test_outrank_client_receives_counts_not_distinct_values(client, monkeypatch):
    """120,000 distinct floats in 6 batches are 0.9 MiB of per-batch distinct values; the client
    now gets the batches' scores and one combined sketch (64 KiB of registers) instead."""
    rng = np.random.default_rng(5)
    n = 120_000
    y = rng.integers(0, 2, n)
    df = pd.DataFrame({"a": np.where(rng.random(n) < 0.8, y, 1 - y), "b": rng.integers(0, 300, n),
                       "c": rng.permutation(n) + 0.5, "y": y})
    ddf = dd.from_pandas(df, npartitions=4)
    seen = _results_bytes(monkeypatch)
    dist = OutRank(batch_size=20_000).fit(ddf[["a", "b", "c"]], ddf["y"])
    mem = OutRank(batch_size=20_000).fit(df[["a", "b", "c"]], df["y"])
    assert sum(seen) < 200_000, seen
    np.testing.assert_allclose(dist.scores_, mem.scores_, rtol=1e-12)
    np.testing.assert_array_equal(dist.ranking_, mem.ranking_)
    assert dist.cardinality_[:2].tolist() == mem.cardinality_[:2].tolist() == [2, 300]
    assert mem.cardinality_[2] == n and abs(dist.cardinality_[2] - n) < 0.02 * n  # HyperLogLog past 65,536
    assert "1 column(s)" in dist.distributed_note_ and "HyperLogLog" in dist.distributed_note_
    exact = OutRank(batch_size=20_000).fit(ddf[["a", "b"]], ddf["y"])
    assert not hasattr(exact, "distributed_note_")


def test_cli_dask_3mr_equals_in_memory(tmp_path):
    df = _table(3000, seed=3)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):
        df.iloc[i * 1000:(i + 1) * 1000].to_parquet(folder / f"part-{i}.parquet", index=False)
    outs = []
    for extra in (["--engine", "dask", "--workers", "2", "--sample", "500"], []):
        out = tmp_path / f"r{len(outs)}.json"
        run = subprocess.run([sys.executable, "-m", "cli", "rank", str(folder), "-t", "y", "-m", "outrank_3mr",
                              "-q", "-o", str(out), *extra], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        outs.append(json.loads(out.read_text()))
    dist, mem = outs
    assert any("outrank_3mr computed on all 3000 rows" in note for note in dist["notes"]), dist["notes"]
    assert dist["features"] == mem["features"]
    np.testing.assert_allclose(dist["methods"]["outrank_3mr"]["scores"], mem["methods"]["outrank_3mr"]["scores"])
