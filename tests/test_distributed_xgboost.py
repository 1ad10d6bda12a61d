"""xgboost as gradient_boosting's backend (in memory and through xgboost.dask) and TreeSHAP on Dask."""

import sys

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError
from featkit.selection import GradientBoostingRanker

xgboost = pytest.importorskip("xgboost")


def _table(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    df = pd.DataFrame(X, columns=list("abcde"))
    df["t"] = rng.choice(["u", "v", "w"], n)
    logit = 2 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2] ** 2 + 1.5 * (df["t"] == "u")
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


def test_xgboost_backend_in_memory_ranks_by_total_gain():
    df = _table()
    est = GradientBoostingRanker(backend="xgboost", n_estimators=40, random_state=0).fit(df[list("abcde")], df["y"])
    assert est.backend_ == "xgboost" and type(est.estimator_).__name__ == "XGBClassifier"
    assert est.scores_.sum() == pytest.approx(1.0)
    assert est.ranking_[0] == 1 and set(np.argsort(-est.scores_)[:3]) == {0, 1, 2}
    booster_gain = est.estimator_.get_booster().get_score(importance_type="total_gain")
    want = np.array([booster_gain.get(f"f{c}", 0.0) for c in range(5)])  # trained in canonical order
    np.testing.assert_allclose(est.scores_[est.canonical_order_], want / want.sum(), rtol=1e-6)


distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def frames():
    df = _table()
    return df, dd.from_pandas(df, npartitions=4)


def test_dask_xgboost_backend_trains_on_the_cluster(client, frames):
    df, ddf = frames
    cols = list("abcdet")
    dist = GradientBoostingRanker(backend="xgboost", n_estimators=40).fit(ddf[cols], ddf["y"])
    assert dist.backend_ == "xgboost" and "xgboost.dask on all 4,000 rows (2 workers)" in dist.distributed_note_
    assert type(dist.estimator_).__name__ == "Booster"
    assert dist.scores_.sum() == pytest.approx(1.0)
    # the text column is split on as a category: it carries the 1.5 logit step of "u"
    assert set(np.argsort(-dist.scores_)[:4]) == {0, 1, 2, 5}
    mem = GradientBoostingRanker(backend="xgboost", n_estimators=40).fit(df[list("abcde")], df["y"])
    np.testing.assert_array_equal(np.argsort(-dist.scores_[:5])[:3], np.argsort(-mem.scores_)[:3])


def test_auto_backend_falls_back_to_xgboost_dask(client, frames, monkeypatch):
    from featkit.distributed._boosting import dask_backend

    _, ddf = frames
    assert dask_backend("auto") == "lightgbm"
    monkeypatch.setitem(sys.modules, "lightgbm.dask", None)  # "import lightgbm.dask" now fails
    assert dask_backend("auto") == "xgboost"
    est = GradientBoostingRanker(n_estimators=20).fit(ddf[list("abcde")], ddf["y"])
    assert est.backend_ == "xgboost" and "xgboost.dask" in est.distributed_note_
    with pytest.raises(InputError, match="backend='sklearn'"):
        GradientBoostingRanker(backend="sklearn").fit(ddf[list("abcde")], ddf["y"])


def _in_memory_mean_abs_shap(df, cols, rounds):
    frame = df[cols].copy()
    frame["t"] = frame["t"].astype("category")
    params = {"objective": "binary:logistic", "eta": 0.05, "max_depth": 6, "colsample_bytree": 0.9,
              "tree_method": "hist", "max_cat_to_onehot": 4, "seed": 0, "verbosity": 0}
    booster = xgboost.train(params, xgboost.DMatrix(frame, df["y"], enable_categorical=True), num_boost_round=rounds)
    contribs = booster.predict(xgboost.DMatrix(frame, enable_categorical=True), pred_contribs=True)
    return np.abs(contribs[:, :-1]).mean(axis=0)


def test_dask_treeshap_mean_abs_over_every_row(client, frames):
    from featkit.distributed._xgboost import shap_importance_dask

    df, ddf = frames
    cols = list("abcdet")
    imp = shap_importance_dask(ddf[cols], ddf["y"], task="classification", n_estimators=40)
    assert imp.n_rows == 4000 and imp.features == cols
    want = _in_memory_mean_abs_shap(df, cols, 40)
    # the workers' merged quantile sketches cut slightly other bins than one machine's
    np.testing.assert_allclose(imp.shap, want, rtol=0.15, atol=0.01)
    np.testing.assert_array_equal(np.argsort(-imp.shap)[:4], np.argsort(-want)[:4])


def test_rank_features_model_xgboost_explains_every_row(client, frames):
    from featkit.distributed._xgboost import shap_importance_dask
    from featkit.ranking import rank_features

    _, ddf = frames
    dist = rank_features(ddf, "y", methods=["variance"], model="xgboost", sample=600)
    assert any("xgboost.dask on all 4,000 rows" in note for note in dist.notes), dist.notes
    assert any("xgboost_shap" in note and "computed on all 4000 rows" in note for note in dist.notes), dist.notes
    section = dist.sections.attribution
    imp = shap_importance_dask(ddf[dist.features], ddf["y"], task="classification",
                               n_estimators=section.n_estimators)
    # xgboost.dask's result depends on which worker holds which partition (its quantile
    # sketches are merged per worker), and a shared cluster places them by its history: two
    # fits on every row agree closely, not bitwise; the section and the method hold the same fit
    np.testing.assert_allclose(dist.methods["xgboost_shap"].scores, imp.shap, rtol=0.15, atol=0.01)
    np.testing.assert_array_equal(np.argsort(-dist.methods["xgboost_shap"].scores)[:3], np.argsort(-imp.shap)[:3])
    np.testing.assert_allclose(section.importances["shap"], dist.methods["xgboost_shap"].scores, rtol=1e-12)
