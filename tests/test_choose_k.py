"""k chosen by cross-validation: the one-standard-error rule and n_features_to_select="cv"."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from featkit.evaluation import CrossValidatedK, cv_k_grid, one_standard_error_k
from featkit.exceptions import InputError
from featkit.selection import FTestRanker, VarianceRanker


def test_one_se_rule_on_a_hand_made_curve():
    ks = [1, 2, 4, 8, 16, 32]
    means = [0.55, 0.70, 0.81, 0.84, 0.85, 0.84]
    # best is k=16 (0.85, SE 0.02): the band is [0.83, ...]; k=8 is the smallest inside it
    assert one_standard_error_k(ks, means, [0.03, 0.03, 0.02, 0.02, 0.02, 0.02]) == 8
    # a wider error at the best widens the band down to k=4
    assert one_standard_error_k(ks, means, [0.03, 0.03, 0.02, 0.02, 0.05, 0.02]) == 4
    # no error at all: the best k itself
    assert one_standard_error_k(ks, means, [0.0] * 6) == 16
    # NaN points are ignored, not chosen
    assert one_standard_error_k(ks, [np.nan, 0.70, 0.81, 0.84, 0.85, 0.84], [0.5] * 6) == 2


def test_one_se_rule_needs_a_score():
    with pytest.raises(InputError, match="finite"):
        one_standard_error_k([1, 2], [np.nan, np.nan], [0.1, 0.1])


def test_grid_is_geometric_and_ends_at_d():
    grid = cv_k_grid(500)
    assert grid[0] == 1 and grid[-1] == 500 and len(grid) <= 12
    ratios = np.diff(np.log(grid[4:]))  # rounding bends the first steps
    assert np.allclose(ratios, ratios.mean(), atol=0.1)


def _informative(n=200, d=20, n_signal=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, :n_signal].sum(axis=1) + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def test_cv_chooses_the_informative_features():
    X, y = _informative()
    ranker = FTestRanker(n_features_to_select="cv").fit(X, y)
    assert ranker.n_features_ == 3
    assert set(np.flatnonzero(ranker.get_support())) == {0, 1, 2}
    assert ranker.cv_grid_.tolist() == cv_k_grid(20)
    assert ranker.cv_scores_.shape == ranker.cv_errors_.shape == ranker.cv_grid_.shape
    assert np.all(ranker.cv_errors_ >= 0)
    # refitting with a fixed k forgets the curve
    ranker.set_params(n_features_to_select=2).fit(X, y)
    assert not hasattr(ranker, "cv_scores_") and ranker.n_features_ == 2


def test_cv_takes_any_estimator_and_folds():
    X, y = _informative(seed=1)
    chooser = CrossValidatedK(estimator=KNeighborsClassifier(5), cv=3, max_points=5)
    ranker = FTestRanker(n_features_to_select=chooser).fit(X, y)
    assert ranker.cv_grid_.tolist() == cv_k_grid(20, 5)
    assert 1 <= ranker.n_features_ <= 20
    # cloning keeps the chooser's settings (it is a parameter like any other)
    assert clone(ranker).n_features_to_select.get_params()["cv"] == 3


def test_cv_inside_outer_cross_validation_with_a_pipeline():
    X, y = _informative(n=240, seed=2)
    pipe = Pipeline([("select", FTestRanker(n_features_to_select="cv")),
                     ("model", LogisticRegression())])
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.85
    # on pure noise the outer score stays at chance: the choice of k never saw the held-out rows
    rng = np.random.RandomState(3)
    noise = rng.normal(size=(240, 60))
    y_noise = rng.randint(0, 2, 240)
    noise_scores = cross_val_score(pipe, noise, y_noise, cv=3, scoring="balanced_accuracy")
    assert abs(noise_scores.mean() - 0.5) < 0.1
    search = GridSearchCV(pipe, {"select__n_features_to_select": [1, "cv"]}, cv=2).fit(X, y)
    assert search.best_params_["select__n_features_to_select"] == "cv"


def test_cv_refuses_without_a_target():
    X, _ = _informative()
    with pytest.raises(InputError, match="target"):
        VarianceRanker(n_features_to_select="cv").fit(X)


def test_cv_on_regression_uses_r2():
    rng = np.random.RandomState(4)
    X = rng.normal(size=(150, 10))
    y = 2 * X[:, 4] + X[:, 7] + 0.1 * rng.normal(size=150)
    ranker = FTestRanker(n_features_to_select="cv").fit(X, y)
    assert set(np.flatnonzero(ranker.get_support())) == {4, 7}
    assert ranker.cv_scores_.max() > 0.9
