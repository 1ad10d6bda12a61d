"""The consensus's inner refits in threads give the serial run's answer."""

import os
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from featkit import _cost
from featkit.evaluation import _evidence
from featkit.evaluation._evidence import InnerFolds
from featkit.ranking import rank_features
from featkit.registry import get_method


def _table(n=360, d=40, seed=0):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=6, n_redundant=3,
                               random_state=seed)
    return X, y


def _refitter(name, X, y):
    def fit_on(rows):
        est = get_method(name).make(task="classification", random_state=0)
        return est.fit(X[rows], y[rows]).ranking_
    return fit_on


def test_threaded_refits_equal_the_serial_ones_and_fail_the_same_way():
    X, y = _table()
    refit = {n: _refitter(n, X, y) for n in ("f_test", "gradient_boosting", "random_forest", "l1")}
    failing_fold = []

    def fails_in_the_second_fold(rows):
        failing_fold.append(len(rows))
        if len(failing_fold) % 3 == 2:
            raise ValueError(f"fold of {len(rows)} rows")
        return np.arange(1.0, X.shape[1] + 1)

    refit["fails"] = fails_in_the_second_fold
    folds = InnerFolds(X, y, task="classification", cv=3, random_state=0)
    serial, serial_failures = folds.refit_all(refit)
    threaded, threaded_failures = folds.refit_all(refit, n_threads=2)
    assert list(serial) == list(threaded) == ["f_test", "gradient_boosting", "random_forest", "l1"]
    for name in serial:
        assert len(serial[name]) == 3
        for a, b in zip(serial[name], threaded[name]):
            assert a.tobytes() == b.tobytes()
    assert serial_failures == threaded_failures
    assert list(threaded_failures) == ["fails"]


def test_a_members_folds_are_refitted_one_after_another():
    import threading
    import time

    X, y = _table(n=90, d=12)
    folds = InnerFolds(X, y, task="classification", cv=3, random_state=0)
    running, overlaps = {}, []

    def member(name):
        def fit_on(rows):
            if running.get(name):
                overlaps.append(name)
            running[name] = True
            time.sleep(0.05)  # long enough for a second fold of it to start, if it could
            running[name] = False
            return np.arange(1.0, 13.0)
        return fit_on

    rankings, _ = folds.refit_all({n: member(n) for n in "abcd"}, n_threads=4)
    assert overlaps == [] and all(len(r) == 3 for r in rankings.values())


def test_threaded_refits_run_at_once_except_the_serial_ones_and_restore_warnings():
    import threading

    X, y = _table(n=90, d=12)
    folds = InnerFolds(X, y, task="classification", cv=3, random_state=0)
    seen = {}
    barrier = threading.Barrier(2, timeout=10)

    def meets_another(rows):
        seen.setdefault("threaded", set()).add(threading.current_thread().name)
        barrier.wait()  # only passes when two refits run at the same time
        warnings.warn("chatter of a small fold")
        return np.arange(1.0, 13.0)

    def on_the_caller(rows):
        seen.setdefault("serial", set()).add(threading.current_thread().name)
        return np.arange(12.0, 0.0, -1)

    filters = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rankings, failures = folds.refit_all({"a": meets_another, "b": meets_another,
                                              "torch": on_the_caller},
                                             n_threads=2, serial={"torch"})
    assert caught == []  # the threads' warnings are ignored, not shown
    assert not failures and len(rankings["a"]) == len(rankings["torch"]) == 3
    assert all(name.startswith("featkit-refit") for name in seen["threaded"])
    assert seen["serial"] == {threading.current_thread().name}
    assert warnings.filters == filters


@pytest.mark.parametrize("cores", [1, 2])
def test_rank_features_refits_in_threads_with_the_serial_answer(monkeypatch, cores):
    X, y = _table(n=420, d=30, seed=3)
    frame = pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])]).assign(y=y)
    calls = []
    refit_all = InnerFolds.refit_all

    def spy(self, refit, **kw):
        calls.append(kw)
        return refit_all(self, refit, **kw)

    monkeypatch.setattr(InnerFolds, "refit_all", spy)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))  # an idle machine
    monkeypatch.setattr(_cost, "available_cores", lambda: 1)
    serial = rank_features(frame, target="y", random_state=0)
    monkeypatch.setattr(_cost, "available_cores", lambda: cores)
    run = rank_features(frame, target="y", random_state=0)
    assert [c["n_threads"] for c in calls] == [1, cores]
    assert run.consensus_rank.tobytes() == serial.consensus_rank.tobytes()
    assert run.consensus_score.tobytes() == serial.consensus_score.tobytes()
    assert {n: m.weight for n, m in run.methods.items()} == \
        {n: m.weight for n, m in serial.methods.items()}
    assert run.notes == serial.notes
    assert _evidence.INNER_MAX_ROWS >= 420  # every row is in the inner folds


def test_refit_threads_follow_n_jobs_else_a_spare_core(monkeypatch):
    from featkit.ranking import _refit_threads

    monkeypatch.setattr(_cost, "available_cores", lambda: 2)  # -1 too: every core
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.5, 1.5))
    assert _refit_threads(None) == 2 and _refit_threads(1) == 1 and _refit_threads(-1) == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (2.0, 2.0, 2.0))  # every core busy
    assert _refit_threads(None) == 1 and _refit_threads(2) == 2
    monkeypatch.setattr(_cost, "available_cores", lambda: 1)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert _refit_threads(None) == 1
