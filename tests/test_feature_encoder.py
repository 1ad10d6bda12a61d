"""Selectors read text / categorical / boolean columns; the encoder as a transformer (#17.6)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from featkit.io import FeatureEncoder, encode_discrete, encode_numeric
from featkit.io._encode import encode_discrete_values
from featkit.registry import REGISTRY
from featkit.selection import ECFS, FTestRanker

from test_estimator_checks import FAST_PARAMS


def _mixed(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame({
        "x": rng.normal(size=n) + y,
        "city": np.where(rng.random(n) < 0.8, np.where(y == 1, "paris", "oslo"), "rome").astype(object),
        "flag": rng.random(n) > 0.5,
        "shade": pd.Categorical(rng.choice(["dark", "light", "pale"], n)),
        "maybe": pd.array(rng.random(n) > 0.3, dtype="boolean"),
    })
    frame.loc[3, "city"] = None
    frame.loc[5, "x"] = np.nan
    frame.loc[7, "maybe"] = pd.NA
    return frame, y


def test_ecfs_on_text_equals_ecfs_on_the_encoded_matrix():
    frame, y = _mixed()
    fitted = ECFS().fit(frame, y)
    encoded = FeatureEncoder().fit_transform(frame, y)
    on_matrix = ECFS().fit(pd.DataFrame(encoded, columns=frame.columns), y)
    assert list(fitted.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(fitted.scores_, on_matrix.scores_)
    np.testing.assert_array_equal(fitted.ranking_, on_matrix.ranking_)


def test_the_encoding_is_the_cli_one():
    frame, y = _mixed()
    np.testing.assert_array_equal(FeatureEncoder().fit_transform(frame, y), encode_numeric(frame, y=y))
    np.testing.assert_array_equal(FeatureEncoder(impute=False).fit_transform(frame, y),
                                  encode_numeric(frame, y=y, impute=False))
    np.testing.assert_array_equal(FeatureEncoder(kind="categorical").fit_transform(frame),
                                  encode_discrete_values(frame))
    # the codes of the text columns are encode_discrete's
    codes = FeatureEncoder(kind="categorical").fit(frame).transform(frame)
    np.testing.assert_array_equal(codes[:, [1, 3]], encode_discrete(frame[["city", "shade"]]))


def test_numeric_input_takes_the_old_path(monkeypatch):
    # numbers never reach the encoder: same path, same results as an ndarray
    def refuse(*args, **kwargs):
        raise AssertionError("encoded a numeric frame")

    monkeypatch.setattr(FeatureEncoder, "fit_transform", refuse)
    frame, y = _mixed()
    numeric = frame[["x", "flag"]].fillna(0.0)
    est = FTestRanker().fit(numeric, y)
    np.testing.assert_array_equal(est.scores_, FTestRanker().fit(numeric.to_numpy(dtype=float), y).scores_)
    with pytest.raises(AssertionError, match="encoded"):
        FTestRanker().fit(frame, y)


@pytest.mark.parametrize("name", sorted(n for n, s in REGISTRY.items() if s.is_installed()))
@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_every_registered_estimator_on_a_mixed_frame(name, library):
    spec = REGISTRY[name]
    frame, y = _mixed()
    X = frame
    if library == "polars":
        pl = pytest.importorskip("polars")
        X = pl.from_pandas(frame)
    est = spec.make(**FAST_PARAMS.get(name, {})).fit(X, y if spec.needs_target else None)
    assert list(est.feature_names_in_) == list(frame.columns)
    assert est.scores_.shape == (frame.shape[1],)
    assert est.ranking_.shape == (frame.shape[1],)
    # transform keeps the original columns, text included (rows with a missing
    # value are left to scikit-learn's checks, as for any selector)
    complete = frame.dropna()
    kept = est.transform(complete)
    assert kept.shape == (len(complete), int(est.get_support().sum()))


def test_transform_applies_what_fit_learnt():
    frame, y = _mixed()
    enc = FeatureEncoder().fit(frame, y)
    new = frame.iloc[:4].copy()
    new.loc[0, "city"] = "lima"  # unseen: the prior (the target mean)
    out = enc.transform(new)
    assert out[0, 1] == pytest.approx(y.mean())
    paris = enc.encodings_[1][enc.categories_[1].index("paris")]
    rows = (new["city"] == "paris").to_numpy()
    np.testing.assert_allclose(out[rows, 1], paris)
    assert paris > y.mean()  # paris rows are mostly class 1
    assert not np.isnan(out).any()
    codes = FeatureEncoder(kind="categorical").fit(frame).transform(new)
    assert codes[0, 1] == len(frame["city"].dropna().unique())  # unseen -> the missing code


def test_pipeline_and_set_output():
    frame, y = _mixed()
    enc = FeatureEncoder().set_output(transform="pandas")
    out = enc.fit_transform(frame, y)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(frame.columns)
    assert list(enc.get_feature_names_out()) == list(frame.columns)
    pipe = make_pipeline(FeatureEncoder(), FTestRanker(n_features_to_select=2)).fit(frame, y)
    assert pipe.transform(frame).shape == (len(frame), 2)


@parametrize_with_checks([FeatureEncoder(), FeatureEncoder(kind="categorical"), FeatureEncoder(impute=False)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
