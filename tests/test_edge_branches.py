"""Branches once marked ``pragma: no cover``: each is reachable, so each is tested here."""

import dataclasses
import os
import sys

import numpy as np
import pytest

from featkit.base import BaseRanker


class _NoScores(BaseRanker):
    def __init__(self, n_features_to_select="auto"):
        self.n_features_to_select = n_features_to_select


def test_ranker_without_fit_scores_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        _NoScores().fit(np.arange(12.0).reshape(4, 3))


def test_shap_values_without_shap_names_the_extra(monkeypatch):
    from sklearn.linear_model import LinearRegression

    from featkit.attribution import shap_values
    from featkit.exceptions import MissingExtraError

    X = np.random.default_rng(0).normal(size=(20, 2))
    model = LinearRegression().fit(X, X[:, 0])
    monkeypatch.setitem(sys.modules, "shap", None)  # import shap now raises ImportError
    with pytest.raises(MissingExtraError, match=r'featkit\[boost\]'):
        shap_values(model, X)


def test_example_missing_from_the_installation(monkeypatch):
    from featkit.datasets import _examples

    broken = dataclasses.replace(_examples.EXAMPLES["wine"], file="no_such_file.csv")
    monkeypatch.setitem(_examples.EXAMPLES, "wine", broken)
    with pytest.raises(FileNotFoundError, match="no_such_file.csv"):
        _examples.example_path("wine")


def test_available_cores_without_cpu_affinity(monkeypatch):
    from featkit.selection import _torch_utils

    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert _torch_utils.available_cores() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert _torch_utils.available_cores() == 1
