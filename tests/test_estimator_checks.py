"""scikit-learn's estimator checks over every estimator in the registry.

A method added to the registry is checked here without anyone adding a test.
Methods whose extra is not installed are skipped (with the reason shown).
"""

import dataclasses

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from featkit.exceptions import MissingExtraError
from featkit.registry import REGISTRY

# Small, fast settings per method for the checks (the estimators' defaults are
# tuned for real data). Keyed by registry name; missing names use defaults.
FAST_PARAMS = {
    "random_forest": {"n_estimators": 10, "random_state": 0},
    "permutation": {"n_estimators": 10, "n_repeats": 2, "random_state": 0},
    "mutual_info": {"random_state": 0},
    "l1": {"random_state": 0},
    "consensus": {"methods": ("f_test", "variance"), "random_state": 0},
    "boruta": {"max_iter": 4, "random_state": 0},
    # neural (featkit[neural]): a few epochs of a tiny network keep each fit near 0.1 s
    **{f"kan_{s}": {"hidden_size": 2, "grid_size": 3, "epochs": 5, "n_splits": 2,
                    "random_state": 0, "n_threads": 1} for s in ("l1", "l2", "si", "ko")},
    **{name: {"hidden_layer_sizes": (4,), "epochs": 2, "min_phase_steps": 2, "batch_size": None,
              "random_state": 0, "n_threads": 1}
       for name in ("sequential_attention", "sequential_lasso", "group_lasso", "omp")},
}

# Checks that a method cannot pass by its nature, each with the reason.
# Keyed by registry name -> {check name: reason}.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}


def _installed_specs():
    return [spec for spec in REGISTRY.values() if spec.is_installed()]


def _estimators():
    out = []
    for spec in _installed_specs():
        est = spec.make(**FAST_PARAMS.get(spec.name, {}))
        est._featkit_name = spec.name  # used only to look up expected failures
        out.append(est)
    return out


def _expected_failed_checks(est):
    return EXPECTED_FAILED_CHECKS.get(getattr(est, "_featkit_name", ""), {})


@parametrize_with_checks(_estimators(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_missing_extras_are_reported():
    # every entry either imports, or names the pip install that would make it import
    for spec in REGISTRY.values():
        if spec.is_installed():
            assert issubclass(spec.estimator_class(), BaseEstimator), spec.name
        else:
            with pytest.raises(MissingExtraError, match=rf"featkit\[{spec.extra or 'all'}\]"):
                spec.estimator_class()
    absent = dataclasses.replace(REGISTRY["f_test"], requires=("no_such_module_xyz",), extra="neural")
    assert not absent.is_installed()
    with pytest.raises(MissingExtraError, match=r"'no_such_module_xyz'.*featkit\[neural\]"):
        absent.estimator_class()


@pytest.mark.parametrize("name", [s.name for s in _installed_specs()])
def test_contract_pipeline_pickle_pandas(name, tmp_path):
    """The contract of featkit.base on every registered ranker/transformer."""
    import pickle

    import pandas as pd

    spec = REGISTRY[name]
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(60, 6)), columns=[f"c{i}" for i in range(6)])
    y = (X["c0"] + 0.5 * X["c1"] > 0).astype(int) if spec.needs_target else None
    est = spec.make(**FAST_PARAMS.get(name, {}))
    if "n_features_to_select" in est.get_params():
        est.set_params(n_features_to_select=3)
    if "random_state" in est.get_params():  # the contract: same seed, same result
        est.set_params(random_state=0)
    est.set_output(transform="pandas")
    out = clone(est).fit(X, y).transform(X)
    assert isinstance(out, pd.DataFrame)
    fitted = est.fit(X, y)
    if hasattr(fitted, "ranking_"):
        # average ranks: within 1..6, summing to 1 + ... + 6 whatever the ties
        assert fitted.ranking_.min() >= 1 and fitted.ranking_.max() <= 6
        assert fitted.ranking_.sum() == 21
        assert fitted.scores_.shape == (6,)
        assert fitted.get_support().sum() == 3
        assert list(out.columns) == list(np.asarray(X.columns)[fitted.get_support()])
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(np.asarray(again.transform(X)), np.asarray(out))
    pipe = make_pipeline(clone(est)).fit(X, y)
    assert pipe.transform(X).shape[0] == 60
