"""Fixtures shared by several test files."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def correlated_table():
    """Builder of the table the reduce tests share: ``row_id`` (an ID), ``d``
    correlated numeric columns ``x0..`` shifted by ``shift``, optionally a boolean
    ``flag`` and a constant ``const``, and a two-class ``label``; seeded, so one
    set of arguments always gives the same table."""

    def build(n, d, shift, flag_and_const=False, seed=0):
        rng = np.random.RandomState(seed)
        X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + shift
        df = pd.DataFrame(X, columns=[f"x{i}" for i in range(d)])
        df.insert(0, "row_id", np.arange(n))  # ID-like: unique integers
        if flag_and_const:
            df["flag"] = rng.rand(n) > 0.5  # boolean: reduced
            df["const"] = 7.0  # constant: nothing to reduce
        df["label"] = rng.choice(["a", "b"], n)
        return df

    return build


def _local_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def client():
    """A Dask client on a 2-process LocalCluster, shared by one test module."""
    yield from _local_client()


@pytest.fixture
def own_client():
    """A Dask client on a LocalCluster of its own (a test that kills one of its workers)."""
    yield from _local_client()
