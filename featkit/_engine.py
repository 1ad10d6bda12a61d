"""The steps of the ranking engine (:mod:`featkit.ranking`) that need no registry.

Read and type the table once, encode it once per input kind, collect what a
fitted method found, the PCA a method read, a boosting model's attribution,
the table's overview, the evaluation, the consensus and the run's reproducibility facts. Each step
is one small function; :func:`featkit.ranking.rank_features` and
:func:`featkit.ranking.rank_file_streaming` run them in order.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np

# Modules whose versions are recorded in ``meta["versions"]`` when installed.
_OPTIONAL_MODULES = ("torch", "xgboost", "lightgbm", "shap", "cupy", "dask", "polars")
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "cupy": "cupy-cuda12x"}


def _versions() -> dict:
    import featkit

    out = {"featkit": featkit.__version__}
    for mod in ("numpy", "sklearn", "pandas", *_OPTIONAL_MODULES):
        if mod not in ("numpy", "sklearn", "pandas") and importlib.util.find_spec(mod) is None:
            continue
        try:
            out[mod] = importlib.metadata.version(_DISTRIBUTIONS.get(mod, mod))
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def _source_name(data) -> str:
    if isinstance(data, (str, os.PathLike)):
        return Path(data).name
    return type(data).__name__


def _consensus(method_results: dict, aggregation: str, include_degenerate: bool = False,
               evidence=None):
    """Consensus score and average ranks, and the notes that explain what went in.

    Degenerate methods are left out unless ``include_degenerate``, or unless
    every method is degenerate (then all of them are used, with a note).
    ``"cv_weighted"`` needs ``evidence``: ``(refit, X, y, task, random_state)``
    and optionally ``n_threads, serial`` (see
    :func:`featkit.selection._consensus.weighted_consensus`); without it
    (no target, a streamed file) the mean rank is used, with a note.
    """
    from .base import ranking_from_scores
    from .selection._consensus import aggregate_rankings

    notes = []
    members = list(method_results.values())
    for m in members:
        n_nan = int(np.isnan(m.scores).sum())
        if n_nan:
            notes.append(f"Method {m.name} gave no score (NaN) to {n_nan} of {m.scores.size} "
                         "features; they share its last ranks.")
    flagged = [m for m in members if m.degenerate]
    used = members
    if flagged and not include_degenerate:
        if len(flagged) == len(members):
            notes.append("Every method gave degenerate scores; the consensus is formed from all "
                         "of them and cannot be trusted to order the features.")
        else:
            used = [m for m in members if not m.degenerate]
    for m in flagged:
        fate = ("left out of the consensus" if used is not members
                else "kept in the consensus")
        notes.append(f"Method {m.name} gave degenerate scores ({m.degenerate}): {fate}.")
    if aggregation == "cv_weighted":
        if evidence is None and len(used) > 1:  # one method is its own consensus: nothing to weigh
            notes.append("The consensus is the plain mean rank: weighing the methods by "
                         "cross-validated evidence needs a target and the table in memory.")
            aggregation = "mean_rank"
        elif evidence is None:
            aggregation = "mean_rank"
        else:
            score = _weigh(used, evidence, notes)
            return score, ranking_from_scores(score), notes
    score = aggregate_rankings([m.ranking for m in used], aggregation)
    return score, ranking_from_scores(score), notes


def _weigh(used, evidence, notes):
    """The cv_weighted consensus of ``used``; each member's weight is set on it."""
    from .selection._consensus import weighted_consensus

    refit, X, y, task, random_state, *threads = evidence
    n_threads, serial = threads if threads else (1, ())

    def no_refit(name):
        def fit_on(rows):
            raise ValueError("not a registered ranker (a model attribution)")
        return fit_on

    score, weights, dropped, found = weighted_consensus(
        {m.name: m.ranking for m in used}, {m.name: refit.get(m.name) or no_refit(m.name) for m in used},
        X, y, task=task, cv=3, random_state=random_state, n_threads=n_threads, serial=serial)
    for m in used:
        m.weight = float(weights[m.name])
        e = found[m.name]
        score_text = "" if e["score"] is None else f"inner CV score {e['score']:.3f} +- {e['error']:.3f}"
        m.weight_note = dropped.get(m.name) or score_text
    notes.append("Consensus weights from each method's inner 3-fold cross-validated evidence: "
                 + ", ".join(f"{m.name} {m.weight:.2f}" for m in used) + "."
                 + _zero_weights_text(dropped, found))
    return score


