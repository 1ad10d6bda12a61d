"""The one-standard-error guard of the default consensus's inner choice."""

import numpy as np
import pytest

from featkit.evaluation._evidence import InnerFolds
from featkit.evaluation._evidence import member_evidence as _consensus_member_evidence
from featkit.exceptions import InputError
from featkit.selection import _consensus
from featkit.selection._consensus import choose_candidate, inner_choice, inner_folds_too_small


def _candidate(folds):
    folds = np.asarray(folds, dtype=float)
    return {"score": float(folds.mean()), "error": float(folds.std(ddof=1) / np.sqrt(folds.size)),
            "folds": folds.tolist()}


def _table(gain, noise):
    """The equal vote's fold scores, and a challenger ahead by ``gain`` +- ``noise`` a fold."""
    ref = np.array([0.70, 0.80, 0.75])
    return {"mean rank": _candidate(ref), "evidence weights": _candidate(ref + [0.01, -0.01, 0.0]),
            "a": _candidate(ref + gain + noise * np.array([-1.0, 0.0, 1.0]))}


@pytest.mark.parametrize("standard_error", ["paired", "own"])
def test_a_candidate_ahead_by_less_than_one_standard_error_is_not_chosen(standard_error):
    # a: +0.03 on average, per-fold gains -0.03, +0.03, +0.09 (paired SE 0.035); own SE 0.055
    cands = _table(0.03, 0.06)
    assert choose_candidate(cands, reference="mean rank", standard_error="none") == "a"
    assert choose_candidate(cands, reference="mean rank", standard_error=standard_error) == "mean rank"
    assert choose_candidate(cands, reference="evidence weights",
                            standard_error=standard_error) == "evidence weights"


def test_a_candidate_ahead_by_more_than_one_standard_error_is_chosen():
    # a: +0.03 with per-fold gains 0.02, 0.03, 0.04: paired SE 0.0058, own SE 0.035
    cands = _table(0.03, 0.01)
    assert choose_candidate(cands, reference="mean rank", standard_error="paired") == "a"
    assert choose_candidate(cands, reference="mean rank", standard_error="own") == "mean rank"
    # a steady gain larger than the folds' spread clears the own SE as well
    cands = _table(0.12, 0.0)
    assert choose_candidate(cands, reference="mean rank", standard_error="own") == "a"
    assert choose_candidate(cands, reference="evidence weights", standard_error="own") == "a"
    # +0.02 in every fold: clear of the paired SE (0), not of the reference's own SE (0.029)
    cands = _table(0.02, 0.0)
    assert choose_candidate(cands, reference="mean rank", standard_error="paired") == "a"
    assert choose_candidate(cands, reference="mean rank", standard_error="reference") == "mean rank"


def test_of_the_candidates_ahead_the_best_mean_wins():
    cands = _table(0.03, 0.01)
    cands["b"] = _candidate(np.array(cands["a"]["folds"]) + 0.01)
    cands["c"] = _candidate(np.array(cands["mean rank"]["folds"]) + [-0.1, 0.0, 0.3])  # noisy
    assert choose_candidate(cands, reference="mean rank", standard_error="paired") == "b"
    assert choose_candidate(cands, reference="mean rank", standard_error="none") == "c"


def test_the_reference_falls_back_to_the_equal_vote_and_bad_kinds_fail():
    cands = {"mean rank": _candidate([0.7, 0.8, 0.75])}  # one member: no evidence weights
    assert choose_candidate(cands, reference="evidence weights") == "mean rank"
    assert choose_candidate({}) is None
    with pytest.raises(InputError, match="standard error"):
        choose_candidate(_table(0.03, 0.01), standard_error="two")


def test_small_inner_folds_keep_the_equal_vote_whatever_the_scores():
    cands = _table(0.12, 0.0)
    small = "fewer than 100 rows (45)"
    assert choose_candidate(cands, reference="mean rank", too_small=small) == "mean rank"
    assert choose_candidate(cands, reference="evidence weights", too_small=small) == "mean rank"
    assert choose_candidate(cands, reference="evidence weights", too_small=small,
                            small_folds_choice=None) == "evidence weights"
    assert choose_candidate(cands, reference="evidence weights", too_small=None) == "a"
    assert inner_folds_too_small(99, 30) == "fewer than 100 rows (99)"
    assert inner_folds_too_small(150, 9) is None  # the rows-of-a-class test is off by default
    assert inner_folds_too_small(150, 9, min_class_rows=10).startswith("fewer than 10 rows of a")
    assert inner_folds_too_small(100, 10, min_class_rows=10) is None
    assert inner_folds_too_small(100, None, min_class_rows=10) is None


def test_inner_folds_report_their_smallest_class():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [60, 30, 12])
    X = rng.normal(size=(y.size, 4))
    rows, fewest = InnerFolds(X, y, task="classification", cv=3).smallest_held_out()
    assert rows == y.size and fewest == 4  # 12 rows of class 2 over 3 stratified folds
    rows, fewest = InnerFolds(X, y.astype(float), task="regression", cv=3).smallest_held_out()
    assert rows == y.size and fewest is None


def _members_with_a_clear_winner(n, classes, seed=0):
    """Member "good" ranks the informative column first; "bad" ranks it last."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % classes
    X = rng.normal(size=(n, 12))
    X[:, 0] = y + 0.1 * rng.normal(size=n)
    good, bad = np.arange(1.0, 13.0), np.arange(12.0, 0.0, -1)
    rankings = {"good": good, "bad": bad, "bad2": bad.copy()}
    refit = {name: (lambda rows, r=r: r) for name, r in rankings.items()}
    return X, y, rankings, refit


def test_the_small_fold_fallback_keeps_the_equal_vote_that_a_larger_table_leaves():
    # "bad" thrice: the equal vote ranks the informative column last but one
    X, y, rankings, refit = _members_with_a_clear_winner(90, 3)
    rankings["bad3"] = rankings["bad"].copy()
    refit["bad3"] = refit["bad"]
    called = []

    def spy(fit_on):
        def fit(rows):
            called.append(len(rows))
            return fit_on(rows)
        return fit

    found = inner_choice(rankings, {n: spy(f) for n, f in refit.items()}, X, y,
                         task="classification", random_state=0)
    # 90 rows: too few for the inner folds to be trusted, although "good" alone is far ahead
    # (below): the choice is the equal vote, so no member is refitted for it
    assert found["held_out"] == (90, 10)
    assert called == [] and found["candidates"] == {}
    assert found["chosen"] == _consensus.SMALL_FOLDS_CHOICE == "mean rank"
    assert found["weights"] == {n: 0.25 for n in rankings} and found["dropped"] == {}
    assert all(e["score"] is None and "inner folds too small" in e["error_message"]
               for e in found["evidence"].values())
    folds = InnerFolds(X, y, task="classification", cv=3, random_state=0, max_rows=3000)
    inner, failures = folds.refit_all(refit)
    evidence = _consensus_member_evidence(folds, inner, failures, list(rankings))
    cands = _consensus.consensus_candidates(folds, inner, evidence, 0.5)
    assert cands["good"]["score"] > cands["mean rank"]["score"] + 0.2
    assert "inner folds too small" in _consensus._choice_text(
        "mean rank", cands, "fewer than 100 rows (90)")
    # the same members on 300 rows: the folds are large enough and "good" wins by far
    X, y, rankings, refit = _members_with_a_clear_winner(300, 3)
    found = inner_choice(rankings, refit, X, y, task="classification", random_state=0)
    assert found["held_out"] == (300, 33)
    assert found["weights"]["good"] == 1.0
    assert found["chosen"] in ("good", "evidence weights")
