"""Shared PyTorch plumbing of the neural selectors (KAN, Sequential Attention).

Nothing here imports torch at module import time: :func:`import_torch` does
it on first use and turns a missing install into a
:class:`~featkit.exceptions.MissingExtraError` naming ``featkit[neural]``.
Every random draw goes through a local ``torch.Generator`` so that a fixed
``random_state`` gives the same result without touching torch's global seed.
"""

from __future__ import annotations

import contextlib
import os
from numbers import Integral

import numpy as np

from ..exceptions import InputError, missing_extra
from ..utils._param_validation import NON_NEGATIVE, TASK_CONSTRAINT, TORCH_DEVICE_CONSTRAINT, Interval

__all__ = [
    "import_torch",
    "make_generator",
    "torch_threads",
    "as_tensor",
    "seed_from",
    "available_cores",
    "constant_loss",
    "no_better_than_constant",
    "TORCH_PARAMETER_CONSTRAINTS",
]

# The parameters both neural selectors take, with one meaning: a selector adds
# its own to these (``{**BaseRanker._parameter_constraints, **TORCH_PARAMETER_CONSTRAINTS, ...}``).
TORCH_PARAMETER_CONSTRAINTS = {
    "task": TASK_CONSTRAINT,
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left"), None],
    "weight_decay": [NON_NEGATIVE],
    # any int (seed_from folds it) or a NumPy generator
    "random_state": [Integral, np.random.RandomState, np.random.Generator, None],
    "n_threads": [Integral, None],
    "device": TORCH_DEVICE_CONSTRAINT,
}


def import_torch(what: str = "This method"):
    """Import torch or raise MissingExtraError naming ``pip install "featkit[neural]"``."""
    try:
        import torch
    except ImportError:
        raise missing_extra("torch", "neural", what) from None
    return torch


def seed_from(random_state) -> int:
    """A 63-bit seed from an int, a RandomState, a Generator or None (None: drawn once)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**62))
    try:
        return int(random_state) % (2**63 - 1)
    except (TypeError, ValueError):
        raise InputError(f"random_state must be an int, a RandomState or None, got {random_state!r}.") from None


def make_generator(torch, seed: int, device="cpu"):
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen


# Below this many input elements (rows x features) a fit runs on one thread: the
# tensors are too small to split, and on a busy machine waiting for a descheduled
# worker thread costs far more than it saves (measured 7x slower with 2 threads).
SMALL_WORK = 1_000_000


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no CPU affinity call
        return os.cpu_count() or 1


@contextlib.contextmanager
def torch_threads(torch, n_threads=None, work=None):
    """Run with ``n_threads`` intra-op threads.

    ``None`` uses the cores this process may use, or one thread when ``work``
    (input elements) is below :data:`SMALL_WORK`. The previous setting is
    restored afterwards, so a fit does not change the caller's torch
    configuration. Results are reproducible for a fixed thread count.
    """
    if n_threads is None:
        n_threads = 1 if work is not None and work < SMALL_WORK else available_cores()
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n_threads)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def as_tensor(torch, array, device, dtype=None):
    dtype = torch.float32 if dtype is None else dtype
    return torch.as_tensor(np.ascontiguousarray(array), dtype=dtype, device=device)


def constant_loss(y_train, y_test, classification: bool, reduction: str = "mean"):
    """Held-out loss of the constant predictor fitted on ``y_train``.

    Classification: cross-entropy of the training class prior on ``y_test``
    (integer codes). Regression: squared error of the training mean on the
    target standardised with the training mean and standard deviation (the
    scale the networks train on).

    Parameters
    ----------
    y_train, y_test : ndarray of shape (n,)
    classification : bool
    reduction : {"mean", "none"}, default="mean"
        The mean loss, or the loss of each row of ``y_test``.

    Returns
    -------
    float or ndarray of shape (len(y_test),)
    """
    if classification:
        prior = np.bincount(y_train, minlength=int(max(y_train.max(), y_test.max())) + 1) / len(y_train)
        rows = -np.log(np.clip(prior[y_test], 1e-12, None))
    else:
        sd = y_train.std() if y_train.std() > 0 else 1.0
        rows = ((y_test - y_train.mean()) / sd) ** 2
    return rows if reduction == "none" else float(np.mean(rows))


def no_better_than_constant(loss, baseline, rows: str = "held-out rows") -> str | None:
    """The degenerate note of a network that does no better than a constant predictor, else None.

    Degenerate means a held-out loss within 1% of the constant predictor's, or
    above it. Given per-row losses, also a mean improvement within two
    standard errors of zero: on a few dozen held-out rows a network fitted to
    noise beats the constant by chance about as often as it loses.

    Parameters
    ----------
    loss, baseline : float or ndarray of shape (n_rows,)
        Held-out losses of the network and of the constant predictor: both
        means, or both per row (the same rows).
    rows : str, default="held-out rows"
        What the losses were measured on, for the note.

    Returns
    -------
    str or None

    Examples
    --------
    >>> no_better_than_constant(0.70, 0.69)
    "held-out loss 0.7 no better than a constant predictor's 0.69"
    >>> no_better_than_constant(0.30, 0.69) is None
    True
    >>> no_better_than_constant([0.2, 1.2, 0.1, 1.1], [0.7, 0.7, 0.7, 0.7], "4 rows")
    "held-out loss 0.65 not clearly better than a constant predictor's 0.7 (4 rows)"
    """
    loss, baseline = np.asarray(loss, dtype=float), np.asarray(baseline, dtype=float)
    mean_loss, mean_base = float(np.mean(loss)), float(np.mean(baseline))
    suffix = "" if rows == "held-out rows" else f" ({rows})"
    if mean_loss >= 0.99 * mean_base:
        return f"held-out loss {mean_loss:.3g} no better than a constant predictor's {mean_base:.3g}{suffix}"
    if loss.ndim and loss.size > 1:
        gain = baseline - loss
        if gain.mean() <= 2.0 * gain.std(ddof=1) / np.sqrt(gain.size):
            return (f"held-out loss {mean_loss:.3g} not clearly better than a constant "
                    f"predictor's {mean_base:.3g}{suffix}")
    return None
