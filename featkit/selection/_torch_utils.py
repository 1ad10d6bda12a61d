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

import numpy as np

from ..exceptions import InputError, missing_extra

__all__ = [
    "import_torch",
    "make_generator",
    "torch_threads",
    "as_tensor",
    "seed_from",
    "available_cores",
]


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
