"""mRMR, ReliefF and Boruta: hand-checked numbers, the published definitions,
and (when the packages are installed) parity with mrmr-selection, skrebate and
BorutaPy."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine, make_classification
from sklearn.feature_selection import f_classif

from featkit.exceptions import InputError
from featkit.selection import MRMR, Boruta, ReliefF


# ------------------------------------------------------------------ mRMR
def mrmr_from_definition(X, y, steps):
    """The greedy quotient recomputed from scratch at every step."""
    rel = np.nan_to_num(f_classif(X, y)[0])
    C = np.clip(np.abs(np.nan_to_num(np.corrcoef(X, rowvar=False))), 0.001, None)
    chosen = []
    for _ in range(steps):
        best, best_score = None, -np.inf
        for j in range(X.shape[1]):
            if j in chosen or rel[j] <= 0:
                continue
            red = np.mean(C[j, chosen]) if chosen else 1.0
            score = rel[j] / (np.inf if chosen and red == 1.0 else red)
            if score > best_score:
                best, best_score = j, score
        chosen.append(best)
    return chosen


def test_mrmr_hand_example_skips_the_near_duplicate():
    # a and its near copy b are the most relevant; c is less relevant but
    # uncorrelated with a, so mRMR takes c before b.
    a = np.array([0.0, 1, 2, 3, 4, 5, 6, 7])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    b = a + np.array([0, 0, 0, 0.5, -0.5, 0, 0, 0])
    c = np.array([1.0, 1, 0, 0, 2, 2, 1, 1])
    X = np.column_stack([b, a, c])
    F = f_classif(X, y)[0]  # 12.617, 19.2, 6.0
    r = np.abs(np.corrcoef(X, rowvar=False))  # r_ba = 0.994, r_ac = 0.309, r_bc = 0.233
    sel = MRMR().fit(X, y)
    assert sel.selection_order_.tolist() == [1, 2, 0]
    # step 1: F alone; step 2: c (6 / 0.309 = 19.4) beats b (12.6 / 0.994 = 12.7);
    # step 3: b over the mean of its two correlations
    np.testing.assert_allclose(
        sel.mrmr_scores_, [F[1], F[2] / r[1, 2], F[0] / ((r[0, 1] + r[0, 2]) / 2)], rtol=1e-12
    )
    assert sel.scores_.tolist() == [1.0, 3.0, 2.0]


def test_mrmr_rank_one_update_equals_the_definition():
    X, y = make_classification(300, 40, n_informative=6, n_redundant=10, random_state=3)
    for steps in (5, 40):  # the per-step column path and the precomputed matrix path
        assert MRMR(max_steps=steps).fit(X, y).selection_order_.tolist() == \
            mrmr_from_definition(X, y, steps)


def test_mrmr_options_and_auto_cut():
    X, y = make_classification(200, 12, n_informative=4, random_state=0)
    sel = MRMR(max_steps=4, denominator="max", redundancy="spearman").fit(X, y)
    assert sel.get_support().sum() == 4
    assert set(np.flatnonzero(sel.get_support())) == set(sel.selection_order_.tolist())
    for rel in ("mi", "rf"):
        order = MRMR(max_steps=3, relevance=rel, random_state=0).fit(X, y).selection_order_
        assert len(set(order.tolist())) == 3
    with pytest.raises(InputError, match="relevance"):
        MRMR(relevance="chi2").fit(X, y)
    with pytest.raises(InputError, match="max_steps"):
        MRMR(max_steps=0).fit(X, y)


def test_mrmr_zero_relevance_is_never_chosen():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    X = np.column_stack([y + rng.normal(size=40), np.ones(40)])
    sel = MRMR().fit(X, y)
    assert sel.selection_order_.tolist() == [0]
    assert sel.scores_[1] == 0


def test_mrmr_equals_mrmr_selection():
    mrmr = pytest.importorskip("mrmr")
    X, y = load_breast_cancer(return_X_y=True)
    df = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    ref = mrmr.mrmr_classif(df, pd.Series(y), K=30, show_progress=False, n_jobs=1)
    assert MRMR(max_steps=30).fit(X, y).selection_order_.tolist() == [int(c[1:]) for c in ref]
    Xr, yr = load_diabetes(return_X_y=True)
    dfr = pd.DataFrame(Xr, columns=[f"c{i}" for i in range(Xr.shape[1])])
    ref = mrmr.mrmr_regression(dfr, pd.Series(yr), K=10, show_progress=False, n_jobs=1)
    assert MRMR(max_steps=10).fit(Xr, yr).selection_order_.tolist() == [int(c[1:]) for c in ref]


# --------------------------------------------------------------- ReliefF
def test_relieff_six_rows_by_hand():
    # Both columns continuous (threshold 0), scaled by their range 10; k = 1.
    # Nearest hit / miss of each row (L1 on scaled values) and the diffs are
    # worked out in the comments: W = mean over rows of diff(miss) - diff(hit).
    X = np.array([[0, 5], [1, 0], [3, 10], [6, 2], [8, 9], [10, 4]], dtype=float)
    y = np.array([0, 0, 0, 1, 1, 1])
    # hits/misses: r0 (r1, r3), r1 (r0, r3), r2 (r0, r4), r3 (r5, r1), r4 (r5, r2), r5 (r3, r0)
    # f0: .5 + .4 + .2 + .1 + .3 + .6 = 2.1 ; f1: -.2 - .3 - .4 + 0 - .4 - .1 = -1.4
    w = ReliefF(n_neighbors=1, discrete_threshold=0).fit(X, y).scores_
    np.testing.assert_allclose(w, [2.1 / 6, -1.4 / 6], atol=1e-12)


def test_relieff_finds_an_interaction_and_blocks_agree():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 2, size=(120, 6)).astype(float)
    y = np.logical_xor(X[:, 2], X[:, 4]).astype(int)
    full = ReliefF(n_neighbors=5).fit(X, y)
    assert set(np.argsort(-full.scores_)[:2]) == {2, 4}
    assert full.discrete_.all()
    blocked = ReliefF(n_neighbors=5, memory_budget=20_000).fit(X, y)
    np.testing.assert_allclose(blocked.scores_, full.scores_, atol=1e-12)


def relieff_from_definition(X, y, k):
    """ReliefF for continuous columns, one instance at a time (skrebate's rules)."""
    n, d = X.shape
    span = X.max(0) - X.min(0)
    Xs = (X - X.min(0)) / span
    classes = np.unique(y)
    w = np.zeros(d)
    for i in range(n):
        dist = np.abs(Xs - Xs[i]).sum(1)
        dist[i] = np.inf
        order = np.argsort(dist, kind="stable")
        hits = [j for j in order if y[j] == y[i]][:k]
        if len(hits) < k:  # skrebate: the instance itself fills a small class's hit list
            hits.append(i)
        misses = {c: [j for j in order if y[j] == c][:k] for c in classes if c != y[i]}
        n_miss = sum(len(m) for m in misses.values())
        for c, m in misses.items():
            share = len(m) / n_miss * (len(classes) - 1)
            w += share * np.abs(X[m] - X[i]).sum(0) / span / n_miss / n
        w -= np.abs(X[hits] - X[i]).sum(0) / span / len(hits) / n
    return w


def test_relieff_rare_class_needs_the_whole_sorted_row():
    # 260 / 30 / 10 instances: the nearest 40 neighbours of most rows hold
    # fewer than k members of the rare classes, so their whole row is scanned.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 5))
    y = np.r_[np.zeros(260), np.ones(30), np.full(10, 2)].astype(int)
    X[y == 2, 0] += 2.0
    X[y == 1, 1] -= 1.5
    ref = relieff_from_definition(X, y, 5)
    full = ReliefF(n_neighbors=5, discrete_threshold=0).fit(X, y).scores_
    np.testing.assert_allclose(full, ref, atol=1e-12)
    blocked = ReliefF(n_neighbors=5, discrete_threshold=0, memory_budget=200_000).fit(X, y).scores_
    np.testing.assert_allclose(blocked, ref, atol=1e-12)
    assert np.argsort(-full)[:2].tolist() == [0, 1]


def test_relieff_ties_across_the_kth_neighbour_follow_numpy_argsort():
    # 14 ternary columns, 400 rows: Hamming distances take 15 values, so ties
    # straddle the k-th neighbour of most rows, among instances that differ.
    # skrebate takes the neighbours in numpy.argsort's order of each distance
    # row (the instance itself at sys.maxsize); so must featkit, exactly.
    import sys

    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(6)
    X = rng.integers(0, 3, size=(400, 14)).astype(float)
    y = (X[:, 0] + X[:, 3] > 2).astype(int)
    assert np.unique(X, axis=0).shape[0] == 400  # no duplicate rows
    k = 5
    n, d = X.shape
    D = cdist(X, X, metric="hamming")
    w = np.zeros(d)
    for i in range(n):
        row = D[i].copy()
        row[i] = sys.maxsize
        order = np.argsort(row)
        hits = [j for j in order if y[j] == y[i]][:k]
        misses = [j for j in order if y[j] != y[i]][:k]
        w += ((X[misses] != X[i]).mean(0) - (X[hits] != X[i]).mean(0)) / n
    np.testing.assert_allclose(ReliefF(n_neighbors=k).fit(X, y).scores_, w, atol=1e-12)


def rrelieff_from_definition(X, y, k):
    n, d = X.shape
    span = X.max(0) - X.min(0)
    Xs = (X - X.min(0)) / span
    ys = (y - y.min()) / (y.max() - y.min())
    ndc, nda, ndcda = 0.0, np.zeros(d), np.zeros(d)
    for i in range(n):
        dist = np.abs(Xs - Xs[i]).sum(1)
        dist[i] = np.inf
        for j in np.argsort(dist, kind="stable")[:k]:
            dc = abs(ys[i] - ys[j])
            da = np.abs(Xs[i] - Xs[j])
            ndc += dc / k
            nda += da / k
            ndcda += dc * da / k
    return ndcda / ndc - (nda - ndcda) / (n - ndc)


def test_rrelieff_regression_equals_the_published_formula():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 4))
    y = 3 * X[:, 1] + 0.1 * rng.normal(size=80)
    w = ReliefF(n_neighbors=5, discrete_threshold=0).fit(X, y).scores_
    np.testing.assert_allclose(w, rrelieff_from_definition(X, y, 5), atol=1e-10)
    assert int(np.argmax(w)) == 1


