"""Synthetic tables with known truth: which columns carry the label, which only seem to."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import InputError

__all__ = ["Benchmark", "make_benchmark", "ROLES"]

ROLES = (
    "informative",
    "redundant",
    "repeated",
    "noise",
    "categorical_informative",
    "categorical_noise",
    "id",
)

# Categorical columns get cardinalities spread geometrically over this range.
_MIN_CARDINALITY, _MAX_CARDINALITY = 3, 50
# Per-column scale factors 10**u with u uniform in this range (mixed_scales=True).
_LOG10_SCALE_RANGE = (-3.0, 3.0)
# Standard deviation of the label noise, relative to the unit-variance signal.
_LABEL_NOISE = 0.3


@dataclass
class Benchmark:
    """A synthetic table and the truth it was made from.

    Attributes
    ----------
    frame : pandas.DataFrame
        Feature columns (shuffled order, the ID column first when present)
        and the target column ``"y"`` last.
    target : str
        ``"y"``.
    truth : dict
        Column name -> role: ``"informative"`` (enters the label),
        ``"redundant"`` (a linear combination of informative columns),
        ``"repeated"`` (an exact copy of an informative or redundant column),
        ``"noise"``, ``"categorical_informative"``, ``"categorical_noise"``,
        ``"id"``.
    informative : list of str
        The generating columns: numeric and categorical informative ones.
    task : str
        ``"classification"`` (labels 0/1) or ``"regression"``.
    sources : dict
        For redundant columns the informative columns combined, for repeated
        columns the column copied.
    """

    frame: pd.DataFrame
    target: str
    truth: dict
    informative: list
    task: str = "classification"
    sources: dict = field(default_factory=dict)

    def columns_with_role(self, *roles: str) -> list[str]:
        """Names of the columns having any of ``roles``, in frame order."""
        return [name for name, role in self.truth.items() if role in roles]


def _rng(random_state) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**32, dtype=np.uint64))
    return np.random.default_rng(random_state)


def _count(name: str, value) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
        raise InputError(f"{name} must be a non-negative integer, got {value!r}.")
    return int(value)


def _standardise(v: np.ndarray) -> np.ndarray:
    sd = v.std()
    return (v - v.mean()) / sd if sd > 0 else v - v.mean()


def _signal_shape(z: np.ndarray, j: int) -> np.ndarray:
    """Informative column j's contribution: linear, a soft step tanh(2z), or linear + quadratic.

    Every shape keeps a monotone component so that univariate tests can see it,
    while the nonlinear ones reward methods that look beyond correlation.
    """
    shape = j % 3
    if shape == 0:
        return z
    if shape == 1:
        return _standardise(np.tanh(2.0 * z))
    return _standardise(z + 0.5 * (z**2 - 1.0))


def _cardinalities(n_informative: int, n_noise: int) -> tuple[list[int], list[int]]:
    """Spread cardinalities over 3..50 and interleave them between the two groups,
    so both informative and noise categoricals come in low and high cardinality."""
    total = n_informative + n_noise
    if total == 0:
        return [], []
    cards = np.round(np.geomspace(_MIN_CARDINALITY, _MAX_CARDINALITY, total)).astype(int)
    order = list(range(0, total, 2)) + list(range(1, total, 2))
    informative = [int(cards[i]) for i in order[:n_informative]]
    noise = [int(cards[i]) for i in order[n_informative:]]
    return informative, noise


def _categories(rng, n: int, k: int, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """Draw n levels out of k with mildly skewed (Zipf-like) frequencies, each level at least once."""
    weights = 1.0 / np.arange(1, k + 1) ** 0.7
    weights = weights[rng.permutation(k)]
    levels = rng.choice(k, size=n, p=weights / weights.sum())
    if n >= k:  # every level occurs, so the cardinality is exactly k
        levels[rng.choice(n, size=k, replace=False)] = np.arange(k)
    names = np.array([f"{prefix}{i:02d}" for i in range(k)], dtype=object)
    return levels, names[levels]


def make_benchmark(
    n_samples=1000,
    *,
    n_informative=5,
    n_redundant=3,
    n_repeated=2,
    n_noise=10,
    n_categorical_informative=2,
    n_categorical_noise=2,
    id_column=True,
    mixed_scales=True,
    missing_frac=0.0,
    task="classification",
    random_state=None,
) -> Benchmark:
    """Make a mixed-type table whose informative columns are known.

    The label is built from a unit-variance signal

    .. math:: f = \\sum_j s_j\\, g_j(z_j) + \\sum_c s_c\\, e_c(\\text{level}_c)

    standardised, where the :math:`z_j \\sim N(0, 1)` are the numeric informative
    columns, :math:`s` are random signs and :math:`g_j` cycles through a linear,
    a soft step (tanh(2z)) and a linear + quadratic shape; :math:`e_c` gives
    each level of an informative categorical column a random N(0, 1) effect
    (standardised over rows). Classification: ``y = 1[f + 0.3 eps > 0]``;
    regression: ``y = f + 0.3 eps`` with ``eps ~ N(0, 1)``.

    Parameters
    ----------
    n_samples : int, default=1000
    n_informative : int, default=5
        Numeric columns that enter the label.
    n_redundant : int, default=3
        Exact linear combinations (uniform(-1, 1) weights) of the numeric
        informative columns.
    n_repeated : int, default=2
        Exact copies of randomly chosen informative or redundant columns.
    n_noise : int, default=10
        Independent columns (normal, uniform and exponential in turn).
    n_categorical_informative, n_categorical_noise : int, default=2
        Text columns with 3..50 levels (spread over both groups) and skewed
        level frequencies; the informative ones enter the label.
    id_column : bool, default=True
        Add a column ``"id"`` with a unique text value per row.
    mixed_scales : bool, default=True
        Multiply every numeric column by its own factor ``10**u``,
        ``u ~ U(-3, 3)`` (copies are made after scaling, so they are exact).
    missing_frac : float, default=0.0
        Fraction of each feature column (not ``id``, not ``y``) set missing,
        completely at random.
    task : {"classification", "regression"}
    random_state : int, numpy Generator or RandomState, optional
        Same seed, same table.

    Returns
    -------
    Benchmark

    Examples
    --------
    >>> from featkit.datasets import make_benchmark
    >>> bench = make_benchmark(200, random_state=0)
    >>> bench.frame.shape
    (200, 26)
    >>> sorted(set(bench.truth.values()))  # doctest: +NORMALIZE_WHITESPACE
    ['categorical_informative', 'categorical_noise', 'id', 'informative',
     'noise', 'redundant', 'repeated']
    >>> bench.informative
    ['inf_0', 'inf_1', 'inf_2', 'inf_3', 'inf_4', 'cat_inf_0', 'cat_inf_1']
    """
    if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool) or n_samples < 2:
        raise InputError(f"n_samples must be an integer >= 2, got {n_samples!r}.")
    n = int(n_samples)
    p = _count("n_informative", n_informative)
    n_red = _count("n_redundant", n_redundant)
    n_rep = _count("n_repeated", n_repeated)
    n_noise = _count("n_noise", n_noise)
    n_ci = _count("n_categorical_informative", n_categorical_informative)
    n_cn = _count("n_categorical_noise", n_categorical_noise)
    if task not in ("classification", "regression"):
        raise InputError(f"task must be 'classification' or 'regression', got {task!r}.")
    if p + n_ci == 0:
        raise InputError("make_benchmark needs at least one informative column (numeric or categorical).")
    if (n_red or n_rep) and p == 0:
        raise InputError(
            "Redundant and repeated columns are made from numeric informative ones; set n_informative > 0."
        )
    if not 0.0 <= float(missing_frac) < 1.0:
        raise InputError(f"missing_frac must be in [0, 1), got {missing_frac!r}.")
    rng = _rng(random_state)

    columns: dict[str, np.ndarray] = {}
    truth: dict[str, str] = {}
    sources: dict[str, list[str]] = {}

    Z = rng.standard_normal((n, p))
    signs = rng.choice([-1.0, 1.0], size=p + n_ci)
    signal = np.zeros(n)
    for j in range(p):
        signal += signs[j] * _signal_shape(Z[:, j], j)

    card_inf, card_noise = _cardinalities(n_ci, n_cn)
    categorical: dict[str, np.ndarray] = {}
    for c, k in enumerate(card_inf):
        levels, values = _categories(rng, n, k, prefix="L")
        effect = rng.standard_normal(k)[levels]
        signal += signs[p + c] * _standardise(effect)
        categorical[f"cat_inf_{c}"] = values
    for c, k in enumerate(card_noise):
        _, values = _categories(rng, n, k, prefix="N")
        categorical[f"cat_noise_{c}"] = values

    signal = _standardise(signal)
    eps = rng.standard_normal(n)
    if task == "classification":
        y = (signal + _LABEL_NOISE * eps > 0).astype(np.int64)
    else:
        y = signal + _LABEL_NOISE * eps

    numeric: dict[str, np.ndarray] = {}
    for j in range(p):
        numeric[f"inf_{j}"] = Z[:, j]
        truth[f"inf_{j}"] = "informative"
    if n_red:
        W = rng.uniform(-1.0, 1.0, size=(p, n_red))
        for r in range(n_red):
            name = f"red_{r}"
            numeric[name] = Z @ W[:, r]
            truth[name] = "redundant"
            sources[name] = [f"inf_{j}" for j in range(p) if W[j, r] != 0]
    noise_draws = (
        lambda: rng.standard_normal(n),
        lambda: rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), n),
        lambda: rng.exponential(1.0, n) - 1.0,
    )
    for j in range(n_noise):
        numeric[f"noise_{j}"] = noise_draws[j % 3]()
        truth[f"noise_{j}"] = "noise"
    if mixed_scales:
        factors = 10.0 ** rng.uniform(*_LOG10_SCALE_RANGE, size=len(numeric))
        numeric = {name: v * f for (name, v), f in zip(numeric.items(), factors)}
    copyable = [name for name in numeric if truth[name] in ("informative", "redundant")]
    for r in range(n_rep):
        source = copyable[int(rng.integers(len(copyable)))]
        numeric[f"rep_{r}"] = numeric[source].copy()
        truth[f"rep_{r}"] = "repeated"
        sources[f"rep_{r}"] = [source]
    columns.update(numeric)
    for name, values in categorical.items():
        columns[name] = values
        truth[name] = "categorical_informative" if name.startswith("cat_inf") else "categorical_noise"

    names = list(columns)
    names = [names[i] for i in rng.permutation(len(names))]
    data: dict[str, object] = {}
    if id_column:
        width = max(6, len(str(n)))
        data["id"] = np.array([f"id{i:0{width}d}" for i in rng.permutation(n)], dtype=object)
    missing_frac = float(missing_frac)
    for name in names:
        values = columns[name]
        if missing_frac > 0:
            mask = rng.random(n) < missing_frac
            if values.dtype == object:
                values = values.copy()
                values[mask] = None
            else:
                values = np.where(mask, np.nan, values)
        data[name] = values
    frame = pd.DataFrame(data)
    frame["y"] = y
    ordered_truth = {"id": "id"} if id_column else {}
    ordered_truth.update({name: truth[name] for name in names})
    informative = [f"inf_{j}" for j in range(p)] + [f"cat_inf_{c}" for c in range(n_ci)]
    return Benchmark(frame=frame, target="y", truth=ordered_truth, informative=informative, task=task, sources=sources)