def _zero_weights_text(dropped, evidence):
    """Why members weigh 0, the choice said once (each member's reason ends with its own)."""
    if not dropped:
        unscored = {e.get("error_message") or "" for e in evidence.values() if e["score"] is None}
        if len(unscored) == 1 and (why := unscored.pop()).startswith("not refitted: "):
            return f" Equal vote: {why.removeprefix('not refitted: ')}."
        return ""
    parts = [why.rsplit("; ", 1) for why in dropped.values()]
    if len(parts) > 1 and all(len(p) == 2 for p in parts) and len({p[0] for p in parts}) == 1:
        return (f" {parts[0][0][0].upper()}{parts[0][0][1:]}; weighing 0: "
                + "; ".join(f"{n} ({p[1]})" for n, p in zip(dropped, parts)) + ".")
    return "".join(f" {n} weighs 0: {why}." for n, why in dropped.items())


def _method_result(spec_name, est, seconds):
    from .base import degenerate_reason
    from .findings import collect_findings
    from .results import MethodResult

    support = None
    if hasattr(est, "support_"):
        support = np.asarray(est.get_support(), dtype=bool)
    scores = np.asarray(est.scores_, dtype=np.float64)
    # a network's own verdict (no better than a constant predictor) comes first
    degenerate = getattr(est, "degenerate_", None) or degenerate_reason(scores)
    return MethodResult(
        name=spec_name, scores=scores,
        ranking=np.asarray(est.ranking_, dtype=np.float64), support=support,
        seconds=float(seconds), params=est.get_params(deep=False),
        findings=collect_findings(est),
        degenerate=degenerate,
    )


def _prepare(data, target, **options):
    """Read and type the table once: a :class:`featkit.io.PreparedData`."""
    from .io import prepare_features, read_table

    prepared = prepare_features(read_table(data), target, **options)
    _return_arrow_memory()
    return prepared


def _return_arrow_memory():
    """Hand the pages Arrow's allocator kept from reading the file back to the OS.

    Its pool (mimalloc or jemalloc) keeps what the read table held after the
    frame no longer needs it: on 200,000 x 100 from Parquet, 225 MiB that stayed
    in the process for the whole run and added to every later peak.
    """
    pa = sys.modules.get("pyarrow")  # not imported: nothing was read through it
    if pa is not None:
        pa.default_memory_pool().release_unused()


# Columns encoded per pass: the encoders fill a column-major block that is then
# copied into the shared matrix (column-major too, so a block writes only its own
# columns' pages), so the transient copy is one block (64 MB at 1,000,000 rows).
_BLOCK_COLUMNS = 8


