"""The default consensus: the member weighting that an inner cross-validation supports."""

import numpy as np
import pandas as pd
import pytest

from featkit.base import BaseRanker
from featkit.selection import ConsensusRanker, FTestRanker, L1Ranker
from featkit.selection import _consensus
from featkit.selection._consensus import inner_choice
from featkit.evaluation._evidence import InnerFolds


class NoiseRanker(BaseRanker):
    """Scores unrelated to the data, a new draw on each row subset."""

    _requires_target = True

    def __init__(self, n_features_to_select="auto", random_state=None):
        self.n_features_to_select = n_features_to_select
        self.random_state = random_state

    def _fit_scores(self, X, y):
        seed = (self.random_state or 0) + X.shape[0]
        return np.random.RandomState(seed).uniform(size=X.shape[1])


class SpyRanker(BaseRanker):
    """F-test scores; records the row ids (the one whole-number column) of every fit."""

    _requires_target = True
    seen = []

    def __init__(self, n_features_to_select="auto"):
        self.n_features_to_select = n_features_to_select

    def _fit_scores(self, X, y):
        X = np.asarray(X)
        ids = X[:, np.flatnonzero((X == X.round()).all(axis=0))[0]]  # columns come reordered
        SpyRanker.seen.append(set(ids.astype(int).tolist()))
        return FTestRanker().fit(X, y).scores_


def _table(seed=0, n=300, d=40):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, :4] @ np.array([1.0, -1.0, 0.8, 0.6]) + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def test_the_default_silences_a_pure_noise_member():
    X, y = _table()
    ranker = ConsensusRanker(methods=(FTestRanker(), L1Ranker(), NoiseRanker()),
                             random_state=0).fit(X, y)
    assert ranker.aggregation == "cv_weighted"
    assert ranker.weights_["NoiseRanker"] == pytest.approx(0.0, abs=1e-12)
    assert ranker.chosen_ != "mean rank" and "inner cross-validation chose" in ranker.dropped_["NoiseRanker"]
    # every candidate was scored
    assert set(ranker.candidates_) == {"mean rank", "evidence weights", "FTestRanker", "L1Ranker",
                                       "NoiseRanker"}
    # the chosen one is the reference, or beats it by more than the paired standard error
    cands, ref = ranker.candidates_, ranker.candidates_[_consensus.REFERENCE]
    gain = np.subtract(cands[ranker.chosen_]["folds"], ref["folds"])
    assert ranker.chosen_ == _consensus.REFERENCE or gain.mean() > gain.std(ddof=1) / np.sqrt(3)
    # a random top 20 of 40 holds some of the 4 informative columns: above chance, far below
    assert ranker.candidates_["NoiseRanker"]["score"] < ranker.candidates_["FTestRanker"]["score"] - 0.15
    assert set(np.argsort(ranker.ranking_)[:4]) == {0, 1, 2, 3}


