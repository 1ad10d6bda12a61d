"""Rankings a user can trust (issue 11, items 1-2): average ranks for ties, no
dependence on column order, degenerate methods flagged, +inf best / NaN worst."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featkit.base import canonical_column_order, degenerate_reason, ranking_from_scores
from featkit.ranking import rank_features
from featkit.registry import REGISTRY, make_estimator
from featkit.results import RankingResult
from featkit.selection import ConsensusRanker, FTestRanker, VarianceRanker

# Small settings so every registered method fits a tiny table in well under a second.
FAST = {
    "random_forest": {"n_estimators": 10}, "permutation": {"n_estimators": 10, "n_repeats": 2},
    **{name: {"epochs": 5} for name, spec in REGISTRY.items() if spec.family == "neural"},
    "consensus": {"methods": ("f_test", "random_forest", "mutual_info")},
}
METHODS = sorted(REGISTRY)


def _table(seed=0, n=40):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    frame = pd.DataFrame({
        "signal": rng.normal(size=n) + 1.5 * y,
        "noise_a": rng.normal(size=n),
        "noise_b": rng.normal(size=n),
        "codes": rng.randint(0, 3, n).astype(float),
        "weak": rng.normal(size=n) + 0.5 * y,
        "twin": 0.0,  # filled below: an exact copy of noise_a
    })
    frame["twin"] = frame["noise_a"]
    return frame, y


def _fit(name, frame, y, seed=0):
    spec = REGISTRY[name]
    est = make_estimator(name, random_state=seed, **FAST.get(name, {}))
    X = frame
    if spec.input == "categorical":
        X = frame.round(1)  # discrete methods see values as categories
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y if spec.needs_target else None)


@pytest.mark.parametrize("name", METHODS)
def test_every_method_is_invariant_to_column_order(name):
    spec = REGISTRY[name]
    if not spec.is_installed():
        pytest.skip(f"{name} needs featkit[{spec.extra}]")
    frame, y = _table()
    first = _fit(name, frame, y)
    for seed in (1, 2):
        shuffled = list(np.random.RandomState(seed).permutation(frame.columns))
        other = _fit(name, frame[shuffled], y)
        pos = [shuffled.index(c) for c in frame.columns]
        np.testing.assert_array_equal(other.scores_[pos], first.scores_, err_msg=name)
        np.testing.assert_array_equal(other.ranking_[pos], first.ranking_, err_msg=name)
        np.testing.assert_array_equal(other.get_support()[pos], first.get_support(), err_msg=name)


def test_fitted_per_feature_attributes_follow_the_input_order():
    frame, y = _table()
    names = list(frame.columns)
    shuffled = names[::-1]
    a = make_estimator("ecfs", random_state=0).fit(frame, y)
    b = make_estimator("ecfs", random_state=0).fit(frame[shuffled], y)
    pos = [shuffled.index(c) for c in names]
    np.testing.assert_array_equal(b.relevance_[pos], a.relevance_)
    np.testing.assert_array_equal(b.affinity_[np.ix_(pos, pos)], a.affinity_)
    pfa_a = make_estimator("pfa", random_state=0).fit(frame)
    pfa_b = make_estimator("pfa", random_state=0).fit(frame[shuffled])
    assert sorted(names[i] for i in pfa_a.representatives_) == sorted(
        shuffled[i] for i in pfa_b.representatives_)
    # the canonical order itself is a permutation that follows the columns
    assert [names[i] for i in a.canonical_order_] == [shuffled[i] for i in b.canonical_order_]


def test_canonical_order_ignores_positions_and_breaks_content_ties_by_name():
    X = np.array([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    names = np.array(["c", "b", "a"])
    order = canonical_column_order(X, names)
    reordered = canonical_column_order(X[:, [2, 0, 1]], names[[2, 0, 1]])
    assert names[order].tolist() == names[[2, 0, 1]][reordered].tolist()
    zeros = [n for n in names[order] if n != "c"]
    assert zeros == ["a", "b"]  # identical contents: by name


def test_rank_features_is_invariant_to_column_order_end_to_end():
    frame, y = _table()
    frame["colour"] = np.where(frame["codes"] > 0, "red", "blue")  # target-encoded out of fold
    frame["y"] = y
    methods = ["f_test", "mutual_info", "random_forest", "permutation", "l1", "outrank"]
    a = rank_features(frame, "y", methods=methods, params={m: FAST[m] for m in methods if m in FAST})
    cols = list(np.random.RandomState(3).permutation(frame.columns))
    b = rank_features(frame[cols], "y", methods=methods, params={m: FAST[m] for m in methods if m in FAST})
    pos = [b.features.index(f) for f in a.features]
    for name in methods:
        np.testing.assert_array_equal(b.methods[name].scores[pos], a.methods[name].scores)
        np.testing.assert_array_equal(b.methods[name].ranking[pos], a.methods[name].ranking)
    np.testing.assert_array_equal(b.consensus_rank[pos], a.consensus_rank)
    assert a.top(len(a.features)) == b.top(len(b.features))


def test_consensus_ties_are_averaged_and_ordered_by_name_not_position():
    # four pure-noise copies of one column: every method ties them
    rng = np.random.RandomState(0)
    n = 60
    y = rng.randint(0, 2, n)
    base = rng.normal(size=n)
    frame = pd.DataFrame({"z": base, "b": base, "signal": rng.normal(size=n) + 2 * y, "a": base})
    frame["y"] = y
    result = rank_features(frame, "y", methods=["f_test", "variance"])
    ties = [result.features.index(f) for f in ("z", "b", "a")]
    assert result.consensus_rank[ties].tolist() == [3.0, 3.0, 3.0]
    assert result.top(4) == ["signal", "a", "b", "z"]
    assert result.to_frame()["feature"].tolist() == ["signal", "a", "b", "z"]


def test_support_keeps_exactly_k_with_a_tie_at_the_cut_whatever_the_order():
    X = np.column_stack([np.arange(6.0), np.ones(6), np.ones(6) * 2, np.arange(6.0) * 3])
    frame = pd.DataFrame(X, columns=["a", "c1", "c2", "b"])
    r = VarianceRanker(n_features_to_select=3).fit(frame)
    assert r.ranking_.tolist() == [2.0, 3.5, 3.5, 1.0]
    assert r.support_.sum() == 3
    kept = set(frame.columns[r.support_])
    swapped = frame[["c2", "b", "a", "c1"]]
    r2 = VarianceRanker(n_features_to_select=3).fit(swapped)
    assert set(swapped.columns[r2.support_]) == kept


# ------------------------------------------------------------------ +inf / NaN
@pytest.mark.parametrize("name", ["f_test", "inffs_s", "ecfs"])
def test_a_copy_of_the_target_ranks_first(name):
    rng = np.random.RandomState(0)
    n = 60
    y = rng.randint(0, 2, n)
    X = np.column_stack([rng.normal(size=n), rng.normal(size=n) + y, y.astype(float),
                         rng.normal(size=n)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = make_estimator(name, random_state=0).fit(X, y)
    assert np.isposinf(est.scores_[2])
    assert est.ranking_[2] == 1.0


def test_a_copy_of_a_continuous_target_ranks_first_for_ecfs():
    rng = np.random.RandomState(1)
    y = rng.normal(size=50)
    X = np.column_stack([rng.normal(size=50), 2 * y + 1, y + rng.normal(size=50)])
    est = make_estimator("ecfs", task="regression", random_state=0).fit(X, y)
    assert est.ranking_[1] == 1.0


def test_inf_survives_json_and_nan_gets_a_note(tmp_path):
    rng = np.random.RandomState(0)
    n = 50
    y = rng.randint(0, 2, n)
    frame = pd.DataFrame({"x": rng.normal(size=n), "copy": y.astype(float), "w": rng.normal(size=n)})
    frame["y"] = y
    result = rank_features(frame, "y", methods=["f_test", "mutual_info"])
    assert np.isposinf(result.methods["f_test"].scores[1])
    assert result.top(1) == ["copy"]
    path = result.save(tmp_path / "r.json")
    text = path.read_text()
    json.loads(text)  # strict JSON
    back = RankingResult.from_dict(json.loads(text))
    assert np.isposinf(back.methods["f_test"].scores[1])
    np.testing.assert_array_equal(back.consensus_rank, result.consensus_rank)
    assert back.methods["f_test"].ranking.dtype == np.float64

    result.methods["f_test"].scores[0] = np.nan
    from featkit.ranking import _consensus

    _, _, notes = _consensus(result.methods, "mean_rank")
    assert any("f_test" in n and "NaN" in n and "1 of 3" in n for n in notes)


def test_to_frame_ranks_are_float_average_ranks():
    frame, y = _table()
    frame["y"] = y
    result = rank_features(frame, "y", methods=["f_test", "variance"])
    out = result.to_frame()
    assert out["rank"].dtype == np.float64 and out["variance_rank"].dtype == np.float64
    # noise_a and twin are identical: their variance ranks are averaged
    row = out.set_index("feature")
    assert row.loc["noise_a", "variance_rank"] == row.loc["twin", "variance_rank"]
    assert row.loc["twin", "variance_rank"] % 1 == 0.5


# ------------------------------------------------------------------ degenerate
def test_degenerate_reason():
    assert degenerate_reason([np.nan, np.nan]) == "all scores NaN"
    assert degenerate_reason([2.0, 2.0, 2.0]) == "all scores equal"
    assert degenerate_reason([0.0] * 9 + [1.0]) == "9 of 10 scores tied at 0"
    assert degenerate_reason([0.0] * 8 + [1.0, 2.0]) is None
    # 1% of 500 = 5 features must stand outside the largest tie
    assert degenerate_reason([0.0] * 496 + [1.0, 2.0, 3.0, 4.0]) is not None
    assert degenerate_reason([0.0] * 495 + [1.0, 2.0, 3.0, 4.0, 5.0]) is None


def test_degenerate_method_is_flagged_and_left_out_of_the_consensus():
    # L1 keeps only the one strong column: 5 of 6 scores tied at 0 (degenerate)
    rng = np.random.RandomState(0)
    n = 300
    flat = pd.DataFrame(rng.normal(size=(n, 5)), columns=["strong", "weak", "n1", "n2", "n3"])
    flat["colour"] = rng.choice(["red", "green", "blue"], size=n)
    logit = 3 * flat["strong"] + 1.0 * flat["weak"] + 1.5 * (flat["colour"] == "red")
    flat["y"] = np.where(logit + rng.logistic(size=n) > 0, "yes", "no")
    methods = ["f_test", "l1", "random_forest"]
    params = {"random_forest": {"n_estimators": 20}}
    result = rank_features(flat, "y", methods=methods, params=params, aggregation="mean_rank")
    flagged = {n for n, m in result.methods.items() if m.degenerate}
    assert flagged == {"l1"}
    assert result.methods["l1"].degenerate == "5 of 6 scores tied at 0"
    for name in flagged:
        assert any(f"Method {name} gave degenerate scores" in n and "left out" in n
                   for n in result.notes)
    used = [m.ranking for n, m in result.methods.items() if n not in flagged]
    np.testing.assert_allclose(result.consensus_score, -np.mean(used, axis=0))
    back = RankingResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert {n for n, m in back.methods.items() if m.degenerate} == flagged
    included = rank_features(flat, "y", methods=methods, params=params,
                             include_degenerate=True, aggregation="mean_rank")
    np.testing.assert_allclose(included.consensus_score,
                               -np.mean([m.ranking for m in included.methods.values()], axis=0))


def test_all_methods_degenerate_still_gives_a_consensus_with_a_note():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 30)
    frame = pd.DataFrame({"a": 1.0, "b": 1.0, "c": 1.0}, index=range(30))
    frame.loc[0, "a"] = frame.loc[1, "b"] = 2.0  # a and b: equal variance
    frame.loc[2, "c"] = 4.0
    frame["y"] = y
    result = rank_features(frame, "y", methods=["variance"])
    assert result.methods["variance"].degenerate == "2 of 3 scores tied at 0.0322222"
    assert any("Every method gave degenerate scores" in n for n in result.notes)
    assert result.consensus_rank.tolist() == [2.5, 2.5, 1.0]


def test_consensus_ranker_drops_degenerate_members():
    rng = np.random.RandomState(0)
    n = 80
    y = rng.randint(0, 2, n)
    X = np.column_stack([rng.normal(size=n) + 2 * y] + [np.ones(n)] * 3)
    X[0, 1:] = [2.0, 3.0, 4.0]  # variance ties nothing; f_test almost all ~0
    members = (FTestRanker(), VarianceRanker())
    r = ConsensusRanker(methods=members).fit(X, y)
    deg = {n: degenerate_reason(e.scores_) for n, e in r.estimators_.items()}
    assert r.degenerate_ == {n: v for n, v in deg.items() if v}
    np.testing.assert_allclose(r.scores_, -np.mean([r.rankings_[n] for n in r.used_], axis=0))
    kept = ConsensusRanker(methods=members, include_degenerate=True).fit(X, y)
    assert kept.used_ == list(kept.rankings_)


def test_kan_flags_itself_when_no_better_than_a_constant():
    pytest.importorskip("torch")
    from featkit.selection import KANSelector

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = rng.randint(0, 2, 40)  # nothing to learn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kan = KANSelector(epochs=3, n_splits=2, random_state=0).fit(X, y)
    assert kan.degenerate_ and "constant predictor" in kan.degenerate_
    assert np.mean(kan.fold_losses_) >= 0.99 * np.mean(kan.baseline_losses_)


# ------------------------------------------------------------ property tests
finite = st.floats(-1e3, 1e3, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(finite, st.just(np.inf), st.just(np.nan), st.sampled_from([0.0, 1.0])),
                min_size=1, max_size=12))
def test_ranking_property_inf_first_nan_last_ties_averaged(scores):
    s = np.asarray(scores, dtype=float)
    r = ranking_from_scores(s)
    d = len(s)
    assert r.sum() == pytest.approx(d * (d + 1) / 2)
    if np.isposinf(s).any():
        assert r[np.isposinf(s)].min() == (1 + np.isposinf(s).sum()) / 2
    nan = np.isnan(s)
    if nan.any():
        assert np.all(r[nan] == d - (nan.sum() - 1) / 2)
        assert np.all(r[~nan] < r[nan].min())
    for v in np.unique(s[~nan]):
        tied = r[s == v]
        assert np.all(tied == tied[0])
        assert tied[0] == (s[~nan] > v).sum() + (len(tied) + 1) / 2


def _heavy(name):
    return REGISTRY[name].family in ("neural",) or name in ("permutation", "consensus")


@pytest.mark.parametrize("name", METHODS)
def test_column_order_property_on_random_tables(name):
    spec = REGISTRY[name]
    if not spec.is_installed():
        pytest.skip(f"{name} needs featkit[{spec.extra}]")

    @settings(max_examples=2 if _heavy(name) else 6, deadline=None)
    @given(st.integers(0, 2**31 - 1), st.integers(2, 6), st.data())
    def check(seed, d, data):
        rng = np.random.RandomState(seed)
        n = 24
        y = np.arange(n) % 2
        X = rng.choice([0.0, 1.0, 2.5, -1.0], size=(n, d)) + (rng.normal(size=(n, d))
                                                              * rng.randint(0, 2, d))
        frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(d)])
        perm = data.draw(st.permutations(list(frame.columns)))
        a = _fit(name, frame, y, seed=seed % 1000)
        b = _fit(name, frame[perm], y, seed=seed % 1000)
        pos = [perm.index(c) for c in frame.columns]
        np.testing.assert_array_equal(b.scores_[pos], a.scores_)
        np.testing.assert_array_equal(b.ranking_[pos], a.ranking_)

    check()
