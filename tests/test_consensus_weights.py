"""The "cv_weighted" consensus: members weighed by inner cross-validated evidence."""

import numpy as np
import pytest

from featkit.base import BaseRanker
from featkit.exceptions import InputError
from featkit.selection import ConsensusRanker, FTestRanker, L1Ranker
from featkit.selection._consensus import aggregate_rankings, evidence_weights


class NoiseRanker(BaseRanker):
    """Scores unrelated to the data: a member that carries no signal."""

    _requires_target = True

    def __init__(self, n_features_to_select="auto", random_state=None):
        self.n_features_to_select = n_features_to_select
        self.random_state = random_state

    def _fit_scores(self, X, y):
        # a different draw on each row subset, as an unrelated method would give
        seed = (self.random_state or 0) + X.shape[0]
        return np.random.RandomState(seed).uniform(size=X.shape[1])


def _table(seed=0, n=300, d=40):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, :4] @ np.array([1.0, -1.0, 0.8, 0.6]) + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def test_a_pure_noise_member_weighs_nothing():
    X, y = _table()
    ranker = ConsensusRanker(methods=(FTestRanker(), L1Ranker(), NoiseRanker()),
                             aggregation="cv_weighted", random_state=0).fit(X, y)
    assert ranker.weights_["NoiseRanker"] == pytest.approx(0.0, abs=1e-12)
    assert "NoiseRanker" in ranker.dropped_
    assert sum(ranker.weights_.values()) == pytest.approx(1.0)
    assert max(ranker.weights_["FTestRanker"], ranker.weights_["L1Ranker"]) > 0.5
    # with the noise member silenced, the four informative features come first
    assert set(np.argsort(ranker.ranking_)[:4]) == {0, 1, 2, 3}
    mean_rank = ConsensusRanker(methods=(FTestRanker(), L1Ranker(), NoiseRanker()),
                                aggregation="mean_rank", random_state=0).fit(X, y)
    # the equal vote lets the noise member push noise features up the ranking
    assert np.abs(ranker.scores_ - mean_rank.scores_).max() > 1.0
    assert ranker.evidence_["FTestRanker"]["score"] > ranker.evidence_["NoiseRanker"]["score"] + 0.2


def test_weights_rules():
    ev = {"best": {"score": 0.80, "error": 0.02}, "close": {"score": 0.77, "error": 0.05},
          "worse": {"score": 0.70, "error": 0.01}, "chance": {"score": 0.52, "error": 0.03},
          "failed": {"score": None, "error": None, "error_message": "too few rows"}}
    # the default band: two standard errors of the best member's score (0.80 - 0.04)
    w, dropped = evidence_weights(ev, chance=0.5)
    assert w["best"] == pytest.approx(0.30 / 0.57) and w["close"] == pytest.approx(0.27 / 0.57)
    assert w["worse"] == w["chance"] == w["failed"] == 0.0
    assert "2 standard errors below best" in dropped["worse"] and "chance" in dropped["chance"]
    assert "too few rows" in dropped["failed"]
    # the previous band, one standard error (0.80 - 0.02), silences "close" too
    w, dropped = evidence_weights(ev, chance=0.5, band_errors=1)
    assert w["best"] == 1.0 and "1 standard error below best" in dropped["close"]
    # every member at chance: equal weights rather than none
    w, dropped = evidence_weights({"a": {"score": 0.5, "error": 0.01},
                                   "b": {"score": 0.49, "error": 0.01}}, chance=0.5)
    assert w == {"a": 0.5, "b": 0.5} and dropped == {}


def test_about_one_standard_error_below_the_best_keeps_a_member_its_vote():
    # the inner evidence of the 1,000,000 x 100 table of benchmarks/main_job.py (3,000 rows):
    # the tree members also rank the quadratic and integer-code columns that the linear
    # model of the evidence cannot use, and fall 0.007-0.010 (1.1-1.5 standard errors of
    # f_test's score) below f_test; mutual_info_binned, refitted on 2,000 rows, is far below
    ev = {"f_test": {"score": 0.7113, "error": 0.0063},
          "random_forest": {"score": 0.7062, "error": 0.0063},
          "mutual_info_binned": {"score": 0.6522, "error": 0.0045},
          "gradient_boosting": {"score": 0.7017, "error": 0.0057},
          "permutation_boosting": {"score": 0.7042, "error": 0.0032},
          "l1": {"score": 0.7093, "error": 0.0043}}
    w, dropped = evidence_weights(ev, chance=0.5)
    assert set(dropped) == {"mutual_info_binned"}
    assert min(v for n, v in w.items() if n != "mutual_info_binned") > 0.19
    old, old_dropped = evidence_weights(ev, chance=0.5, band_errors=1)
    assert set(old_dropped) == {"mutual_info_binned", "gradient_boosting", "permutation_boosting"}


def test_weighted_aggregation_needs_weights():
    with pytest.raises(InputError, match="weight"):
        aggregate_rankings([[1, 2], [2, 1]], "cv_weighted")
    with pytest.raises(InputError, match="weight"):
        aggregate_rankings([[1, 2], [2, 1]], "cv_weighted", weights=[0, 0])


def test_rank_features_weighs_methods_and_the_report_says_why():
    import pandas as pd

    from featkit import RankingResult, rank_features
    from featkit.report import render_report

    X, y = _table(seed=1, n=240, d=20)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(20)])
    frame["y"] = y
    result = rank_features(frame, "y", methods="f_test,l1,variance", aggregation="cv_weighted",
                           evaluate=True)
    # variance ignores the target: on standard-normal columns it carries no signal
    assert result.methods["variance"].weight == 0.0
    note = result.methods["variance"].weight_note
    assert "inner cross-validation chose" in note
    assert result.consensus_name == "consensus_weighted_mean_rank"
    assert set(result.top(4)) == {"f0", "f1", "f2", "f3"}
    assert any("Consensus weights" in n for n in result.notes)
    # the consensus curve is nested too: its weights were found inside each fold
    assert result.sections.evaluation.curves["nested"]["consensus"]
    html = render_report(result)
    assert "Consensus weights" in html and note.split(" (")[0] in html
    again = RankingResult.from_dict(result.to_dict())
    assert again.methods["variance"].weight_note == note
    assert again.methods["f_test"].weight == result.methods["f_test"].weight
