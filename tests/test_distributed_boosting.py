"""Gradient-boosting gain importance trained on a Dask cluster through lightgbm.dask."""

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("lightgbm.dask")

N = 6000
FEATURES = ["a", "b", "c", "kind", "n1", "n2", "n3"]


@pytest.fixture(scope="module")
def table():
    """Clear signal in a, b, c and the text column ``kind`` (strengths far apart); n1..n3 noise."""
    rng = np.random.default_rng(11)
    df = pd.DataFrame(rng.normal(size=(N, 6)), columns=["a", "b", "c", "n1", "n2", "n3"])
    df["kind"] = rng.choice(["low", "mid", "high"], N)
    effect = df["kind"].map({"low": -1.5, "mid": 0.0, "high": 1.5})
    logit = 3 * df["a"] + 2 * np.tanh(2 * df["b"]) + (df["c"] ** 2 - 1) + effect
    df["y"] = (rng.random(N) < 1 / (1 + np.exp(-logit))).astype(int)
    df["r"] = logit + rng.normal(scale=0.5, size=N)
    df = df[FEATURES + ["y", "r"]]
    return df, dd.from_pandas(df, npartitions=4)


def _top(scores, k=4):
    return set(np.asarray(FEATURES)[np.argsort(-np.asarray(scores))[:k]])


@pytest.mark.parametrize("target,task", [("y", "classification"), ("r", "regression")])
def test_dask_boosting_has_the_in_memory_top_features(client, table, target, task):
    from featkit.selection import GradientBoostingRanker

    df, ddf = table
    mem = GradientBoostingRanker(random_state=0).fit(df[FEATURES], df[target])
    dist = GradientBoostingRanker(random_state=0).fit(ddf[FEATURES], ddf[target])
    assert isinstance(dist.scores_, np.ndarray) and dist.scores_.shape == (len(FEATURES),)
    assert dist.task_ == task and "lightgbm.dask" in dist.distributed_note_
    assert _top(dist.scores_) == _top(mem.scores_) == {"a", "b", "c", "kind"}
    np.testing.assert_allclose(dist.scores_.sum(), 1.0)
    assert list(dist.feature_names_in_) == FEATURES
    # the trained model is an in-memory LightGBM model afterwards
    assert type(dist.estimator_).__name__ == ("LGBMClassifier" if task == "classification" else "LGBMRegressor")


def test_scores_follow_the_columns_not_their_order(client, table):
    from featkit.selection import GradientBoostingRanker

    _, ddf = table
    first = GradientBoostingRanker(random_state=0).fit(ddf[FEATURES], ddf["y"])
    shuffled = FEATURES[::-1]
    second = GradientBoostingRanker(random_state=0).fit(ddf[shuffled], ddf["y"])
    # the gains move a little between runs (which rows each worker holds shapes its bins),
    # far less than the gaps between features: a mix-up of columns would show
    np.testing.assert_allclose(second.scores_[::-1], first.scores_, atol=0.02)
    assert _top(second.scores_[::-1]) == _top(first.scores_)


def test_dask_array_input(client, table):
    from featkit.selection import GradientBoostingRanker

    df, ddf = table
    numeric = ["a", "b", "c", "n1", "n2", "n3"]
    X = ddf[numeric].to_dask_array(lengths=True)
    y = ddf["y"].to_dask_array(lengths=True)
    ranker = GradientBoostingRanker(random_state=0).fit(X, y)
    assert set(np.argsort(-ranker.scores_)[:3]) == {0, 1, 2}


def test_rank_features_notes_the_distributed_training(client, table):
    from featkit import rank_features

    _, ddf = table
    result = rank_features(ddf.drop(columns="r"), "y", methods=["gradient_boosting"], sample=1000)
    assert any("gradient_boosting: trained distributed with lightgbm.dask on all 6,000 rows" in n
               for n in result.notes), result.notes
    top = result.methods["gradient_boosting"].ranking
    assert set(np.asarray(result.features)[np.argsort(top)[:4]]) == {"a", "b", "c", "kind"}


def test_permutation_boosting_and_sklearn_backend_are_refused(client, table):
    from featkit.selection import BoostingPermutationRanker, GradientBoostingRanker

    _, ddf = table
    with pytest.raises(InputError, match="no distributed form"):
        BoostingPermutationRanker().fit(ddf[FEATURES], ddf["y"])
    with pytest.raises(InputError, match="has no distributed form"):
        GradientBoostingRanker(backend="sklearn").fit(ddf[FEATURES], ddf["y"])


def test_a_table_larger_than_the_cluster_is_refused():
    from featkit.distributed._boosting import _check_memory, training_bytes

    class Cluster:
        def __init__(self, limit, used=0):
            self.limit, self.used = limit, used

        def scheduler_info(self):
            worker = {"memory_limit": self.limit, "metrics": {"memory": self.used}}
            return {"workers": {"w1": worker, "w2": dict(worker)}}

    need = training_bytes(1_000_000, 49)
    with pytest.raises(InputError, match="holds the rows in the workers' memory"):
        _check_memory(Cluster(need // 4), 1_000_000, 49)
    _check_memory(Cluster(need), 1_000_000, 49)  # room enough: no error
    _check_memory(Cluster(0), 1_000_000, 49)  # no limit set: nothing to check against


def test_the_memory_a_worker_already_holds_counts():
    """Limits that would hold the rows, but the workers' libraries already take most of them."""
    from featkit.distributed._boosting import _check_memory, training_bytes

    class Cluster:
        def scheduler_info(self):
            worker = {"memory_limit": 600 * 2**20, "metrics": {"memory": 350 * 2**20}}
            return {"workers": {"w1": worker, "w2": dict(worker)}}

    n_rows = 500_000
    assert training_bytes(n_rows, 52) < 0.8 * 2 * 600 * 2**20  # the old check let it through
    with pytest.raises(InputError, match="free below Dask's pause threshold"):
        _check_memory(Cluster(), n_rows, 52)