class _Encodings:
    """The encodings of the prepared table, each computed once and shared by
    the methods that need it.

    The three kinds ("numeric_nan", "numeric_imputed", "categorical") agree on
    most columns, so they are built from one pass: "numeric_nan" is encoded
    column block by column block; "numeric_imputed" is the same array when no
    value is missing, else a copy with the gaps filled; "categorical" is the
    same array when no column is categorical, else a copy with the category
    codes written over those columns. Every kind is bitwise what
    :func:`featkit.io.encode_numeric` / ``encode_discrete_values`` return.

    ``needed`` lists the kinds the run will ask for (None: any); an array is
    reused in place, without a copy, when the kind it was built as is not
    needed. :meth:`release` drops a kind no later step needs, unless it is in
    ``keep``; a released kind asked for again is encoded again (the same values).
    """

    def __init__(self, prepared, random_state, needed=None, keep=()):
        info = {c.name: c for c in prepared.columns}
        self._prepared = prepared
        self._used = [info[name] for name in prepared.X.columns]
        self._random_state = random_state
        self._needed = None if needed is None else set(needed)
        self._keep = set(keep)
        self._cache = {}
        self._has_missing = None
        self._rows = None  # see sample_rows
        self._sample_kinds = set()
        self._sampled = {}
        self._coded = None  # positions of the categorical columns
        self._codes = None  # their category codes, once the frame is let go
        self._table_gone = False

    @staticmethod
    def kind_for(spec):
        """The encoding a method's registry entry asks for."""
        if spec.input == "categorical":
            return "categorical"
        return "numeric_nan" if spec.allow_nan else "numeric_imputed"

    def for_spec(self, spec):
        return self.get(self.kind_for(spec))

    def __getitem__(self, kind):
        return self.get(kind)

    def sample_rows(self, rows, kinds):
        """Copy ``rows`` of each of ``kinds`` when it is let go (or lent), for a later step
        that reads those rows only: the cv_weighted consensus refits its members on at most
        a few thousand rows, so it need not hold whole matrices until the end of the run."""
        self._rows = np.asarray(rows)
        self._sample_kinds = set(kinds)
        self._sampled = {}

    def _snapshot(self, kind, matrix):
        if self._rows is not None and kind in self._sample_kinds and kind not in self._sampled:
            self._sampled[kind] = matrix[self._rows]  # fancy indexing: a copy

    def sampled(self, kind):
        """The rows given to :meth:`sample_rows` of ``kind`` (encoded again if it was let go
        before they were copied)."""
        if kind not in self._sampled:
            held = kind in self._cache
            self._sampled[kind] = self.get(kind)[self._rows]
            if not held and kind not in self._keep:
                self._cache.pop(kind, None)
        return self._sampled[kind]

    def release(self, kind):
        """Forget ``kind`` (unless kept), so its memory goes once no method holds it."""
        if kind in self._cache:
            self._snapshot(kind, self._cache[kind])
        if self._table_gone and kind == "numeric_nan" and self._needed is not None:
            # the kinds still to come are made from this matrix: with the table's rows
            # gone it could not be encoded again
            for later in sorted(self._needed - {kind} - set(self._cache)):
                self.get(later)
        if kind not in self._keep:
            self._cache.pop(kind, None)
            if self._needed is not None:
                self._needed.discard(kind)

    def _wanted(self, kind):
        return self._needed is None or kind in self._needed

    def get(self, kind):
        if kind not in self._cache:
            if kind == "numeric_nan":
                self._cache[kind] = self._numeric_nan()
            elif kind == "numeric_imputed":
                self._cache[kind] = self._imputed()
            elif kind == "categorical":
                self._cache[kind] = self._categorical()
            else:
                raise KeyError(kind)
        return self._cache[kind]

    def _numeric_nan(self):
        imputed = self._cache.get("numeric_imputed")
        if imputed is not None and self._has_missing is False:
            return imputed
        return self._encode_nan()

    def _base(self, kind):
        """The NaN-kept matrix, and whether it may be written over to make ``kind``."""
        base = self._cache.get("numeric_nan")
        if base is None and self._has_missing is False:
            base = self._cache.get("numeric_imputed")  # the same values
        if base is not None:
            return base, False
        base = self._encode_nan()
        if self._wanted("numeric_nan"):
            self._cache["numeric_nan"] = base
            return base, False
        return base, True

    def _imputed(self):
        base, own = self._base("numeric_imputed")
        if not self._has_missing:
            return base
        out = base if own else base.copy(order="K")
        for j in range(out.shape[1]):
            column = out[:, j]
            missing = np.isnan(column)
            if missing.any():
                present = column[~missing]
                # as encode_numeric(impute=True): the median, 0 for an all-missing column
                column[missing] = np.median(present) if present.size else 0.0
        return out

    @contextlib.contextmanager
    def lent(self, kind):
        """``kind`` for the fit of one method that does not write over its input.

        The category codes differ from the numeric matrix in the categorical
        columns only, so when that matrix is held for a later method and no
        later step keeps the codes, the codes are written over those columns
        for the fit and the numbers written back after it (bitwise), instead
        of a second n x d matrix being held beside the first. Meant for one
        fit at a time: while lent, the numeric kinds read as the codes.
        """
        if kind != "categorical" or kind in self._cache or kind in self._keep:
            yield self.get(kind)
            return
        base, own = self._base(kind)
        coded = self._coded_columns()
        if own or not coded:
            if coded:
                self._write_codes(base, coded)
            self._cache[kind] = base
            yield base
            return
        saved = base[:, coded]  # a copy: the categorical columns only
        self._cache[kind] = base
        try:
            self._write_codes(base, coded)
            self._snapshot(kind, base)  # the codes leave with the fit
            yield base
        finally:
            del self._cache[kind]
            base[:, coded] = saved

    def _coded_columns(self):
        from .io._encode import _CATEGORICAL_KINDS, _column_kinds

        if self._coded is None:
            kinds = _column_kinds(self._prepared.X, self._used)
            self._coded = [j for j, k in enumerate(kinds) if k in _CATEGORICAL_KINDS]
        return self._coded

    def let_go_of_table(self):
        """Encode now what the run will read, then drop the rows of the prepared frame.

        After the encoding nothing in a run reads the frame's rows (the overview
        comes first; the model attribution, which does, keeps it): at 1,000,000
        x 100 they are 337 MiB held beside the encoded matrix to the end of the
        run. What stays: the NaN-kept matrix, from which every kind is made, the
        category codes in the smallest integer type that holds them (exact), and
        the rows the consensus reads of a kind no method asks for. Only when
        every kind can be made that way: the NaN-kept matrix is needed (else it
        may be written over to make one kind, and the next would be encoded
        again), or one kind is.
        """
        needed = self._needed
        if needed is None or not needed or ("numeric_nan" not in needed and len(needed) > 1):
            return False
        self._coded_columns()  # from the column kinds, while the frame has its columns
        from .io._encode import discrete_columns

        empty = self._prepared.X.iloc[:0].copy()  # a slice would keep the rows alive
        if "categorical" in needed or "categorical" in self._sample_kinds:
            codes = {}
            for j in self._coded_columns():
                column = discrete_columns(self._prepared.X.iloc[:, [j]], self._used,
                                          n_bins=None)[:, 0]
                codes[j] = column.astype(np.min_scalar_type(int(column.max(initial=0))))
            self._codes = codes
        if "numeric_nan" in needed and "numeric_nan" not in self._cache:
            # every other kind is made from this matrix (and the codes): the frame's
            # columns can go as they are encoded, so the two are not held whole together
            self._cache["numeric_nan"] = self._encode_nan(consume=True)
        else:
            self.get("numeric_nan" if "numeric_nan" in needed else next(iter(needed)))
        for kind in self._sample_kinds - needed:  # rows read by the consensus only
            self._sampled[kind] = self.get(kind)[self._rows]
            self._cache.pop(kind, None)
        self._prepared.X = empty
        self._table_gone = True
        _return_arrow_memory()
        return True

    def _write_codes(self, out, coded):
        from .io._encode import discrete_columns

        if self._codes is not None:
            for j in coded:
                out[:, j] = self._codes[j]
            return
        X = self._prepared.X
        for start in range(0, len(coded), _BLOCK_COLUMNS):
            block = coded[start:start + _BLOCK_COLUMNS]
            out[:, block] = discrete_columns(X.iloc[:, block], self._used, n_bins=None)

    def _categorical(self):
        coded = self._coded_columns()
        base, own = self._base("categorical")
        if not coded:
            return base  # numbers stay numbers: nothing to recode
        out = base if own else base.copy(order="K")
        self._write_codes(out, coded)
        return out

    def _encode_nan(self, consume=False):
        """encode_numeric(impute=False) of the table, filled block by block; with
        ``consume``, each block's columns leave the frame once encoded."""
        from .io._encode import numeric_columns

        if self._table_gone:
            raise RuntimeError("the table's rows were let go (let_go_of_table) before every "
                               "encoding that needs them was made")
        p = self._prepared
        n, d = p.X.shape
        names = list(p.X.columns)
        out = np.empty((n, d), dtype=np.float64, order="F")
        has_missing = False
        pending = []  # encoded columns still in the frame
        for start in range(0, d, _BLOCK_COLUMNS):
            block = slice(start, min(start + _BLOCK_COLUMNS, d))
            # the fold split depends on the target and the seed only, so a
            # block's target encoding is the whole table's, column for column
            values = numeric_columns(p.X[names[block]], self._used, p.y, p.task, impute=False,
                                     random_state=self._random_state)
            has_missing = has_missing or bool(np.isnan(values).any())
            out[:, block] = values
            del values  # else the next block is encoded while this one is still held
            pending += names[block]
            # each drop costs a pass over the frame's blocks (one per column on a wide
            # table): drop once the columns waiting hold enough memory to matter, so a
            # tall table lets go of each block at once and a wide one drops rarely
            if consume and (n * len(pending) * 8 >= _DROP_BYTES or block.stop == d):
                p.X = p.X.drop(columns=pending)
                pending = []
                _return_arrow_memory()  # columns read from Arrow free into its pool
                from ._fitting import _trim_heap
                _trim_heap()
        self._has_missing = has_missing
        return out


