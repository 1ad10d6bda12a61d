"""The steps of the ranking engine (:mod:`featkit.ranking`) that need no registry.

Read and type the table once (the encodings: :mod:`featkit._encodings`), collect what a
fitted method found, the PCA a method read, a boosting model's attribution,
the table's overview, the evaluation, the consensus and the run's reproducibility facts. Each step
is one small function; :func:`featkit.ranking.rank_features` and
:func:`featkit.ranking.rank_file_streaming` run them in order.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import time
from pathlib import Path

import numpy as np

from ._encodings import _return_arrow_memory

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
