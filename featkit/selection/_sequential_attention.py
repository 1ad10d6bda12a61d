"""Sequential Attention for feature selection, and the greedy variants that share its engine.

Yasuda, Bateni, Chen, Fahrbach, Mirrokni, "Sequential Attention for Feature
Selection", ICLR 2023 (reference code: google-research/sequential_attention,
TensorFlow). One training run of a small network (an MLP, or a logistic /
linear model when rows are few per feature) is cut into a warm-up and one
phase per selection step (at most ``sequential_cap`` of them); the variants
differ in how a phase scores the unselected features:

* ``"attention"`` (Sequential Attention): trainable logits ``w`` give the mask
  ``m = selected + softmax(w over the unselected)``; the input of the network is
  ``standardise(x) * m``; the largest attention weight is selected, then ``w``
  is reset.
* ``"lasso"`` (Sequential LASSO, Luo & Chen 2014): a group-norm penalty on the
  first-layer weight columns of the unselected features; the largest column
  norm is selected.
* ``"group_lasso"``: the same penalty on every column for the whole run; the
  k largest column norms are selected at once.
* ``"omp"`` (Orthogonal Matching Pursuit): the network sees only the selected
  features; the feature whose first-layer weights get the largest loss
  gradient (were it switched on) is selected. For a linear model with the
  squared loss trained to convergence this is exactly OMP.

The training run itself (the phase schedule and the criteria) is ``_sequential_engine``;
torch is imported only inside ``fit``.
"""

from __future__ import annotations

import math
import numbers
from numbers import Integral, Real
import warnings

import numpy as np

from .._array import torch_device
from ..base import BaseRanker, resolve_n_features
from ..findings import Finding
from ..exceptions import InputError
from ..utils._param_validation import NON_NEGATIVE, POSITIVE, Interval, StrOptions
from ..utils._sampling import held_out_split
from ._sequential_engine import _Engine, _mlp
from ._torch_utils import (TORCH_PARAMETER_CONSTRAINTS, as_tensor, constant_loss, import_torch,
                           make_generator, no_better_than_constant, seed_from, torch_threads)

__all__ = ["SequentialAttentionSelector", "VARIANTS"]

VARIANTS = ("attention", "lasso", "group_lasso", "omp")
_OPTIMIZERS = ("adam", "lbfgs")
# The held-out check: the share of rows set aside, and the fewest rows on each side
# for its loss to mean anything.
_VALIDATION_FRACTION = 0.2
_MIN_CHECK_ROWS = 5
# The default network, chosen by cross-validation inside the selection rows of the
# benchmark tables (docs/neural.md, "How the default was chosen").
AUTO_ROWS_PER_FEATURE = 25
AUTO_HIDDEN_UNITS = 64
# batch_size="auto": about three mini-batches per epoch, within these bounds (docs/neural.md)
AUTO_BATCHES_PER_EPOCH = 3
AUTO_MIN_BATCH, AUTO_MAX_BATCH = 16, 256
# n_init="auto": independent runs of the attention variant on a network without hidden
# layers, the best kept by AUTO_INIT_FOLDS-fold CV of a light model on its picks (docs/neural.md)
AUTO_N_INIT = 3
AUTO_INIT_FOLDS = 3
# sequential_cap="auto" of the attention variant: features chosen one phase at a time
_AUTO_ATTENTION_CAP = 64
# ... and of the lasso and omp variants (their phases are as long, 40 steps at least, and a
# wide table's "auto" k is in the thousands: 32 keeps 40 x 3,000 to seconds)
_AUTO_GREEDY_CAP = 32


def auto_hidden_layer_sizes(n_samples, n_features):
    """The network of ``hidden_layer_sizes="auto"``: ReLU layers only with rows enough.

    A hidden layer of ``AUTO_HIDDEN_UNITS`` units when there are at least
    ``AUTO_ROWS_PER_FEATURE`` rows per feature, else none (a linear or logistic
    model). How the rule was chosen: docs/neural.md.

    Examples
    --------
    >>> auto_hidden_layer_sizes(2500, 784)
    ()
    >>> auto_hidden_layer_sizes(100_000, 20)
    (64,)
    """
    if n_samples >= AUTO_ROWS_PER_FEATURE * n_features:
        return (AUTO_HIDDEN_UNITS,)
    return ()