_DROP_BYTES = 32 << 20  # see _encode_nan


def _decomposition(name, est, features):
    """The PCA a method read (scikit-learn's ``components_`` and
    ``explained_variance_ratio_``), for the report; None when it read none."""
    from .sections import DecompositionSection

    ratio = getattr(est, "explained_variance_ratio_", None)
    components = getattr(est, "components_", None)
    if ratio is None or components is None:
        return None
    return DecompositionSection(
        method=name, features=list(features),
        explained_variance=np.asarray(est.explained_variance_, dtype=float).tolist(),
        explained_variance_ratio=np.asarray(ratio, dtype=float).tolist(),
        loadings=np.asarray(components, dtype=float).tolist())


def _attribution(model, prepared, random_state):
    """A boosting model's importances as methods, and the attribution section."""
    from .attribution import model_attribution
    from .base import degenerate_reason, ranking_from_scores
    from .results import MethodResult
    from .sections import AttributionSection

    t0 = time.perf_counter()
    attribution = model_attribution(prepared.X, prepared.y, task=prepared.task, model=model,
                                    random_state=random_state)
    seconds = time.perf_counter() - t0
    methods = {}
    for key, values in attribution.importances.items():
        values = np.asarray(values, dtype=np.float64)
        name = f"{model}_{key}"
        methods[name] = MethodResult(
            name=name, scores=values, ranking=ranking_from_scores(values),
            seconds=seconds, params={"model": model, "importance": key},
            degenerate=degenerate_reason(values),
        )
    return methods, AttributionSection.from_dict(attribution.to_section())