def test_relieff_equals_skrebate():
    skrebate = pytest.importorskip("skrebate")
    rng = np.random.default_rng(0)
    Xd = rng.integers(0, 3, size=(150, 6)).astype(float)
    yd = (Xd[:, 0] + Xd[:, 1] > 2).astype(int)
    X_wine, y_wine = load_wine(return_X_y=True)
    small = rng.normal(size=(40, 5))
    cases = [
        (load_breast_cancer(return_X_y=True)[0][:250], load_breast_cancer(return_X_y=True)[1][:250]),
        (X_wine, y_wine),  # three classes
        (Xd, yd),  # discrete only: Hamming distances, many tied neighbours
        (np.hstack([Xd[:, :3], rng.normal(size=(150, 3))]), yd),  # mixed
        (small, np.r_[np.zeros(35), np.ones(5)].astype(int)),  # a class smaller than k
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for X, y in cases:
            for k in (3, 10):
                ref = skrebate.ReliefF(n_neighbors=k).fit(X.copy(), y).feature_importances_
                ours = ReliefF(n_neighbors=k).fit(X, y).scores_
                np.testing.assert_allclose(ours, ref, atol=1e-6)


# ---------------------------------------------------------------- Boruta
def known_truth(seed=0):
    X, y = make_classification(400, 15, n_informative=4, n_redundant=0, n_repeated=0,
                               shuffle=False, random_state=seed)
    return X, y, set(range(4))


def test_boruta_confirms_the_informative_features():
    X, y, truth = known_truth()
    sel = Boruta(max_iter=40, random_state=0).fit(X, y)
    assert set(np.flatnonzero(sel.confirmed_)) == truth
    assert set(np.flatnonzero(sel.get_support())) == truth
    assert (sel.boruta_ranking_[sel.confirmed_] == 1).all()
    assert (sel.boruta_ranking_[~sel.confirmed_ & ~sel.support_weak_] >= 2).all()
    # ranking_ orders the features as BorutaPy's ranking does
    assert np.all(np.diff(sel.ranking_[np.argsort(sel.boruta_ranking_, kind="stable")]) >= 0)
    assert sel.importance_history_.shape == (sel.n_iter_, 15)
    assert np.isfinite(sel.shadow_threshold_)
    again = Boruta(max_iter=40, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.scores_, sel.scores_)


def test_boruta_parameters_and_estimators():
    X, y, truth = known_truth(1)
    one_step = Boruta(max_iter=20, two_step=False, perc=90, random_state=0).fit(X, y)
    assert truth <= set(np.flatnonzero(one_step.confirmed_ | one_step.support_weak_)) | truth
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LogisticRegression

    Xr, yr = load_diabetes(return_X_y=True)
    reg = Boruta(estimator=RandomForestRegressor(n_estimators=20, max_depth=4), max_iter=10,
                 random_state=0).fit(Xr, yr)
    assert reg.task_ == "regression" and reg.scores_.shape == (10,)
    with pytest.raises(InputError, match="feature_importances_"):
        Boruta(estimator=LogisticRegression(), max_iter=3, random_state=0).fit(X, y)
    for bad in ({"perc": 0}, {"alpha": 1.5}, {"max_iter": 1}, {"estimator": "xgb"}):
        with pytest.raises(InputError):
            Boruta(**bad).fit(X, y)


def test_boruta_equals_borutapy_with_the_same_estimator():
    boruta = pytest.importorskip("boruta")
    from sklearn.ensemble import RandomForestClassifier

    def borutapy(X, y):
        rf = RandomForestClassifier(n_estimators=30, max_depth=5, n_jobs=1)
        return boruta.BorutaPy(rf, n_estimators=30, max_iter=20, random_state=3).fit(X, y)

    for X, y in (known_truth(2)[:2], load_breast_cancer(return_X_y=True)):
        ours = Boruta(estimator=RandomForestClassifier(n_estimators=30, max_depth=5, n_jobs=1),
                      max_iter=20, random_state=3).fit(X, y)
        # featkit fits on the canonical column order (so a shuffled table gives the same
        # answer); BorutaPy fed that same order draws the same shadows: equal decisions.
        order = ours.canonical_order_
        inverse = np.argsort(order)
        ref = borutapy(X[:, order], y)
        np.testing.assert_array_equal(ours.confirmed_, ref.support_[inverse])
        np.testing.assert_array_equal(ours.support_weak_, ref.support_weak_[inverse])
        np.testing.assert_array_equal(ours.boruta_ranking_, ref.ranking_[inverse])
        # on the input order the shadows differ; the confirmed sets still agree (issue #16)
        a, b = set(np.flatnonzero(ours.confirmed_)), set(np.flatnonzero(borutapy(X, y).support_))
        assert len(a & b) / len(a | b) >= 0.8


# ------------------------------------------- graph rankers: Fisher denominator
def test_ecfs_and_inffs_s_keep_mi_of_within_class_constant_columns():
    """The reference sets a zero Fisher denominator to 10000 (not 0/0 = NaN):
    a column constant within both classes keeps its mutual-information term."""
    from sklearn.datasets import load_digits

    from featkit.selection import ECFS, InfFS
    from featkit.stats import fisher_ratio, muteinf

    X, y = load_digits(return_X_y=True)
    keep = y < 2
    X, y = X[keep].astype(float), y[keep]
    X = np.column_stack([X, np.where(y == 1, 3.0, 1.0)])  # constant within each class
    within = X[y == 0].var(0, ddof=1) + X[y == 1].var(0, ddof=1)
    assert (within == 0).sum() == 13
    fi = fisher_ratio(X, y)
    assert np.all(np.isfinite(fi))
    assert fi[-1] == pytest.approx(4 / 10000)
    mi = muteinf(X, y)
    with pytest.warns(UserWarning, match="constant"):
        ecfs = ECFS().fit(X, y)
    zero = within == 0
    np.testing.assert_allclose(ecfs.relevance_[zero], np.abs(fi[zero] + mi[zero]) / 2)
    assert np.all(ecfs.relevance_[zero] > 0)
    # the last column determines the class: +inf (issue #11) over the reference's centrality
    perfect = np.zeros(X.shape[1], dtype=bool)
    perfect[-1] = True
    assert ecfs.scores_[-1] == np.inf and np.isfinite(ecfs.reference_scores_[-1])
    np.testing.assert_array_equal(ecfs.scores_[~perfect], ecfs.reference_scores_[~perfect])
    # InfFS_S: the dense reference graph with the same Fisher rule, both alphas
    d = X.shape[1]
    mm = (mi - mi.min()) / (mi.max() - mi.min())
    ff = (fi - fi.min()) / (fi.max() - fi.min())
    s = X.std(0, ddof=1)
    SD = np.maximum.outer(s, s)
    SD = (SD - SD.min()) / (SD.max() - SD.min())
    for alpha in ((1 / 3, 1 / 3, 1 / 3), (0.6, 0.3, 0.1)):
        G = (alpha[0] * (mm[None, :] + ff[:, None]) / 2 + alpha[1] * (mm[None, :] + SD) / 2
             + alpha[2] * (SD + ff[:, None]) / 2)
        e = 5e-6 * d
        rho = G.sum(1).max()
        w = np.linalg.solve(np.eye(d) - (1 - e) / rho * G / (rho + e), np.ones(d))
        with pytest.warns(UserWarning, match="constant"):
            inffs = InfFS(supervised=True, alpha=alpha).fit(X, y)
        assert np.abs(inffs.reference_scores_ - w).max() / np.abs(w).max() < 1e-12
        assert inffs.scores_[-1] == np.inf
        np.testing.assert_array_equal(inffs.scores_[~perfect], inffs.reference_scores_[~perfect])


# ------------------------------------------------- column order of the findings
def test_fitted_attributes_follow_the_input_column_order():
    # A mixed table (4 discrete, 6 continuous columns) and the same table with its
    # columns shuffled: every per-feature finding is the same finding, permuted.
    X, y = make_classification(300, 10, n_informative=4, n_redundant=2, shuffle=False,
                               random_state=5)
    X[:, 6:] = np.round(X[:, 6:])  # few distinct values: discrete for ReliefF
    perm = np.random.default_rng(0).permutation(X.shape[1])
    pos = np.argsort(perm)  # pos[j]: where input column j lands in the shuffled table
    cases = [
        (MRMR(max_steps=6), ("relevance_",), "selection_order_"),
        (ReliefF(n_neighbors=5), ("discrete_",), None),
        (Boruta(max_iter=15, random_state=0),
         ("confirmed_", "support_weak_", "boruta_ranking_", "decision_"), None),
    ]
    for est, vectors, order_attr in cases:
        a = clone_fit(est, X, y)
        b = clone_fit(est, X[:, perm], y)
        for name in vectors:
            np.testing.assert_array_equal(getattr(b, name), getattr(a, name)[perm], err_msg=name)
        np.testing.assert_array_equal(b.scores_, a.scores_[perm])
        if order_attr:
            np.testing.assert_array_equal(getattr(b, order_attr), pos[getattr(a, order_attr)])
        if isinstance(est, ReliefF):
            assert np.flatnonzero(a.discrete_).tolist() == [6, 7, 8, 9]
        if isinstance(est, Boruta):
            np.testing.assert_array_equal(b.importance_history_, a.importance_history_[:, perm])


def clone_fit(est, X, y):
    from sklearn.base import clone

    return clone(est).fit(X, y)


# ------------------------------------------------- Boruta's noise line in the report
def test_boruta_declares_its_noise_line_per_feature():
    from featkit.findings import collect_findings

    X, y, truth = known_truth()
    sel = Boruta(max_iter=20, random_state=0).fit(X, y)
    median = np.nanmedian(sel.importance_history_, axis=0)
    np.testing.assert_allclose(sel.median_importance_, median)
    line = collect_findings(sel)["median_importance_"]
    assert line.kind == "feature_vector" and line.reference == sel.shadow_threshold_
    np.testing.assert_allclose(line.value, median)
    assert set(np.flatnonzero(median > sel.shadow_threshold_)) >= truth
    assert (collect_findings(sel)["decision_"].value == sel.decision_).all()
    # in input order: the same finding, permuted, for a shuffled table
    perm = np.random.default_rng(1).permutation(X.shape[1])
    again = Boruta(max_iter=20, random_state=0).fit(X[:, perm], y)
    np.testing.assert_array_equal(again.median_importance_, sel.median_importance_[perm])
    np.testing.assert_array_equal(again.decision_, sel.decision_[perm])


def test_report_draws_the_noise_line_from_the_declared_finding():
    from featkit._engine import _method_result
    from featkit.io import ColumnInfo
    from featkit.report import render_report
    from featkit.report._svg import fmt
    from featkit.results import RankingResult

    X, y, truth = known_truth()
    names = [f"f{j}" for j in range(X.shape[1])]
    sel = Boruta(max_iter=20, random_state=0).fit(X, y)
    method = _method_result("boruta", sel, 1.0)
    assert method.findings["median_importance_"].reference == sel.shadow_threshold_
    cols = [ColumnInfo(n, "numeric", "float64", 0, 0.0, X.shape[0]) for n in names]
    res = RankingResult(names, cols, "y", "classification", X.shape[0], {"boruta": method},
                        method.scores, method.ranking)
    html = render_report(res)
    above_mask = np.nan_to_num(sel.median_importance_, nan=-np.inf) > sel.shadow_threshold_
    above = [names[j] for j in range(X.shape[1]) if above_mask[j]]
    below = X.shape[1] - len(above)
    assert f"above the noise line ({fmt(sel.shadow_threshold_)}): {', '.join(above)}; {below} below." in html
    assert 'class="reference"' in html and "stroke-dasharray" in html
    assert "above noise" in html and "below noise" in html
    # the saved JSON keeps the line
    back = RankingResult.from_dict(res.to_dict())
    assert back.methods["boruta"].findings["median_importance_"].reference == sel.shadow_threshold_
