"""Array namespace, device choice and memory budgeting.

Dense maths in featkit is written against the Python array API standard through
``array_api_compat``: the same function runs on NumPy arrays, on CuPy arrays on a
GPU and on torch tensors, and is tested with ``array_api_strict``. This module is
the one place that knows how to pick a namespace and a device, how to move data
between host and device, and how large an allocation may be.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from ._sizes import parse_size
from .exceptions import InputError, MemoryBudgetError

__all__ = [
    "get_namespace",
    "is_numpy_namespace",
    "to_numpy",
    "gpu_available",
    "is_foreign_array",
    "device_kind",
    "validate_foreign_array",
    "resolve_device",
    "torch_device",
    "to_device",
    "memory_budget_bytes",
    "check_memory",
    "nbytes_of",
]

# Work smaller than this (in floating point operations) stays on the CPU under
# device="auto": the host-to-device copy costs more than the GPU saves.
GPU_MIN_FLOPS = 5e9

# Array libraries whose arrays are kept in their own namespace and on their own
# device instead of being copied into NumPy.
_FOREIGN_LIBRARIES = frozenset({"cupy", "torch", "array_api_strict", "jax", "dpnp"})
_DEVICE_NAMES = ("auto", "cpu", "gpu")


def get_namespace(*arrays):
    """Return the array-API namespace shared by ``arrays``.

    NumPy inputs get ``array_api_compat.numpy`` (a standard-conforming wrapper of
    NumPy); CuPy, torch and ``array_api_strict`` arrays get their own namespace.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit._array import get_namespace
    >>> xp = get_namespace(np.ones(3))
    >>> float(xp.sum(xp.asarray([1.0, 2.0])))
    3.0
    """
    import array_api_compat

    arrays = [a for a in arrays if a is not None and not isinstance(a, (int, float))]
    if not arrays:
        return array_api_compat.array_namespace(np.empty(0))
    return array_api_compat.array_namespace(*arrays)


def is_numpy_namespace(xp) -> bool:
    """True when ``xp`` is NumPy or its array-API wrapper."""
    return xp.__name__ in {"numpy", "array_api_compat.numpy"}


def to_numpy(a) -> np.ndarray:
    """Copy ``a`` (NumPy, CuPy, torch or array_api_strict) to a NumPy array on the host."""
    if isinstance(a, np.ndarray):
        return a
    mod = type(a).__module__
    if mod.startswith("cupy"):
        return a.get()
    if mod.startswith("torch"):
        return a.detach().cpu().numpy()
    if mod.startswith("array_api_strict"):
        # array_api_strict supports the buffer/DLPack protocol on the CPU device
        return np.from_dlpack(a) if hasattr(np, "from_dlpack") else np.asarray(a)
    return np.asarray(a)


def is_foreign_array(X) -> bool:
    """True for an array of a non-NumPy array-API library (CuPy, torch, array_api_strict, ...).

    Such arrays are fitted in their own namespace and on their own device; every
    other input (NumPy, pandas, lists) goes through scikit-learn's validation.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit._array import is_foreign_array
    >>> is_foreign_array(np.ones((2, 2)))
    False
    """
    return type(X).__module__.split(".")[0] in _FOREIGN_LIBRARIES and hasattr(X, "shape")


def device_kind(X) -> str:
    """"gpu" for a CuPy array or a CUDA torch tensor, else "cpu"."""
    if type(X).__module__.split(".")[0] == "cupy":
        return "gpu"
    return "gpu" if getattr(getattr(X, "device", None), "type", "") == "cuda" else "cpu"


def validate_foreign_array(est, X, *, reset: bool, allow_nan: bool = False, min_samples: int = 1):
    """Check a 2-d foreign array in its own namespace and return ``(X, xp)``.

    The counterpart of scikit-learn's ``validate_data`` for arrays that
    :func:`is_foreign_array` accepts: the namespace is looked up once and the
    checks (shape, dtype, finiteness, sample count, feature count) run there,
    so the data is never copied to the host. Floating arrays keep their dtype;
    integer and boolean ones become float64.

    Parameters
    ----------
    est : estimator
        Gets ``n_features_in_`` (and loses ``feature_names_in_``) when ``reset``,
        else is checked against its ``n_features_in_``.
    X : array of shape (n_samples, n_features)
    reset : bool
        True in ``fit``, False in ``transform`` and ``partial_fit`` after the first call.
    allow_nan : bool, default=False
    min_samples : int, default=1

    Returns
    -------
    X : array
        ``X`` itself, or a float64 copy on its device for integer input.
    xp : namespace
    """
    xp = get_namespace(X)
    if X.ndim != 2:
        raise InputError(f"Expected a 2-d array, got an array of shape {tuple(X.shape)}.")
    if not xp.isdtype(X.dtype, "real floating"):
        if xp.isdtype(X.dtype, ("integral", "bool")) or X.dtype == xp.bool:
            X = xp.astype(X, xp.float64)
        else:
            raise InputError(f"Expected a real numeric array, got dtype {X.dtype}.")
    n, d = X.shape
    if n < min_samples:
        raise InputError(f"Found array with {n} sample(s) while a minimum of {min_samples} is required.")
    if d < 1:
        raise InputError("Found array with 0 feature(s) while a minimum of 1 is required.")
    if not allow_nan and not bool(xp.all(xp.isfinite(X))):
        raise InputError("Input contains NaN or infinity; remove or impute those values first.")
    if reset:
        est.n_features_in_ = int(d)
        if hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
    elif d != est.n_features_in_:
        raise InputError(
            f"X has {d} features, but {type(est).__name__} is expecting {est.n_features_in_} features as input."
        )
    return X, xp


@functools.lru_cache(maxsize=1)
def gpu_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    if os.environ.get("FEATKIT_DISABLE_GPU"):
        return False
    try:
        import cupy
    except Exception:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _check_device_name(device) -> None:
    if device not in _DEVICE_NAMES:
        raise InputError(f"device must be 'auto', 'cpu' or 'gpu', got {device!r}.")


def resolve_device(device: str, flops: float = math.inf) -> str:
    """Turn ``device`` ("auto", "cpu", "gpu") into "cpu" or "gpu" for NumPy input.

    ``"auto"`` picks the GPU only when CuPy sees one and the work (``flops``) is
    large enough to pay for moving the data. ``"gpu"`` without a usable GPU is an
    error that says how to get one. Foreign arrays are fitted where they live
    (:func:`device_kind`); torch models use :func:`torch_device`.
    """
    _check_device_name(device)
    if device == "cpu":
        return "cpu"
    if device == "gpu":
        if not gpu_available():
            raise InputError(
                "device='gpu' was asked for but no CUDA GPU is usable: install "
                '"featkit[gpu]" (CuPy) on a machine with an NVIDIA GPU, or use device="cpu".'
            )
        return "gpu"
    return "gpu" if gpu_available() and flops >= GPU_MIN_FLOPS else "cpu"


def torch_device(torch, device):
    """The ``torch.device`` a torch model trains on, for ``device`` ("auto", "cpu", "gpu").

    ``"auto"`` (or None) is CUDA whenever torch sees a GPU: a network's training
    is always heavy enough to pay for the copy. ``"cuda"`` is read as ``"gpu"``.
    """
    if device is None:
        device = "auto"
    elif device == "cuda":
        device = "gpu"
    _check_device_name(device)
    if device == "gpu" and not torch.cuda.is_available():
        raise InputError("device='gpu' was asked for but torch sees no CUDA GPU; use device='cpu'.")
    use_cuda = device != "cpu" and torch.cuda.is_available()
    return torch.device("cuda" if use_cuda else "cpu")


def to_device(a, device: str):
    """Move a NumPy array to ``device`` ("cpu" keeps it, "gpu" gives a CuPy array)."""
    if device == "gpu":
        import cupy

        return cupy.asarray(a)
    return a


def _available_memory_bytes() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def memory_budget_bytes(budget=None) -> int:
    """The number of bytes one allocation may take.

    ``budget`` may be a number of bytes, a string such as ``"4GB"`` / ``"512MiB"``
    (read by :func:`featkit.parse_size`: GB = 1e9 bytes, GiB = 2**30), or None: then ``FEATKIT_MEMORY_BUDGET`` (same syntax) or half of the memory
    available now.
    """
    if budget is None:
        budget = os.environ.get("FEATKIT_MEMORY_BUDGET")
    if budget is None:
        return _available_memory_bytes() // 2
    try:
        return parse_size(budget)
    except ValueError:
        raise InputError(
            f"Cannot read memory budget {budget!r}: use bytes or a size such as '4GB' or '512MiB'."
        ) from None


def nbytes_of(shape, dtype=np.float64) -> int:
    """Bytes of a dense array of ``shape`` and ``dtype``."""
    return int(np.prod([int(s) for s in shape], dtype=np.float64) * np.dtype(dtype).itemsize)


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def check_memory(nbytes: int, what: str, hint: str, budget=None) -> None:
    """Raise :class:`MemoryBudgetError` when ``nbytes`` exceeds the budget.

    ``what`` names the allocation ("the 50000 x 50000 affinity matrix") and
    ``hint`` says what the user can do instead.
    """
    limit = memory_budget_bytes(budget)
    if nbytes > limit:
        raise MemoryBudgetError(
            f"{what} needs {_human(nbytes)}, more than the memory budget of {_human(limit)}. "
            f"{hint} (The budget is set with memory_budget= or FEATKIT_MEMORY_BUDGET.)"
        )
