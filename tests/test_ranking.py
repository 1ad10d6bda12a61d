"""featkit.ranking: the driver behind `featkit rank`."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError, MissingExtraError, UnknownNameError
from featkit.findings import Finding
from featkit.ranking import (
    default_methods,
    rank_features,
    rank_file_streaming,
    resolve_methods,
    should_stream,
)
from featkit.registry import REGISTRY, MethodSpec
from featkit.selection import aggregate_rankings

FAST = {"random_forest": {"n_estimators": 30}, "permutation": {"n_estimators": 30, "n_repeats": 3}}


@pytest.fixture(scope="module")
def frame():
    rng = np.random.RandomState(0)
    n = 300
    X = rng.normal(size=(n, 5))
    df = pd.DataFrame(X, columns=["strong", "weak", "noise1", "noise2", "noise3"])
    df["colour"] = rng.choice(["red", "green", "blue"], size=n)
    logit = 3 * df["strong"] + 1.0 * df["weak"] + 1.5 * (df["colour"] == "red")
    df["y"] = np.where(logit + rng.logistic(size=n) > 0, "yes", "no")
    return df


def test_consensus_is_the_mean_rank_of_the_methods(frame):
    # l1 keeps one feature (5 of 6 tied at 0, degenerate): included on request here
    result = rank_features(frame, "y", methods=["f_test", "l1", "random_forest"],
                           params={"random_forest": FAST["random_forest"]}, include_degenerate=True,
                           aggregation="mean_rank")
    assert list(result.methods) == ["f_test", "l1", "random_forest"]
    assert result.features == ["strong", "weak", "noise1", "noise2", "noise3", "colour"]
    rankings = np.array([m.ranking for m in result.methods.values()])
    np.testing.assert_allclose(result.consensus_score, -rankings.mean(axis=0))
    np.testing.assert_allclose(result.consensus_score, aggregate_rankings(rankings))
    # consensus rank orders by the mean rank, 1 = best
    assert result.consensus_rank[np.argmin(rankings.mean(axis=0))] == 1
    # average ranks: they always sum to 1 + 2 + ... + d
    assert result.consensus_rank.sum() == 21
    assert result.top(1) == ["strong"]
    assert result.task == "classification" and result.target == "y"
    assert result.n_rows == len(frame)
    for m in result.methods.values():
        assert m.seconds >= 0 and m.scores.shape == (6,) and m.support.dtype == bool
    assert result.methods["random_forest"].params["n_estimators"] == 30
    assert result.methods["random_forest"].params["random_state"] == 0


def test_categorical_column_is_ranked_under_its_own_name(frame):
    result = rank_features(frame, "y", methods=["f_test"])
    frame_out = result.to_frame()
    assert frame_out["feature"].tolist().count("colour") == 1
    # colour (red raises the odds) beats the pure noise columns
    r = dict(zip(result.features, result.methods["f_test"].ranking))
    assert r["colour"] < min(r["noise1"], r["noise2"], r["noise3"])


def test_borda_orders_like_the_mean_rank(frame):
    a = rank_features(frame, "y", methods=["f_test", "l1"], aggregation="mean_rank")
    b = rank_features(frame, "y", methods=["f_test", "l1"], aggregation="borda")
    np.testing.assert_array_equal(a.consensus_rank, b.consensus_rank)
    with pytest.raises(InputError, match="aggregation"):
        rank_features(frame, "y", methods=["f_test"], aggregation="best")


def test_same_seed_same_result(frame):
    kw = dict(methods=["mutual_info", "permutation"], params={"permutation": FAST["permutation"]})
    a = rank_features(frame, "y", random_state=3, **kw)
    b = rank_features(frame, "y", random_state=3, **kw)
    for name in a.methods:
        np.testing.assert_array_equal(a.methods[name].scores, b.methods[name].scores)
    np.testing.assert_array_equal(a.consensus_rank, b.consensus_rank)


def test_without_target_only_unsupervised_methods_run(frame):
    result = rank_features(frame.drop(columns="y"))
    assert set(result.methods) == set(default_methods(supervised=False))
    assert all(not REGISTRY[m].needs_target for m in result.methods)
    assert result.task is None and result.target is None
    assert any("No target given" in note for note in result.notes)


def test_supervised_method_without_target_is_refused(frame):
    with pytest.raises(InputError, match="need.*a target"):
        rank_features(frame.drop(columns="y"), methods=["f_test"])


def test_unknown_method_lists_the_valid_ones(frame):
    with pytest.raises(UnknownNameError, match="Valid methods: .*f_test") as info:
        rank_features(frame, "y", methods=["f_tset"])
    assert "Did you mean 'f_test'" in str(info.value)


def test_method_parameters_are_checked(frame):
    with pytest.raises(InputError, match="no parameter 'n_trees'.*n_estimators"):
        rank_features(frame, "y", methods=["random_forest"], params={"random_forest": {"n_trees": 3}})
    with pytest.raises(UnknownNameError, match="randomforest"):
        rank_features(frame, "y", methods=["f_test"], params={"randomforest": {"n_estimators": 3}})
    # settings for a method that is not run are a mistake, not silently ignored
    with pytest.raises(InputError, match="'random_forest', which is not run"):
        rank_features(frame, "y", methods=["f_test"], params={"random_forest": {"n_estimators": 3}})
    # a value of the wrong kind or range names the method and the parameter
    with pytest.raises(InputError, match="random_forest.n_estimators='abc'"):
        rank_features(frame, "y", methods=["random_forest"], params={"random_forest": {"n_estimators": "abc"}})
    with pytest.raises(InputError, match="'random_forest'.*n_estimators=-5"):
        rank_features(frame, "y", methods=["random_forest"], params={"random_forest": {"n_estimators": -5}})


def test_task_override_and_sample(frame):
    df = frame.copy()
    df["y"] = (df["strong"] * 2 + df["weak"]).round(0).clip(-3, 3)
    # integer-valued with 7 values: classification unless told otherwise
    assert rank_features(df, "y", methods=["f_test"]).task == "classification"
    result = rank_features(df, "y", methods=["f_test"], task="regression", sample=100)
    assert result.task == "regression" and result.n_rows == 100


def test_drop_removes_the_column(frame):
    result = rank_features(frame, "y", methods=["f_test"], drop=["noise1"])
    assert sorted(result.features) == ["colour", "noise2", "noise3", "strong", "weak"]
    assert len(result.methods["f_test"].ranking) == 5
    assert "noise1" in rank_features(frame, "y", methods=["f_test"]).features  # dropped, not absent


def test_progress_reports_every_step(frame):
    calls = []
    rank_features(frame, "y", methods=["f_test", "l1"], progress=lambda *a: calls.append(a))
    labels = [c[0] for c in calls]
    assert labels == ["reading data", "f_test", "f_test: done", "l1", "l1: done", "done"]
    assert calls[-1][1] == calls[-1][2] == 3


def test_meta_records_versions_seed_and_timing(frame, tmp_path):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    result = rank_features(path, "y", methods=["f_test"], random_state=7)
    meta = result.meta
    assert meta["source"] == "t.csv" and meta["seed"] == 7
    assert {"featkit", "numpy", "sklearn", "pandas"} <= set(meta["versions"])
    assert meta["seconds_total"] > 0 and "T" in meta["started"]
    json.dumps(result.to_dict(), allow_nan=False)  # the whole result is strict JSON


# --------------------------------------------------------------- registry hooks
class _ExtraRanker:
    """A stand-in estimator with a declared finding, registered only inside a test."""

    _findings = {"order_": Finding("feature_order", "order"),
                 "mean_abs_": Finding("scalar", "mean of |x|")}

    def __init__(self, random_state=None):
        self.random_state = random_state

    def get_params(self, deep=False):
        return {"random_state": self.random_state}

    def set_params(self, **params):
        self.__dict__.update(params)
        return self

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self.scores_ = X.std(axis=0)
        self.ranking_ = np.argsort(np.argsort(-self.scores_)) + 1
        self.seen_dtype_ = str(X.dtype)
        self.order_ = np.argsort(-self.scores_)
        return self


def _fake_streaming_scorer(path, target, *, batch_size, random_state, drop, progress):
    from featkit.io import iter_batches

    sums, n, names = None, 0, None
    for batch in iter_batches(path, batch_size=batch_size):
        batch = batch.drop(columns=[target, *drop])
        names = list(batch.columns)
        s = batch.abs().sum().to_numpy()
        sums = s if sums is None else sums + s
        n += len(batch)
        if progress is not None:
            progress(f"{n:,} rows", n, None)
    return names, sums / n, {"n_rows": n, "task": "classification", "mean_abs": True}


@pytest.fixture()
def fake_methods(monkeypatch):
    mod = __name__
    monkeypatch.setitem(REGISTRY, "fake_extra", MethodSpec(
        "fake_extra", f"{mod}:_ExtraRanker", "test only", "none", needs_target=False,
        family="baseline"))
    monkeypatch.setitem(REGISTRY, "fake_stream", MethodSpec(
        "fake_stream", f"{mod}:_ExtraRanker", "test only", "none", needs_target=True,
        family="information", streaming=f"{mod}:_fake_streaming_scorer"))
    monkeypatch.setitem(REGISTRY, "fake_missing", MethodSpec(
        "fake_missing", f"{mod}:_ExtraRanker", "test only", "none", needs_target=True,
        family="neural", requires=("no_such_module_xyz",), extra="neural"))


def test_declared_findings_are_stored(frame, fake_methods):
    result = rank_features(frame, "y", methods=["fake_extra", "f_test"])
    m = result.methods["fake_extra"]
    assert m.findings["order_"].value[0] == int(np.argmin(m.ranking))


def test_missing_extra_names_the_install_command(frame, fake_methods):
    with pytest.raises(MissingExtraError, match=r'featkit\[neural\]'):
        rank_features(frame, "y", methods=["fake_missing"])
    # defaults skip it silently only when it is not a default; it is not
    assert "fake_missing" not in default_methods(supervised=True)


def test_streaming_dispatch(tmp_path, fake_methods):
    rng = np.random.RandomState(1)
    df = pd.DataFrame(rng.normal(size=(500, 3)) * [1.0, 5.0, 0.1], columns=["a", "b", "c"])
    df["y"] = rng.randint(0, 2, size=500)
    df["skip"] = 100.0
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    assert should_stream(path, ["fake_stream"], threshold_bytes=10)
    assert not should_stream(path, ["fake_stream"], threshold_bytes=1 << 30)
    assert should_stream(path, ["fake_stream"], force=True)
    assert not should_stream(path, ["fake_stream", "f_test"], threshold_bytes=10)
    with pytest.raises(InputError, match="f_test cannot stream"):
        should_stream(path, ["fake_stream", "f_test"], force=True)

    calls = []
    result = rank_file_streaming(path, "y", methods=["fake_stream"], drop=["skip"], batch_size=128,
                                 progress=lambda *a: calls.append(a))
    assert result.features == ["a", "b", "c"]
    np.testing.assert_allclose(result.methods["fake_stream"].scores,
                               df[["a", "b", "c"]].abs().mean().to_numpy())
    assert result.methods["fake_stream"].ranking.tolist() == [2, 1, 3]
    assert result.consensus_rank.tolist() == [2, 1, 3]
    assert result.n_rows == 500 and result.task == "classification"
    assert {k: v.value for k, v in result.methods["fake_stream"].findings.items()} == {"mean_abs_": True}
    assert any("500 rows" in c[0] for c in calls)  # rows read were reported
    assert result.meta["streaming"] is True


def test_model_attribution_is_wired(frame, monkeypatch):
    import featkit.attribution as attribution

    class FakeAttribution:
        importances = {"shap": np.arange(6.0), "gain": np.arange(6.0)[::-1].copy()}

        def to_section(self):
            return {"model": "lightgbm"}

    seen = {}

    def fake(X, y, *, task, model, random_state):
        seen.update(columns=list(X.columns), task=task, model=model, seed=random_state)
        return FakeAttribution()

    monkeypatch.setattr(attribution, "model_attribution", fake)
    pytest.importorskip("lightgbm")
    result = rank_features(frame, "y", methods=["f_test"], model="lightgbm", random_state=5)
    assert seen == {"columns": result.features, "task": "classification", "model": "lightgbm",
                    "seed": 5}
    assert result.methods["lightgbm_shap"].ranking.tolist() == [6, 5, 4, 3, 2, 1]
    assert result.methods["lightgbm_gain"].ranking.tolist() == [1, 2, 3, 4, 5, 6]
    assert result.sections.attribution.model == "lightgbm"
    assert len(result.methods) == 3  # the importances join the consensus
    with pytest.raises(InputError, match="model must be one of"):
        rank_features(frame, "y", methods=["f_test"], model="catboost")


# ------------------------------------------------------------ known truth
def _mean_ranks(ranking, features, truth, roles):
    return np.mean([ranking[i] for i, f in enumerate(features) if truth[f] in roles])


def test_supervised_baselines_rank_informative_above_noise():
    from featkit.datasets import make_benchmark

    # Without copies of the informative columns every method must separate them:
    # with copies, permutation importance and the L1 penalty rightly split the
    # credit between a column and its copy (tested on the full benchmark below).
    bench = make_benchmark(600, n_redundant=0, n_repeated=0, random_state=0)
    result = rank_features(bench.frame, bench.target, params={"random_forest": FAST["random_forest"]})
    assert set(result.methods) == set(default_methods(supervised=True))
    for name, m in result.methods.items():
        assert REGISTRY[name].needs_target
        informative = _mean_ranks(m.ranking, result.features, bench.truth, {"informative"})
        noise = _mean_ranks(m.ranking, result.features, bench.truth, {"noise"})
        assert informative + 3 < noise, (name, informative, noise)


def test_full_benchmark_consensus_and_id_column():
    from featkit.datasets import make_benchmark

    bench = make_benchmark(600, random_state=0)
    result = rank_features(bench.frame, bench.target, methods=["f_test", "mutual_info",
                                                               "random_forest"],
                           params={"random_forest": FAST["random_forest"]})
    signal = _mean_ranks(result.consensus_rank, result.features, bench.truth,
                         {"informative", "redundant", "repeated"})
    noise = _mean_ranks(result.consensus_rank, result.features, bench.truth, {"noise"})
    assert signal + 3 < noise, (signal, noise)
    # categorical columns are ranked under their own names, the informative ones first
    cat_inf = _mean_ranks(result.consensus_rank, result.features, bench.truth,
                          {"categorical_informative"})
    cat_noise = _mean_ranks(result.consensus_rank, result.features, bench.truth,
                            {"categorical_noise"})
    assert cat_inf < cat_noise
    # the ID-like column is not ranked, and the user is told why
    ids = [f for f, role in bench.truth.items() if role == "id"]
    assert ids and not set(ids) & set(result.features)
    assert any(repr(ids[0]) in note and "ID-like" in note for note in result.notes)


def test_resolve_methods_defaults_note_without_target():
    specs, notes = resolve_methods(None, supervised=False)
    assert specs and all(not s.needs_target for s in specs)
    assert "No target given" in notes[0]


# ------------------------------------------------------------ import cost
def test_import_featkit_loads_no_heavy_dependency():
    code = (
        "import sys, featkit, featkit.ranking, featkit.registry, featkit_cli.app\n"
        "heavy = ['torch', 'xgboost', 'lightgbm', 'shap', 'cupy', 'dask', 'matplotlib']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
        "import featkit_cli.app\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_app_import_loads_neither_pandas_nor_sklearn():
    code = ("import sys, featkit_cli.app\n"
            "print(','.join(m for m in ('pandas', 'sklearn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_one_method_run_has_no_consensus_weighting_note():
    import numpy as np
    import pandas as pd

    from featkit import rank_features

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    df["y"] = (df["a"] > 0).astype(int)
    one = rank_features(df, "y", methods=["f_test"])
    assert not any("plain mean rank" in n for n in one.notes), one.notes
    unsupervised = rank_features(df.drop(columns="y"), None, methods=["variance", "inffs"])
    assert any("plain mean rank" in n for n in unsupervised.notes), unsupervised.notes
