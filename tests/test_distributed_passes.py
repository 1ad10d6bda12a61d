"""How often a Dask rank reads each partition: the methods of one pass share it, encodings count no rows.

The table is a ``from_delayed`` frame whose loader records every call, run on
Dask's synchronous scheduler in this process (no client), so the number of
times each partition was produced is known exactly.
"""

import collections

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

N_PARTS, ROWS = 4, 400
LOADS = collections.Counter()


def _load(i, text):
    LOADS[i] += 1
    rng = np.random.default_rng(i)
    y = rng.integers(0, 2, ROWS)
    part = pd.DataFrame({"a": rng.normal(size=ROWS) + y, "b": rng.normal(size=ROWS),
                         "n": rng.normal(size=ROWS)})
    if text:
        part["c"] = np.array(["p", "q", "r"], dtype=object)[(y + rng.integers(0, 2, ROWS)) % 3]
    part["y"] = y
    return part.set_axis(pd.RangeIndex(i * ROWS, (i + 1) * ROWS))


def _table(text=False):
    meta = _load(0, text).iloc[:0]
    LOADS.clear()
    return dd.from_delayed([dask.delayed(_load, pure=True)(i, text) for i in range(N_PARTS)], meta=meta,
                           verify_meta=False)


@pytest.fixture(autouse=True)
def _synchronous():
    with dask.config.set(scheduler="sync"):
        yield


def _loads_per_part():
    assert set(LOADS) == set(range(N_PARTS)), LOADS
    return max(LOADS.values())


def test_one_pass_rankers_fitted_together_read_each_partition_once_and_equal_their_own_fits():
    from featkit.distributed._fit import fit_reductions_together
    from featkit.selection import FTestRanker, VarianceRanker

    ddf = _table()
    features = ["a", "b", "n"]
    together = fit_reductions_together([(FTestRanker(), ddf[features], ddf["y"]),
                                        (VarianceRanker(), ddf[features], None)])
    # the target's classes are a distinct pass of their own; the moments of both rankers are one more
    assert _loads_per_part() == 2
    alone = [FTestRanker().fit(ddf[features], ddf["y"]), VarianceRanker().fit(ddf[features])]
    for fused, own in zip(together, alone):
        np.testing.assert_array_equal(fused.scores_, own.scores_)
        np.testing.assert_array_equal(fused.ranking_, own.ranking_)
        assert list(fused.feature_names_in_) == features


def test_counting_an_encoded_frame_does_not_encode_it():
    from featkit.distributed._batches import known_lengths, partition_lengths
    from featkit.distributed._encode import DaskEncoder

    ddf = _table(text=True)
    with known_lengths():
        encoder = DaskEncoder(ddf[["a", "c"]], ddf["y"])
        X, y = encoder.split(encoder.codes())
        before = sum(LOADS.values())  # the distinct pass and the row count of the source
        assert partition_lengths(X).tolist() == [ROWS] * N_PARTS
        assert partition_lengths(y).tolist() == [ROWS] * N_PARTS
        assert sum(LOADS.values()) == before
    # outside the scope nothing is remembered: a folder rewritten between runs is counted again
    partition_lengths(X)
    assert sum(LOADS.values()) == before + N_PARTS


def test_rank_on_text_columns_reads_each_partition_a_bounded_number_of_times():
    """f_test (imputed) and variance (NaN allowed) share one numeric encoding when no category is
    missing: the passes are the row count, the sample, the vocabularies, the target (for the folds), the
    missing-number check, the per-category sums, the target's classes and one pass for both rankers'
    moments -- 8 (10 when each ranker had its own encoding and its own pass)."""
    from featkit.ranking import rank_features

    ddf = _table(text=True)
    result = rank_features(ddf, "y", methods=["f_test", "variance"], sample=300, aggregation="mean_rank")
    assert _loads_per_part() <= 8, LOADS
    assert any("f_test, variance computed together in one pass" in n for n in result.notes), result.notes
    assert any("f_test, variance computed on all 1600 rows" in n for n in result.notes), result.notes
    memory = rank_features(pd.concat([_load(i, True) for i in range(N_PARTS)]), "y",
                           methods=["f_test", "variance"], aggregation="mean_rank")
    for name in ("f_test", "variance"):
        np.testing.assert_allclose(result.methods[name].scores, memory.methods[name].scores, rtol=1e-6)
