"""A worker killed while it runs a task: Dask reruns the task elsewhere and the fit equals the in-memory fit.

The kernel's ``partial`` is gated: every task writes a "start" marker (worker pid, block key)
and then waits for a release file. The test kills a worker only once it has seen that
worker's marker with no "done" marker -- the task is provably in flight -- then releases the
gate, and checks that the killed worker's block was started again by another process.
"""

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

FEATURES = list("abcde")
WAIT_S = 120


class _GatedKernel:
    """A reduction kernel whose ``partial`` waits for ``folder/release`` (test-only hook)."""

    def __init__(self, inner, folder):
        self.inner, self.folder = inner, folder

    def partial(self, *args):
        folder = Path(self.folder)
        key = f"{args[0].shape[0]}_{float(np.abs(args[0]).sum()):.6f}"
        (folder / f"start-{os.getpid()}-{key}").touch()
        deadline = time.monotonic() + WAIT_S
        while not (folder / "release").exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the test never released the gate")
            time.sleep(0.05)
        state = self.inner.partial(*args)
        (folder / f"done-{os.getpid()}-{key}").touch()
        return state

    def combine(self, states):
        return self.inner.combine(states)

    def finalize(self, state):
        return self.inner.finalize(state)


def _markers(folder, kind):
    """(pid, key) of every ``kind`` marker."""
    out = []
    for f in Path(folder).glob(f"{kind}-*"):
        _, pid, key = f.name.split("-", 2)
        out.append((int(pid), key))
    return out


def _wait_for(condition, what):
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_worker_killed_mid_task_is_retried_and_the_fit_is_unchanged(own_client, tmp_path):
    from featkit.selection import FTestRanker

    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.normal(size=(1200, 5)) * [1, 2, 3, 4, 5], columns=FEATURES)
    df["y"] = (df["b"] + rng.normal(size=1200) > 0).astype(int) + (df["d"] > 2).astype(int)
    ddf = dd.from_pandas(df, npartitions=6)
    want = FTestRanker().fit(df[FEATURES], df["y"])

    est = FTestRanker()
    inner = est._reduction_kernel
    est._reduction_kernel = lambda n_classes: _GatedKernel(inner(n_classes), str(tmp_path))
    outcome = {}

    def fit():
        try:
            outcome["est"] = est.fit(ddf[FEATURES], ddf["y"])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread below
            outcome["error"] = exc

    runner = threading.Thread(target=fit, daemon=True)
    runner.start()
    # both single-threaded workers are inside a partial and waiting at the gate
    _wait_for(lambda: len({pid for pid, _ in _markers(tmp_path, "start")}) >= 2, "two busy workers")
    victim, victim_key = sorted(_markers(tmp_path, "start"))[0]
    assert _markers(tmp_path, "done") == [] and runner.is_alive()
    os.kill(victim, signal.SIGKILL)  # a killed process runs no more code: its task cannot finish
    (tmp_path / "release").touch()
    runner.join(WAIT_S)
    assert not runner.is_alive(), "the fit did not finish after the kill"
    if "error" in outcome:
        raise outcome["error"]

    reruns = [pid for pid, key in _markers(tmp_path, "start") if key == victim_key and pid != victim]
    assert reruns, "the killed worker's block was never run again"
    assert (victim, victim_key) not in _markers(tmp_path, "done")
    got = outcome["est"]
    np.testing.assert_allclose(got.scores_, want.scores_, rtol=1e-9)
    np.testing.assert_array_equal(got.ranking_, want.ranking_)

