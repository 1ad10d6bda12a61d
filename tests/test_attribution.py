"""featkit.attribution: native TreeSHAP against the shap package, additivity, defaults."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
shap = pytest.importorskip("shap")

from featkit.attribution import (  # noqa: E402
    model_attribution,
    permutation_attribution,
    shap_values,
)

pytestmark = pytest.mark.boost


def _data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5))
    y_reg = 2.0 * X[:, 0] + X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=n)
    y_bin = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
    y_multi = np.digitize(X[:, 0] + 0.3 * X[:, 3], [-0.5, 0.5])
    return X, y_reg, y_bin, y_multi


def _xgb(X, y, objective, **extra):
    params = {"objective": objective, "max_depth": 3, "eta": 0.3, "seed": 0, "nthread": 1, **extra}
    return xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=20)


def _lgb(X, y, objective, **extra):
    params = {"objective": objective, "num_leaves": 8, "min_data_in_leaf": 5, "verbosity": -1,
              "seed": 0, "num_threads": 1, **extra}
    return lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=20)


def test_xgboost_native_treeshap_matches_shap_tree_explainer():
    X, y, _, _ = _data()
    booster = _xgb(X, y, "reg:squarederror")
    ours = shap_values(booster, X[:50])
    ref = shap.TreeExplainer(booster).shap_values(X[:50])
    np.testing.assert_allclose(ours.values, ref, atol=1e-5)
    assert ours.method == "xgboost"


def test_lightgbm_native_treeshap_matches_shap_tree_explainer():
    X, y, _, _ = _data()
    booster = _lgb(X, y, "regression")
    ours = shap_values(booster, X[:50])
    ref = shap.TreeExplainer(booster).shap_values(X[:50])
    np.testing.assert_allclose(ours.values, ref, atol=1e-5)
    assert ours.method == "lightgbm"


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("kind", ["regression", "binary", "multiclass"])
def test_additivity_rows_sum_to_the_raw_prediction(library, kind):
    X, y_reg, y_bin, y_multi = _data()
    if library == "xgboost":
        obj, y, extra = {"regression": ("reg:squarederror", y_reg, {}),
                         "binary": ("binary:logistic", y_bin, {}),
                         "multiclass": ("multi:softprob", y_multi, {"num_class": 3})}[kind]
        booster = _xgb(X, y, obj, **extra)
        raw = booster.predict(xgb.DMatrix(X[:40]), output_margin=True)
    else:
        obj, y, extra = {"regression": ("regression", y_reg, {}),
                         "binary": ("binary", y_bin, {}),
                         "multiclass": ("multiclass", y_multi, {"num_class": 3})}[kind]
        booster = _lgb(X, y, obj, **extra)
        raw = booster.predict(X[:40], raw_score=True)
    sv = shap_values(booster, X[:40])
    if kind == "multiclass":
        assert sv.values.shape == (40, 5, 3)
        assert sv.base_values.shape == (40, 3)
    else:
        assert sv.values.shape == (40, 5)
    np.testing.assert_allclose(sv.values.sum(axis=1) + sv.base_values, raw, rtol=1e-5, atol=1e-5)


def test_xgboost_interaction_values_sum_to_shap_values():
    X, y, _, _ = _data()
    booster = _xgb(X, y, "reg:squarederror")
    sv = shap_values(booster, X[:30], interactions=True)
    assert sv.interactions.shape == (30, 5, 5)
    np.testing.assert_allclose(sv.interactions.sum(axis=2), sv.values, atol=1e-4)
    ref = shap.TreeExplainer(booster).shap_interaction_values(X[:30])
    np.testing.assert_allclose(sv.interactions, ref, atol=1e-4)
    # The x1 * x2 term is the only interaction in the target.
    mean_abs = np.abs(sv.interactions).mean(axis=0)
    np.fill_diagonal(mean_abs, 0)
    assert set(np.unravel_index(np.argmax(mean_abs), mean_abs.shape)) == {1, 2}


def test_linear_shap_is_coefficient_times_centred_value():
    from sklearn.linear_model import LinearRegression

    X, y, _, _ = _data()
    model = LinearRegression().fit(X, y)
    sv = shap_values(model, X[:10], background=X[:80])  # <= max_background: used whole
    expected = model.coef_ * (X[:10] - X[:80].mean(axis=0))
    np.testing.assert_allclose(sv.values, expected, atol=1e-8)
    assert sv.method == "linear"


def test_kernel_shap_for_other_models_is_additive():
    from sklearn.tree import DecisionTreeRegressor

    X, y, _, _ = _data(n=120)
    model = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    sv = shap_values(model, X[:3], background=X[:20], kernel_nsamples=200)
    assert sv.method == "kernel"
    np.testing.assert_allclose(sv.values.sum(axis=1) + sv.base_values, model.predict(X[:3]), atol=1e-6)
    with pytest.raises(InputError):
        shap_values(model, X[:3], interactions=True)


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_model_attribution_finds_the_signal_with_categoricals(library):
    rng = np.random.RandomState(1)
    n = 400
    frame = pd.DataFrame({
        "signal": rng.normal(size=n),
        "noise": rng.normal(size=n),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        "text": rng.choice(["a", "b"], n),  # object dtype: passed as a category
    })
    y = np.where(frame["signal"] + 1.5 * (frame["colour"] == "red") > 0.3, "yes", "no")
    res = model_attribution(frame, y, task="classification", model=library, max_rows_shap=150)
    shap_imp, gain = res.importances["shap"], res.importances["gain"]
    assert shap_imp.shape == gain.shape == (4,)
    assert set(np.argsort(-shap_imp)[:2]) == {0, 2}
    assert res.metric == "roc_auc" and res.score > 0.9
    assert res.shap_values.shape == (150, 4) and res.feature_values.shape == (150, 4)
    assert res.categories["colour"] == ["blue", "green", "red"]
    # global importance is the mean |SHAP| of the explained rows
    np.testing.assert_allclose(shap_imp, np.abs(res.shap_values).mean(axis=0))
    section = res.to_section(max_rows=50)
    json.dumps(section, allow_nan=False)
    assert len(section["shap_values"]) == 50


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_model_attribution_any_column_names(library):
    # LightGBM rejects JSON characters and xgboost '[', ']', '<' in names; ours must not care.
    X, y, _, _ = _data(n=100)
    names = ['<img src=x onerror=alert(1)>', 'a"b{c}', "x[0]", "plain", "é, ü"]
    res = model_attribution(pd.DataFrame(X, columns=names), y, task="regression", model=library)
    assert res.features == names
    assert int(np.argmax(res.importances["shap"])) == 0


def test_model_attribution_multiclass_and_regression():
    X, y_reg, _, y_multi = _data()
    res = model_attribution(X, y_multi, task="classification", model="lightgbm")
    assert res.metric == "accuracy" and res.shap_class in {"0", "1", "2"}
    assert int(np.argmax(res.importances["shap"])) == 0
    res = model_attribution(X, y_reg, task="regression", model="xgboost", interactions=True)
    assert res.metric == "r2" and res.score > 0.5
    assert res.interactions.shape == (5, 5)


def test_model_attribution_bad_input():
    X, y, _, _ = _data(n=50)
    with pytest.raises(InputError, match="model must be one of"):
        model_attribution(X, y, task="regression", model="catboost")
    with pytest.raises(InputError, match="rows"):
        model_attribution(X[:5], y[:5], task="regression")
    with pytest.raises(InputError, match="y has"):
        model_attribution(X, y[:10], task="regression")


def test_permutation_attribution_matches_sklearn_ordering():
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    X, y, _, _ = _data(n=300)
    model = RandomForestRegressor(n_estimators=30, random_state=0).fit(X, y)
    ours = permutation_attribution(model, X, y, n_repeats=5, random_state=0)
    ref = permutation_importance(model, X, y, n_repeats=5, random_state=0).importances_mean
    assert np.argmax(ours["importances_mean"]) == np.argmax(ref) == 0
    np.testing.assert_allclose(ours["importances_mean"], ref, rtol=0.1, atol=0.02)
    # a frame works too, and a column the model never uses costs nothing when shuffled
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame(X[:, :2], columns=["a", "b"])
    lin = LinearRegression().fit(frame, y)
    out = permutation_attribution(lin, frame, y, n_repeats=3)
    assert out["importances"].shape == (2, 3) and out["metric"] == "r2"
    with pytest.raises(InputError):
        permutation_attribution(object(), X, y)


def test_import_is_light():
    code = ("import sys, featkit.attribution, featkit.evaluation, featkit.report; "
            "print(sorted(m for m in ('xgboost', 'lightgbm', 'shap', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