def _overview(prepared, random_state):
    """The table's profile (distributions, warnings, leakage suspects) for the report;
    about a second on 100,000 x 50, so every in-memory run has it."""
    from .evaluation import data_overview
    from .sections import OverviewSection

    return OverviewSection.from_dict(data_overview(prepared.X, prepared.y, task=prepared.task,
                                                   columns=prepared.columns,
                                                   random_state=random_state))


def _evaluation(result, specs, encodings, prepared, random_state):
    """Selection curves, stability, agreement and redundancy of ``result``."""
    from .evaluation import evaluate_ranking
    from .sections import EvaluationSection

    extra = {}
    if any(s.input == "categorical" for s in specs):
        extra["X_discrete"] = encodings.get("categorical")  # the codes those methods saw
    if prepared.y is None:
        result.notes.append("Selection curves need a target: the evaluation shows "
                            "agreement, stability and redundancy only.")
    return EvaluationSection.from_dict(evaluate_ranking(
        result, encodings.get("numeric_imputed"), prepared.y, task=prepared.task,
        random_state=random_state, **extra))


def _meta(source, random_state, started, t_start, **more):
    """Reproducibility facts of a run, for ``RankingResult.meta``."""
    return {
        "command": None, "versions": _versions(), "seed": random_state, "source": source,
        "started": started.isoformat(timespec="seconds"),
        "seconds_total": round(time.perf_counter() - t_start, 3), **more,
    }