def _complementary(n=300, d=40, seed=0):
    """Two members, each finding half of the ten informative columns first."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, :10].sum(axis=1) + 0.5 * rng.normal(size=n) > 0).astype(int)

    def ranking(first, second, third):
        order = [*first, *second, *third]
        order += [j for j in range(d) if j not in order]
        r = np.empty(d)
        r[order] = np.arange(1.0, d + 1)
        return r

    a = ranking(range(0, 5), range(10, 15), range(5, 10))
    b = ranking(range(5, 10), range(15, 20), range(0, 5))
    return X, y, {"a": a, "b": b}


def test_complementary_members_keep_the_equal_vote():
    X, y, rankings = _complementary()
    refit = {name: (lambda rows, r=r: r) for name, r in rankings.items()}
    found = inner_choice(rankings, refit, X, y, task="classification", random_state=0)
    # the mean rank puts all ten informative columns in its top 10; each member only five.
    # Both members carry most of the best one's evidence, so the evidence weights are
    # nearly the equal vote, and no single member is chosen
    assert found["chosen"] in ("mean rank", "evidence weights")
    assert found["candidates"]["mean rank"]["score"] > found["candidates"]["a"]["score"] + 0.03
    assert found["weights"] == pytest.approx({"a": 0.5, "b": 0.5}, abs=0.05)
    assert found["dropped"] == {}
    assert set(np.argsort(-found["score"])[:10]) == set(range(10))


def test_inner_evidence_sees_only_the_fit_rows():
    X, y = _table(seed=2, n=240, d=12)
    X[:, 0] = np.arange(len(y))  # row ids, to see which rows each fit saw
    fit_rows, held_out = np.arange(0, 160), np.arange(160, 240)
    SpyRanker.seen = []
    ranker = ConsensusRanker(methods=(FTestRanker(), SpyRanker()), random_state=0, inner_cv=3)
    ranker.fit(X[fit_rows], y[fit_rows])
    assert len(SpyRanker.seen) == 1 + 3  # the member's own fit, then one per inner fold
    assert SpyRanker.seen[0] == set(fit_rows.tolist())
    for rows in SpyRanker.seen[1:]:
        assert rows < set(fit_rows.tolist()) and not rows & set(held_out.tolist())
        assert len(rows) == pytest.approx(160 * 2 / 3, abs=2)
    # the three inner training sets leave out disjoint thirds of the fit rows
    left_out = [set(fit_rows.tolist()) - rows for rows in SpyRanker.seen[1:]]
    assert sum(len(s) for s in left_out) == 160 and len(set().union(*left_out)) == 160


def test_inner_folds_cover_a_capped_stratified_sample():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(5000, 6))
    y = (rng.uniform(size=5000) < 0.2).astype(int)
    folds = InnerFolds(X, y, task="classification", cv=3, max_rows=600)
    rows = np.concatenate(folds.splits[0])
    assert rows.size == 600 and np.unique(rows).size == 600
    assert y[rows].mean() == pytest.approx(0.2, abs=0.01)
    for tr, te in folds.splits:
        assert not set(tr) & set(te) and set(tr) | set(te) == set(rows)


def test_the_choice_does_not_depend_on_the_column_order():
    X, y = _table(seed=3, n=200, d=30)
    X[:, 7] = X[:, 8]  # a duplicated column: tied everywhere, broken canonically
    perm = np.random.RandomState(1).permutation(X.shape[1])
    # members that are order-invariant themselves (L1Ranker's solver is not, to the last digit)
    methods = (FTestRanker(), NoiseRanker())
    a = ConsensusRanker(methods=methods, random_state=0).fit(X, y)
    b = ConsensusRanker(methods=methods, random_state=0).fit(X[:, perm], y)
    assert a.chosen_ == b.chosen_
    assert a.weights_ == pytest.approx(b.weights_)
    assert {c: v["score"] for c, v in a.candidates_.items()} == pytest.approx(
        {c: v["score"] for c, v in b.candidates_.items()})
    np.testing.assert_array_equal(a.ranking_[perm], b.ranking_)


def test_too_few_rows_for_the_inner_folds_give_the_equal_vote():
    X, y = _table(n=4, d=5)
    y = np.array([0, 1, 0, 1])
    found = inner_choice({"a": np.arange(1.0, 6), "b": np.arange(5.0, 0, -1)},
                         {"a": lambda rows: np.arange(1.0, 6), "b": lambda rows: np.arange(5.0, 0, -1)},
                         X, y, task="classification", cv=5)
    assert found["chosen"] is None and found["weights"] == {"a": 0.5, "b": 0.5}
    np.testing.assert_array_equal(found["score"], [-3.0] * 5)


def test_rank_features_and_the_cli_default_to_the_inner_choice(tmp_path):
    from typer.testing import CliRunner

    from featkit import rank_features
    from featkit_cli.app import app

    X, y = _table(seed=1, n=240, d=12)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(12)])
    frame["y"] = y
    result = rank_features(frame, "y", methods="f_test,l1,variance")
    assert result.aggregation == "cv_weighted"
    assert result.consensus_name == "consensus_weighted_mean_rank"
    assert result.methods["variance"].weight == 0.0
    assert "inner cross-validation chose" in result.methods["variance"].weight_note
    assert set(result.top(4)) == {"f0", "f1", "f2", "f3"}

    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "ranking.csv"
    res = CliRunner().invoke(app, ["rank", str(path), "--target", "y", "-m", "f_test,l1,variance",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    saved = pd.read_csv(out)
    assert "consensus_weighted_mean_rank" in saved.columns
    assert "Consensus weights" in res.output
