"""featkit.datasets: bundled example tables and make_benchmark."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from featkit.datasets import EXAMPLES, MIXED_PARAMS, ROLES, example_path, load_example, make_benchmark
from featkit.exceptions import InputError, UnknownNameError
from featkit.io import encode_numeric, prepare_features
from featkit.utils import infer_task


def _sklearn_data_file(name):
    """A data file scikit-learn ships, found without importing sklearn.datasets."""
    spec = importlib.util.find_spec("sklearn")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / name


# ---------------------------------------------------------------- examples


@pytest.mark.parametrize(
    "name, shape",
    [("breast_cancer", (569, 31)), ("wine", (178, 14)), ("diabetes", (442, 11)), ("mixed", (1000, 26))],
)
def test_examples_load_with_their_target_and_task(name, shape):
    info = EXAMPLES[name]
    frame = load_example(name)
    assert frame.shape == shape
    assert info.target in frame.columns and frame[info.target].notna().all()
    assert infer_task(frame[info.target]) == info.task
    assert example_path(name).name == info.file and example_path(name).is_file()
    data = prepare_features(frame, info.target)
    assert data.task == info.task and len(data.feature_names) >= 10


def test_breast_cancer_matches_scikit_learn_copy():
    frame = load_example("breast_cancer")
    assert frame["diagnosis"].value_counts().to_dict() == {"benign": 357, "malignant": 212}
    raw = np.loadtxt(_sklearn_data_file("breast_cancer.csv"), delimiter=",", skiprows=1)
    np.testing.assert_allclose(frame.drop(columns="diagnosis").to_numpy(), raw[:, :30], rtol=1e-12)
    # scikit-learn codes malignant as 0, benign as 1.
    assert ((frame["diagnosis"] == "benign").to_numpy() == (raw[:, 30] == 1)).all()
    assert frame.columns[0] == "mean_radius" and frame.columns[29] == "worst_fractal_dimension"


def test_wine_matches_scikit_learn_copy():
    frame = load_example("wine")
    raw = np.loadtxt(_sklearn_data_file("wine_data.csv"), delimiter=",", skiprows=1)
    np.testing.assert_allclose(frame.drop(columns="cultivar").to_numpy(dtype=float), raw[:, :13], rtol=1e-12)
    np.testing.assert_array_equal(frame["cultivar"].to_numpy(), raw[:, 13].astype(int) + 1)
    assert frame["cultivar"].value_counts().sort_index().tolist() == [59, 71, 48]


def test_diabetes_matches_scikit_learn_raw_copy():
    frame = load_example("diabetes")
    raw_x = np.loadtxt(_sklearn_data_file("diabetes_data_raw.csv.gz"))
    raw_y = np.loadtxt(_sklearn_data_file("diabetes_target.csv.gz"))
    assert frame.columns.tolist() == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "progression"]
    np.testing.assert_allclose(frame.iloc[:, :10].to_numpy(dtype=float), raw_x, rtol=1e-12)
    np.testing.assert_allclose(frame["progression"].to_numpy(dtype=float), raw_y)


def test_mixed_example_is_the_benchmark_it_claims():
    committed = load_example("mixed")
    bench = make_benchmark(**MIXED_PARAMS)
    fresh = bench.frame
    assert committed.columns.tolist() == fresh.columns.tolist()
    for name in fresh.columns:
        if fresh[name].dtype.kind == "f":
            np.testing.assert_allclose(committed[name], fresh[name], rtol=1e-9, equal_nan=True)
        else:
            a = committed[name].astype(object).where(committed[name].notna(), None).tolist()
            b = fresh[name].astype(object).where(fresh[name].notna(), None).tolist()
            assert a == b, name
    data = prepare_features(committed, "y")
    assert data.column("id").kind == "id" and not data.column("id").used
    assert data.column("cat_noise_1").kind == "categorical"


def test_unknown_example_name():
    with pytest.raises(UnknownNameError, match=r"No example named 'wines'.*Did you mean 'wine'"):
        load_example("wines")


def test_datasets_readme_documents_every_example():
    text = (example_path("wine").parent / "README.md").read_text()
    for name, info in EXAMPLES.items():
        assert info.file in text, name
    assert "licen" in text.lower() and "random_state=0" in text


# ---------------------------------------------------------------- make_benchmark


def test_benchmark_shape_roles_and_determinism():
    a = make_benchmark(300, random_state=7)
    b = make_benchmark(300, random_state=7)
    c = make_benchmark(300, random_state=8)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.truth == b.truth
    assert not a.frame["inf_0"].equals(c.frame["inf_0"])
    assert a.frame.shape == (300, 1 + 5 + 3 + 2 + 10 + 2 + 2 + 1)
    assert a.frame.columns[0] == "id" and a.frame.columns[-1] == "y" and a.target == "y"
    assert list(a.truth) == list(a.frame.columns[:-1])
    counts = pd.Series(a.truth).value_counts().to_dict()
    assert counts == {
        "noise": 10,
        "informative": 5,
        "redundant": 3,
        "repeated": 2,
        "categorical_informative": 2,
        "categorical_noise": 2,
        "id": 1,
    }
    assert set(a.truth.values()) <= set(ROLES)
    assert a.informative == ["inf_0", "inf_1", "inf_2", "inf_3", "inf_4", "cat_inf_0", "cat_inf_1"]
    assert set(a.frame["y"].unique()) == {0, 1}
    seeded = make_benchmark(50, random_state=np.random.RandomState(0))
    assert seeded.frame.shape[0] == 50


def test_benchmark_redundant_repeated_scales_and_categories():
    bench = make_benchmark(400, random_state=1)
    frame = bench.frame
    inf = frame[[f"inf_{j}" for j in range(5)]].to_numpy()
    design = np.column_stack([inf, np.ones(len(frame))])
    for name in bench.columns_with_role("redundant"):
        coef, *_ = np.linalg.lstsq(design, frame[name].to_numpy(), rcond=None)
        resid = frame[name].to_numpy() - design @ coef
        assert np.abs(resid).max() < 1e-8 * np.abs(frame[name]).max()
    for name in bench.columns_with_role("noise"):
        coef, *_ = np.linalg.lstsq(design, frame[name].to_numpy(), rcond=None)
        r2 = 1 - np.var(frame[name] - design @ coef) / np.var(frame[name])
        assert r2 < 0.1
    for name in bench.columns_with_role("repeated"):
        (source,) = bench.sources[name]
        assert bench.truth[source] in ("informative", "redundant")
        np.testing.assert_array_equal(frame[name], frame[source])
    scales = frame[bench.columns_with_role("informative", "noise")].std()
    assert scales.max() / scales.min() > 100  # mixed scales
    cards = {name: frame[name].nunique() for name in bench.columns_with_role("categorical_informative", "categorical_noise")}
    assert min(cards.values()) == 3 and max(cards.values()) == 50
    assert cards["cat_inf_0"] == 3 and cards["cat_noise_1"] == 50
    assert frame["id"].is_unique
    flat = make_benchmark(400, mixed_scales=False, id_column=False, random_state=1).frame
    assert "id" not in flat and flat[[f"noise_{j}" for j in range(10)]].std().between(0.5, 2).all()


def test_benchmark_informative_columns_carry_the_label():
    for task in ("classification", "regression"):
        bench = make_benchmark(1500, task=task, random_state=3)
        data = prepare_features(bench.frame, "y")
        assert data.task == task
        X = encode_numeric(data.X, data.columns, data.y, data.task)
        y = data.y.to_numpy(dtype=float)
        corr = {n: abs(np.corrcoef(X[:, j], y)[0, 1]) for j, n in enumerate(data.feature_names)}
        weakest_informative = min(corr[n] for n in bench.informative)
        strongest_noise = max(corr[n] for n in bench.columns_with_role("noise", "categorical_noise"))
        assert weakest_informative > 0.15 and strongest_noise < 0.1, task
        # Together the informative columns explain the label well; noise alone does not.
        cols_inf = [data.feature_names.index(n) for n in bench.informative]
        cols_noise = [data.feature_names.index(n) for n in bench.columns_with_role("noise")]
        fit = lambda cols: np.linalg.lstsq(np.column_stack([X[:, cols], np.ones(len(y))]), y, rcond=None)[0]
        r2 = lambda cols: 1 - np.var(y - np.column_stack([X[:, cols], np.ones(len(y))]) @ fit(cols)) / np.var(y)
        assert r2(cols_inf) > 0.5 and r2(cols_noise) < 0.05, task


def test_benchmark_regression_and_missing():
    bench = make_benchmark(2000, task="regression", missing_frac=0.1, random_state=0)
    frame = bench.frame
    assert frame["y"].dtype == np.float64 and frame["y"].notna().all()
    features = frame.drop(columns=["id", "y"])
    assert features.isna().mean().between(0.07, 0.13).all()
    assert frame["id"].notna().all()
    assert bench.task == "regression"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_samples": 1}, "n_samples"),
        ({"n_noise": -1}, "n_noise"),
        ({"n_informative": 0, "n_categorical_informative": 0}, "at least one informative"),
        ({"n_informative": 0}, "Redundant and repeated"),
        ({"missing_frac": 1.0}, "missing_frac"),
        ({"task": "ranking"}, "task"),
    ],
)
def test_benchmark_rejects_bad_parameters(kwargs, message):
    with pytest.raises(InputError, match=message):
        make_benchmark(**kwargs)


def test_benchmark_minimal_and_categorical_only():
    only_cat = make_benchmark(
        100, n_informative=0, n_redundant=0, n_repeated=0, n_noise=0, n_categorical_noise=0, random_state=0
    )
    assert set(only_cat.frame.columns) == {"id", "cat_inf_0", "cat_inf_1", "y"}
    assert only_cat.informative == ["cat_inf_0", "cat_inf_1"]
