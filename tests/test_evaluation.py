"""featkit.evaluation: selection curves, stability, agreement, redundancy."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau, spearmanr

from featkit.evaluation import (
    bootstrap_stability,
    default_top_k,
    evaluate_ranking,
    feature_redundancy,
    k_grid,
    nogueira_stability,
    ranking_agreement,
    selection_curves,
)
from featkit.exceptions import InputError
from featkit.results import MethodResult, RankingResult
from featkit.selection import FTestRanker


def _data(n=200, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6))
    X[:, 5] = X[:, 0] + 0.01 * rng.normal(size=n)  # a near copy of the best feature
    y = (X[:, 0] + 0.7 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def _result(features, methods, task="classification", n_rows=200):
    ms = {name: MethodResult(name, -np.asarray(r, dtype=float), np.asarray(r), seconds=0.01)
          for name, r in methods.items()}
    cons = np.mean([m.ranking for m in ms.values()], axis=0)
    order = np.argsort(cons, kind="stable")
    rank = np.empty(len(features), dtype=np.int64)
    rank[order] = np.arange(1, len(features) + 1)
    return RankingResult(list(features), [], "y", task, n_rows, ms, -cons, rank)


def test_k_grid():
    assert k_grid(1) == [1]
    assert k_grid(16) == list(range(1, 17))
    g = k_grid(1000, max_points=16)
    assert g[:6] == [1, 2, 3, 4, 5, 6] and g[-1] == 1000 and len(g) <= 16
    assert g == sorted(set(g))
    assert k_grid(100, max_features=20)[-1] == 20


def test_selection_curve_score_is_the_cross_validated_score():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _data()
    out = selection_curves({"m": [1, 2, 3, 4, 5, 6]}, X, y, task="classification", ks=[2], cv=3,
                           random_state=0)
    folds = StratifiedKFold(3, shuffle=True, random_state=0).split(X, y)
    direct = []
    for tr, te in folds:
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X[tr][:, :2], y[tr])
        direct.append(roc_auc_score(y[te], model.predict_proba(X[te][:, :2])[:, 1]))
    assert out["metric"] == "roc_auc"
    assert out["curves"]["m"][0] == pytest.approx(np.mean(direct), abs=1e-12)


def test_selection_curves_good_ranking_beats_bad_and_reference():
    X, y = _data()
    out = selection_curves({"good": [1, 2, 3, 4, 5, 6], "bad": [6, 5, 3, 2, 1, 4]}, X, y,
                           task="classification", random_state=0)
    assert out["ks"] == [1, 2, 3, 4, 5, 6]
    assert out["curves"]["good"][1] > out["curves"]["bad"][1] + 0.1
    # with every feature kept, each curve equals the all-features reference
    assert out["curves"]["good"][-1] == pytest.approx(out["all_features"]["mean"])
    assert out["best_k"]["good"] <= 3
    reg = selection_curves({"m": [1, 2, 3, 4, 5, 6]}, X, X[:, 1] * 2, task="regression",
                           ks=[1, 2], model="forest")
    assert reg["metric"] == "r2" and reg["curves"]["m"][1] > 0.8
    with pytest.raises(InputError):
        selection_curves({"m": [1, 2]}, np.array([[np.nan, 1.0]] * 10), np.arange(10) % 2,
                         task="classification")


def test_nogueira_stability_hand_cases():
    assert nogueira_stability([[1, 0, 1, 0]] * 4) == 1.0
    # Two runs selecting disjoint halves: as unstable as it gets.
    assert nogueira_stability([[1, 1, 0, 0], [0, 0, 1, 1]]) == pytest.approx(-1.0)
    # M=4, d=4, k=2: p = (1, 3/4, 1/4, 0), s^2 = 4/3 p(1-p) = (0, 1/4, 1/4, 0), mean 1/8;
    # kbar/d = 1/2 -> 1 - (1/8) / (1/4) = 1/2
    z = [[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 0, 0]]
    assert nogueira_stability(z) == pytest.approx(0.5)
    with pytest.raises(InputError):
        nogueira_stability([[1, 0]])


def test_bootstrap_stability_is_seeded_and_finds_strong_features():
    X, y = _data()
    a = bootstrap_stability(FTestRanker, X, y, top_k=2, n_bootstrap=6, random_state=3)
    b = bootstrap_stability(FTestRanker, X, y, top_k=2, n_bootstrap=6, random_state=3)
    assert a["frequency"].tolist() == b["frequency"].tolist()
    assert a["n_bootstrap"] == 6 and a["top_k"] == 2
    assert a["frequency"][0] == 1.0 and a["frequency"][2:5].max() == 0.0
    assert -1.0 <= a["stability"] <= 1.0
    assert np.isclose(a["frequency"].sum(), 2.0)


def test_ranking_agreement_matches_scipy():
    rng = np.random.RandomState(0)
    r1 = rng.permutation(8) + 1
    r2 = rng.permutation(8) + 1
    out = ranking_agreement({"a": r1, "b": r2, "c": r1}, top_k=3)
    assert out["methods"] == ["a", "b", "c"]
    assert out["spearman"][0][1] == pytest.approx(spearmanr(r1, r2).statistic, abs=1e-6)
    assert out["kendall"][0][1] == pytest.approx(kendalltau(r1, r2).statistic, abs=1e-6)
    assert out["spearman"][0][2] == 1.0 and out["overlap"][0][2] == 1.0
    top_a = set(np.argsort(r1)[:3])
    top_b = set(np.argsort(r2)[:3])
    assert out["overlap"][0][1] == pytest.approx(len(top_a & top_b) / 3)


def test_feature_redundancy_matches_pandas_spearman_and_clusters():
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=300), rng.normal(size=300)
    X = np.column_stack([a, b, np.exp(a), rng.normal(size=300), -b + 0.05 * rng.normal(size=300)])
    names = ["a", "b", "exp_a", "noise", "minus_b"]
    out = feature_redundancy(X, names)
    ref = pd.DataFrame(X, columns=names).corr(method="spearman").abs().to_numpy()
    np.testing.assert_allclose(out["abs_spearman"], ref, atol=1e-4)
    assert sorted(out["order"]) == list(range(5))
    pos = {names[i]: p for p, i in enumerate(out["order"])}
    assert abs(pos["a"] - pos["exp_a"]) == 1 and abs(pos["b"] - pos["minus_b"]) == 1
    assert [p[:2] for p in out["pairs"]] == [["a", "exp_a"], ["b", "minus_b"]]


def test_evaluate_ranking_end_to_end_is_json_ready():
    X, y = _data()
    features = [f"x{i}" for i in range(6)]
    f = FTestRanker().fit(X, y)
    res = _result(features, {"f_test": f.ranking_, "variance": [6, 5, 4, 3, 2, 1],
                             "lightgbm_shap": [1, 2, 3, 4, 5, 6]})
    res.methods["f_test"].params = {"alpha": 0.05, "n_features_to_select": 3}
    X_missing = X.copy()
    X_missing[0, 3] = np.nan
    ev = evaluate_ranking(res, X_missing, np.where(y == 1, "yes", "no"), task="classification",
                          n_bootstrap=4, random_state=0)
    json.dumps(ev, allow_nan=False)
    assert ev["top_k"] == default_top_k(6) == 2
    assert set(ev["curves"]["curves"]) == {"consensus", "f_test", "variance", "lightgbm_shap"}
    assert set(ev["stability"]["methods"]) == {"f_test", "variance"}
    assert "lightgbm_shap" in ev["stability"]["skipped"]
    assert ev["stability"]["methods"]["f_test"]["n_bootstrap"] == 4
    assert ev["agreement"]["methods"][0] == "consensus"
    assert len(ev["redundancy"]["abs_spearman"]) == 6
    assert ["x0", "x5"] == ev["redundancy"]["pairs"][0][:2]
    assert any("median" in n for n in ev["notes"])


def test_evaluate_ranking_without_target_and_bad_shapes():
    X, _ = _data()
    res = _result([f"x{i}" for i in range(6)], {"variance": [6, 5, 4, 3, 2, 1]}, task=None)
    ev = evaluate_ranking(res, X, None, task=None, n_bootstrap=3)
    assert ev["curves"] is None
    assert "variance" in ev["stability"]["methods"]
    assert ev["agreement"]["methods"] == ["variance"]
    with pytest.raises(InputError, match="features"):
        evaluate_ranking(res, X[:, :3], None, task=None)
    with pytest.raises(InputError, match="rows"):
        evaluate_ranking(res, X, np.zeros(5), task="classification")


def _noise_frame(seed=1, n=40, d=500):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = rng.randint(0, 2, n)
    frame = pd.DataFrame(X, columns=[f"g{i}" for i in range(d)])
    frame["y"] = y
    return frame, X, y


def test_nested_curves_on_pure_noise_are_near_chance_where_leaking_ones_are_not():
    from featkit.ranking import rank_features

    frame, X, y = _noise_frame()
    res = rank_features(frame, "y", methods=["f_test", "l1"], evaluate=True)
    cv = res.sections.evaluation.curves
    assert cv["nested"] == {"consensus": True, "f_test": True, "l1": True}
    assert cv["optimistic"] == {}
    assert sum(cv["n_test"]) == 40 and len(cv["n_test"]) == 3
    for name in ("consensus", "f_test", "l1"):
        assert max(cv["curves"][name]) < 0.75, name
    assert np.mean(cv["curves"]["f_test"]) < 0.65
    # The old way: the ranking saw every row, then its top k are cross-validated.
    leaking = selection_curves({"f_test": res.methods["f_test"].ranking}, X, y,
                               task="classification", ks=cv["ks"])
    assert np.mean(leaking["curves"]["f_test"]) > 0.85
    assert max(leaking["curves"]["f_test"]) > 0.95
    assert set(cv["best_k"]) == {"consensus", "f_test", "l1"}


def test_refit_is_on_training_rows_only_and_failures_fall_back():
    X, y = _data()
    seen = []

    def fit_on(rows):
        seen.append(np.asarray(rows))
        return FTestRanker().fit(X[rows], y[rows]).ranking_

    def broken(rows):
        raise InputError("too few rows")

    out = selection_curves({"f": [1, 2, 3, 4, 5, 6], "b": [6, 5, 4, 3, 2, 1]}, X, y,
                           task="classification", ks=[1, 2], cv=3, refit={"f": fit_on, "b": broken})
    assert len(seen) == 3 and sorted(np.concatenate(seen).tolist()) == sorted(list(range(200)) * 2)
    assert all(len(rows) == 200 - te for rows, te in zip(seen, out["n_test"]))
    assert out["nested"] == {"f": True, "b": False}
    assert out["refit_errors"] == {"b": "too few rows"}
    assert out["curves"]["f"][0] > 0.8
    with pytest.raises(InputError, match="without a ranking"):
        selection_curves({"f": [1, 2, 3, 4, 5, 6]}, X, y, task="classification", refit={"g": fit_on})


def test_evaluate_marks_curves_that_cannot_be_refitted_as_optimistic():
    X, y = _data()
    features = [f"x{i}" for i in range(6)]
    f = FTestRanker().fit(X, y)
    res = _result(features, {"f_test": f.ranking_, "l1": [1, 2, 3, 4, 5, 6],
                             "lightgbm_shap": [1, 2, 3, 4, 5, 6]})
    res.methods["f_test"].params = f.get_params()
    res.methods["l1"].seconds = 500.0  # as if one fit took minutes: too slow to refit per fold
    ev = evaluate_ranking(res, X, y, task="classification", n_bootstrap=3)
    cv = ev["curves"]
    assert cv["nested"] == {"consensus": False, "f_test": True, "l1": False, "lightgbm_shap": False}
    assert "model attribution" in cv["optimistic"]["lightgbm_shap"]
    assert "time budget" in cv["optimistic"]["l1"]
    assert "l1" in cv["optimistic"]["consensus"]
    # Only a nested curve suggests a k.
    assert set(cv["best_k"]) == {"f_test"}