def auto_batch_size(n_samples):
    """The mini-batch of ``batch_size="auto"``: about a third of the rows, from 16 to 256.

    Full-batch Adam on a small table moves every attention logit whose
    gradient keeps its sign by the same step (Adam divides each gradient by
    its own magnitude), so the logits of the useful features rise together
    and the arg-max among them is decided by the initialisation. Mini-batches
    make that ratio a signal-to-noise ratio, which ranks the features. How
    the rule was chosen: docs/neural.md.

    Examples
    --------
    >>> auto_batch_size(113), auto_batch_size(40), auto_batch_size(2500)
    (37, 16, 256)
    """
    return int(min(AUTO_MAX_BATCH, max(AUTO_MIN_BATCH, n_samples // AUTO_BATCHES_PER_EPOCH)))


def init_random_states(seed, n_init):
    """The seeds of ``n_init`` independent runs: the first is ``seed`` itself, so one run is the
    plain fit; the others are drawn from a ``SeedSequence`` of ``(seed, i)``.

    Examples
    --------
    >>> states = init_random_states(0, 3)
    >>> states[0], len(set(states))
    (0, 3)
    """
    return [seed] + [int(np.random.SeedSequence([seed, i]).generate_state(1, dtype=np.uint64)[0] >> 1)
                     for i in range(1, n_init)]


class SequentialAttentionSelector(BaseRanker):
    """Greedy forward feature selection inside one neural-network training run.

    Sequential Attention (Yasuda et al., ICLR 2023) and the variants of the
    paper that share its engine: Sequential LASSO, Group LASSO and OMP (see
    ``variant``). The network is ``standardise(x) * mask -> MLP`` (or no
    hidden layer: see ``hidden_layer_sizes``) trained with cross-entropy
    (classification) or squared error on the standardised target
    (regression). The inputs are standardised with the statistics of
    all rows (the BatchNorm of the reference with full-batch statistics).

    The training steps are split into a warm-up (``warmup``, all features on)
    and one phase per selection step. By default a phase trains, then selects
    the best-scoring unselected feature(s) at its end ("train-then-select").
    ``reference_schedule=True`` reproduces the schedule of the reference
    attention code instead: the selection happens at the *start* of each phase,
    so the first feature is picked right after the warm-up from untrained
    logits (near-uniform attention) and the last phase only trains.

    Parameters
    ----------
    n_features_to_select : int, float or "auto", default="auto"
        k, the number of features selected in order ("auto": half of them).
    variant : {"attention", "lasso", "group_lasso", "omp"}, default="attention"
    task : {"auto", "classification", "regression"}, default="auto"
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        ReLU hidden layers; ``()`` gives a linear (or logistic) model. "auto"
        (:func:`auto_hidden_layer_sizes`) is one hidden layer of 64 units when
        there are at least 25 rows per feature, else ``()``: with fewer rows
        the MLP overfits the attention and the logistic model picks better
        features (chosen by cross-validation, see docs/neural.md). The value
        used is ``hidden_layer_sizes_``.
    features_per_step : int, default=1
        Features selected at the end of each phase.
    epochs : int, default=100
        Passes over the data (raised when needed to give each phase ``min_phase_steps``).
    batch_size : int, None or "auto", default="auto"
        Rows per mini-batch; None trains full batch. "auto"
        (:func:`auto_batch_size`) is a third of the rows, at least 16 and at
        most 256: on small tables a full batch leaves the attention near
        uniform (see the function). The value used is ``batch_size_``.
    learning_rate : float, default=0.01
        Adam step size of the network.
    attention_learning_rate : float or "auto", default="auto"
        Adam step size of the attention logits ("attention" only). Adam moves
        a parameter by about its step size per step, so over a phase of
        ``s`` steps the logits can drift apart by at most ~``lr * s``; with
        short phases (small data) the attention then stays near uniform and
        its argmax is noise. "auto" is ``max(learning_rate, 2 / s)``: the
        logits can separate by about two units (a 7x attention ratio) within
        every phase. The value used is ``attention_learning_rate_``.
    warmup : float, default=0.1
        Fraction of the training steps before the first phase ("omp" has none).
    min_phase_steps : int, default=40
        Fewest optimiser steps per phase: attention logits need some steps to
        move away from uniform before a selection is meaningful.
    penalty : float, default=0.01
        Group-norm penalty strength of the LASSO variants.
    optimizer : {"adam", "lbfgs"}, default="adam"
        "lbfgs" runs full-batch L-BFGS (restarted at every selection); useful
        for the linear model, where each phase then reaches the least-squares fit.
    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW) of the network weights (not of the
        attention logits); "adam" optimizer only.
    reference_schedule : bool, default=False
        Select at the start of each phase as the reference code does ("attention" only).
    ensemble_size : int, default=1
        Networks trained side by side ("attention" only): each has its own
        initial weights, attention logits and order of mini-batches, all share
        the selected set, and each phase selects the arg-max of their mean
        attention. Costs about ``ensemble_size`` times the time.
    n_init : int or "auto", default="auto"
        Independent runs (our addition; the paper runs once), each with its
        own seed (``init_random_states_``; the first is the seed of
        ``random_state``, so ``n_init=1`` is the plain fit). The run kept is
        the one whose selected features give the best score of a light model
        (standardised logistic regression, balanced accuracy; ridge, R^2, for
        regression) by 3-fold cross-validation on the rows given to ``fit``;
        the earliest run on a tie. "auto": 3 for the "attention" variant on a
        network without hidden layers (few rows per feature: there its picks
        vary with the seed, and a run costs a fraction of a second), else 1
        (also with ``reference_schedule=True``, which reproduces one reference
        run). How it was chosen: docs/neural.md. Costs about ``n_init`` times
        the time of one run.
    sequential_cap : int, None or "auto", default="auto"
        Most features chosen one phase at a time. When k is larger (wide
        tables with ``n_features_to_select="auto"``), the first
        ``sequential_cap`` are chosen greedily and the other
        ``k - sequential_cap`` kept are the unselected features with the
        largest scores of the last selection step (attention; column norms
        for "lasso", gradient norms for "omp"; the lower column index first
        on a tie), so the run has at most this many phases. "auto": 64 for
        "attention", 32 for "lasso" and "omp"; None: no cap;
        "group_lasso" selects all k at once and ignores it.
    random_state : int, RandomState or None, default=None
    n_threads : int or None, default=None
        torch intra-op threads during ``fit`` (None: the cores available, or
        one for data under a million values, where threads only add overhead).
    device : {"cpu", "auto", "gpu"}, default="cpu"

    Attributes
    ----------
    selection_order_ : ndarray of shape (min(k, cap),)
        Feature indices in the order they were selected (with a cap below k
        the rest of the kept set follows from ``scores_``).
    hidden_layer_sizes_ : tuple of int
        The hidden layers the network had ("auto" resolved).
    batch_size_ : int or None
        The mini-batch used ("auto" resolved; None: full batch).
    n_selection_steps_ : int
        The number of selection phases.
    attention_history_ : ndarray of shape (n_steps, n_features)
        The scores each selection step saw (attention weights, column norms or
        gradient norms; 0 for already selected features).
    attention_learning_rate_ : float or None
        The step size the attention logits used (None for the other variants).
    n_init_ : int
        The number of runs made ("auto" resolved).
    init_random_states_ : list of int
        The seed of each run; ``SequentialAttentionSelector(n_init=1,
        random_state=init_random_states_[best_init_])`` with the same other
        parameters makes the kept run alone.
    init_scores_ : ndarray of shape (n_init_,) or None
        Each run's cross-validated score of the light model on its selected
        features (None with a single run; -inf where the light model could
        not be cross-validated, e.g. a fold with one class: when no run can
        be scored the first is kept).
    best_init_ : int
        Index of the kept run.
    heldout_loss_, baseline_loss_ : float or None
        The held-out check: a seeded 20% of the rows is set aside, a fresh
        network of the same shape is trained on the other rows with only the
        selected features, and its loss on the set-aside rows is compared
        with a constant predictor's (training prior / mean). The selection
        itself still uses every row, so the check changes no selection. None
        when there are too few rows to set any aside (under 5 on a side).
    degenerate_ : str or None
        Why the selection is not to be trusted when that network does no
        better than the constant predictor (loss >= 0.99 x the baseline's, or
        a per-row improvement within two standard errors of zero), else None;
        the engine then leaves the method out of the consensus.
    scores_ : ndarray of shape (n_features,)
        Encodes the order: selected features score in (1, 2] (earlier = higher),
        the others their last selection-step score rescaled into [0, 1).
    ranking_, support_, n_features_in_, feature_names_in_, task_
        See :class:`featkit.base.BaseRanker`.

    Examples
    --------
    >>> import numpy as np
    >>> from featkit.selection import SequentialAttentionSelector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 8))
    >>> y = 3 * X[:, 5] - 2 * X[:, 1] + 0.1 * rng.normal(size=300)
    >>> sa = SequentialAttentionSelector(n_features_to_select=2, epochs=40, random_state=0)
    >>> sorted(sa.fit(X, y).selection_order_.tolist())
    [1, 5]
    """

    _requires_target = True
    _findings = {
        "selection_order_": Finding("feature_order", "Order in which the features were chosen"),
        "attention_history_": Finding("feature_history", "Scores at each selection step"),
    }

    _parameter_constraints = {
        **BaseRanker._parameter_constraints,
        "variant": [StrOptions(set(VARIANTS))],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "ensemble_size": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "sequential_cap": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
        "features_per_step": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [POSITIVE],
        "attention_learning_rate": [POSITIVE, StrOptions({"auto"})],
        "warmup": [Interval(Real, 0, 1, closed="left")],
        "min_phase_steps": [Interval(Integral, 1, None, closed="left")],
        "penalty": [NON_NEGATIVE],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "reference_schedule": ["boolean"],
        **TORCH_PARAMETER_CONSTRAINTS,
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
    }

    def __init__(self, n_features_to_select="auto", variant="attention", task="auto",
                 hidden_layer_sizes="auto", features_per_step=1, epochs=100, batch_size="auto",
                 learning_rate=0.01, attention_learning_rate="auto", warmup=0.1, min_phase_steps=40,
                 penalty=0.01, optimizer="adam", weight_decay=0.0, reference_schedule=False,
                 ensemble_size=1, n_init="auto", sequential_cap="auto", random_state=None,
                 n_threads=None, device="cpu"):
        self.n_features_to_select = n_features_to_select
        self.variant = variant
        self.task = task
        self.hidden_layer_sizes = hidden_layer_sizes
        self.features_per_step = features_per_step
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.attention_learning_rate = attention_learning_rate
        self.warmup = warmup
        self.min_phase_steps = min_phase_steps
        self.penalty = penalty
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.reference_schedule = reference_schedule
        self.ensemble_size = ensemble_size
        self.n_init = n_init
        self.sequential_cap = sequential_cap
        self.random_state = random_state
        self.n_threads = n_threads
        self.device = device

    # ------------------------------------------------------------ checking
    def _layer_sizes(self, n, d):
        """``hidden_layer_sizes`` as a tuple of positive ints ("auto" resolved from the
        table's shape; an int or a sequence, the type being checked by the constraints;
        the entries are checked here, as scikit-learn's MLP does)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, str):
            return auto_hidden_layer_sizes(n, d)
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            sizes = tuple(int(s) for s in sizes)
        except (TypeError, ValueError):
            raise InputError(f"hidden_layer_sizes must be a tuple of ints, got {sizes!r}.") from None
        if any(s < 1 for s in sizes):
            raise InputError(f"hidden_layer_sizes must be positive, got {sizes!r}.")
        return sizes

    def _resolve_n_init(self, sizes, n_rows):
        """``n_init`` with "auto" resolved (see the parameter); one run when the rows are too
        few to cross-validate the runs' picks."""
        n_init = self.n_init
        if n_init == "auto":
            plain = self.variant == "attention" and not sizes and not self.reference_schedule
            n_init = AUTO_N_INIT if plain else 1
        return 1 if n_rows < 2 * AUTO_INIT_FOLDS else int(n_init)

    def _score_runs(self, X, y, orders, seed):
        """Each run's cross-validated score of the light model on its selected features (the
        model, folds and score of ``n_features_to_select="cv"``)."""
        from ..evaluation._choose_k import _default_estimator, _splitter, default_scoring, light_cv_scores

        model = _default_estimator(self.task_)
        folds = _splitter(self.task_, y, AUTO_INIT_FOLDS, seed % (2**32 - 1))
        scores = []
        for order in orders:
            if not len(order):
                scores.append(-np.inf)
                continue
            s = light_cv_scores(model, X[:, np.asarray(order)], y, folds, default_scoring(self.task_))
            # a run that cannot be scored (a fold with one class fails its fit) ranks last;
            # when none can, the first run is kept
            scores.append(float(np.mean(s)) if np.all(np.isfinite(s)) else -np.inf)
        return np.asarray(scores, dtype=np.float64)

    # ------------------------------------------------------------- network
    def _build(self, torch, d, n_out, sizes, gen, device):
        nn = torch.nn
        layers = []
        widths = (d, *sizes, n_out)
        for a, b in zip(widths[:-1], widths[1:]):
            lin = nn.Linear(a, b)
            bound = 1.0 / math.sqrt(a)
            with torch.no_grad():
                if not sizes:
                    # a model with no hidden layer has no symmetry to break: it starts at zero,
                    # as scikit-learn's LogisticRegression does, so that the attention's signal
                    # (a feature's weight times its gradient) comes from the data, not from the
                    # random initial weights (with those, the first pick changed with the seed)
                    lin.weight.zero_()
                    lin.bias.zero_()
                    layers.append(lin)
                    continue
                # drawn on the CPU from the local generator: torch's global seed stays
                # untouched and the weights are the same on every device
                lin.weight.uniform_(-bound, bound, generator=gen)
                lin.bias.uniform_(-bound, bound, generator=gen)
            layers.append(lin)
        return nn.ModuleList(layers).to(device)

    # ------------------------------------------------------------- fitting
    def _fit_scores(self, X, y):
        n, d = X.shape
        sizes = self._layer_sizes(n, d)
        torch = import_torch(f"{type(self).__name__}")
        F = torch.nn.functional
        seed = seed_from(self.random_state)
        device = torch_device(torch, self.device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the base class warns once, later
            k = resolve_n_features(self.n_features_to_select, d, None)
        cap = self.sequential_cap
        if cap == "auto":
            cap = {"attention": _AUTO_ATTENTION_CAP, "lasso": _AUTO_GREEDY_CAP,
                   "omp": _AUTO_GREEDY_CAP}.get(self.variant)
        if self.variant == "group_lasso":
            cap = None
        # past the cap, scores_ (the last step's scores) completes the kept set
        k = k if cap is None else min(k, cap)
        per_step = min(self.features_per_step, k)
        # group_lasso picks all k at the end of one run: it has no phases to give steps to
        n_steps = 1 if self.variant == "group_lasso" else math.ceil(k / per_step)
        self.batch_size_ = auto_batch_size(n) if self.batch_size == "auto" else self.batch_size

        mu, sd = X.mean(axis=0), X.std(axis=0)
        sd[sd == 0] = 1.0
        classification = self.task_ == "classification"
        with torch_threads(torch, self.n_threads, work=X.size):
            xs = as_tensor(torch, (X - mu) / sd, device)
            if classification:
                n_out = int(y.max()) + 1
                yt = torch.as_tensor(y, dtype=torch.long, device=device)

                def loss_fn(out, target):
                    return F.cross_entropy(out, target)
            else:
                n_out = 1
                ys = (y - y.mean()) / (y.std() if y.std() > 0 else 1.0)
                yt = as_tensor(torch, ys[:, None], device)

                def loss_fn(out, target):
                    return F.mse_loss(out, target)

            n_members = self.ensemble_size if self.variant == "attention" else 1
            self.n_init_ = self._resolve_n_init(sizes, n)
            self.init_random_states_ = init_random_states(seed, self.n_init_)
            runs = []
            for run_seed in self.init_random_states_:
                # each run exactly as a single fit with that seed would make it
                gen = make_generator(torch, run_seed)
                members = [self._build(torch, d, n_out, sizes, gen, device) for _ in range(n_members)]
                engine = _Engine(self, torch, members, xs, yt, loss_fn, gen, device, k, per_step, n_steps)
                runs.append((engine, *engine.run()))
            self.init_scores_ = None if len(runs) == 1 else self._score_runs(X, y, [r[1] for r in runs], seed)
            self.best_init_ = 0 if self.init_scores_ is None else int(np.argmax(self.init_scores_))
            engine, order, history, last = runs[self.best_init_]
            seed = self.init_random_states_[self.best_init_]

            self._heldout_check(torch, xs, y, order, seed, device, sizes, n_out, engine.total)
        order = np.asarray(order, dtype=np.int64)
        self.selection_order_ = order
        self.attention_history_ = np.asarray(history, dtype=np.float64).reshape(-1, d)
        self.n_selection_steps_ = n_steps
        self.hidden_layer_sizes_ = sizes
        self.attention_learning_rate_ = float(engine.attention_lr) if self.variant == "attention" else None
        scores = np.asarray(last, dtype=np.float64)
        top = scores.max() if scores.size else 0.0
        scores = 0.999 * scores / top if top > 0 else np.zeros(d)
        scores[order] = 1.0 + (len(order) - np.arange(len(order))) / len(order)
        return scores

    def _heldout_check(self, torch, xs, y, order, seed, device, sizes, n_out, total):
        """Set ``heldout_loss_``, ``baseline_loss_`` and ``degenerate_`` (see the class doc).

        A separate, smaller run after the selection: the selection trains on
        every row and stays as it was, and the network here sees only the
        selected columns for a quarter of the selection's steps (at least two
        phases' worth), so the check costs a fraction of the fit.
        """
        self.heldout_loss_ = self.baseline_loss_ = self.degenerate_ = None
        n = xs.shape[0]
        n_val = math.ceil(_VALIDATION_FRACTION * n)
        if not order or min(n_val, n - n_val) < _MIN_CHECK_ROWS:
            return
        classification = self.task_ == "classification"
        train, val = held_out_split(n, y, _VALIDATION_FRACTION, seed % (2**32 - 1), classification)
        cols = torch.as_tensor(order, device=device)
        rows_t, rows_v = torch.as_tensor(train, device=device), torch.as_tensor(val, device=device)
        xt, xv = xs[rows_t][:, cols], xs[rows_v][:, cols]
        if classification:
            yt = torch.as_tensor(y[train], dtype=torch.long, device=device)
            yv = torch.as_tensor(y[val], dtype=torch.long, device=device)
            loss_fn = torch.nn.functional.cross_entropy
        else:
            mu, sd = y[train].mean(), (y[train].std() if y[train].std() > 0 else 1.0)
            yt = as_tensor(torch, ((y[train] - mu) / sd)[:, None], device)
            yv = as_tensor(torch, ((y[val] - mu) / sd)[:, None], device)
            loss_fn = torch.nn.functional.mse_loss
        # its own generator: the selection's random stream is left as it was
        gen = make_generator(torch, seed ^ 0x5EED)
        layers = self._build(torch, len(order), n_out, sizes, gen, device)
        params = [p for layer in layers for p in layer.parameters()]
        opt = torch.optim.Adam(params, lr=self.learning_rate)
        decay = 1.0 - self.learning_rate * self.weight_decay  # AdamW's decoupled decay, by hand
        n_train = len(train)
        full_batch = self.batch_size_ is None or self.batch_size_ >= n_train
        steps, step = max(2 * self.min_phase_steps, total // 4), 0
        while step < steps:
            batches = [None] if full_batch else torch.randperm(n_train, generator=gen).split(self.batch_size_)
            for idx in batches:
                if step >= steps:
                    break
                xb, yb = (xt, yt) if idx is None else (xt[idx.to(device)], yt[idx.to(device)])
                opt.zero_grad(set_to_none=True)
                loss_fn(_mlp(torch, layers, xb), yb).backward()
                opt.step()
                if decay != 1.0:
                    with torch.no_grad():
                        for p in params:
                            p.mul_(decay)
                step += 1
        with torch.no_grad():
            rows = loss_fn(_mlp(torch, layers, xv), yv, reduction="none").reshape(-1)
        rows = rows.cpu().double().numpy()
        base = constant_loss(y[train], y[val], classification, reduction="none")
        self.heldout_loss_, self.baseline_loss_ = float(rows.mean()), float(base.mean())
        self.degenerate_ = no_better_than_constant(
            rows, base, f"a network on the selected features, {n_val} held-out rows")
        if self.degenerate_:
            warnings.warn(f"{type(self).__name__}: {self.degenerate_}; the selection may be noise.",
                          UserWarning, stacklevel=4)
