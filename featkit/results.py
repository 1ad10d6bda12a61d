"""The results object: what a ranking run found, for the CLI and the report.

Data flows one way: :func:`featkit.rank_features` fills a :class:`RankingResult`;
the command line prints and saves it, and :mod:`featkit.report` renders it.
Neither computes a score of its own.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .findings import findings_from_dict
from .io._atomic import commit_group, same_file
from .io._types import ColumnInfo
from .sections import Sections

__all__ = ["CONSENSUS_COLUMNS", "MethodResult", "RankingResult"]

# What a user reads for each aggregation, and its name in every output. The
# internal consensus_score is higher = better (the ranker contract), so for
# the rank aggregations it is minus the rank a person expects to see.
CONSENSUS_COLUMNS = {
    "mean_rank": "consensus_mean_rank",      # lower = better
    "median_rank": "consensus_median_rank",  # lower = better
    "borda": "consensus_borda_points",       # higher = better
    "cv_weighted": "consensus_weighted_mean_rank",  # lower = better
}
_SCORE_SIGN = {"mean_rank": -1.0, "median_rank": -1.0, "borda": 1.0, "cv_weighted": -1.0}


@dataclass
class MethodResult:
    """One method's output, aligned with :attr:`RankingResult.features`.

    Attributes
    ----------
    name : str
        Registry name.
    scores : ndarray of shape (n_features,)
        Higher = more important (+inf = best possible, NaN = undefined, ranked last).
    ranking : ndarray of float64, shape (n_features,)
        Average ranks, 1 = best; tied scores share the mean of their ranks.
    support : ndarray of bool or None
        The method's own "auto" selection, when it has one.
    seconds : float
        Wall time of the fit, encoding included.
    params : dict
        The estimator's parameters.
    findings : dict of str -> featkit.findings.FindingValue
        What the method found beyond its scores, as its estimator declares
        (``_findings``): an affinity matrix, a selection order, an attention
        history, a scalar, ...; each with its kind, which the report renders.
    degenerate : str or None
        Why the scores cannot order the features (all tied, or a network no
        better than a constant predictor), None when they can; a degenerate
        method is left out of the consensus unless asked otherwise.
    weight : float or None
        Its weight in a ``"cv_weighted"`` consensus (None for the other
        aggregations); ``weight_note`` says why a member weighs 0 and gives its
        inner cross-validated score.
    weight_note : str or None
    """

    name: str
    scores: np.ndarray
    ranking: np.ndarray
    support: np.ndarray | None = None
    seconds: float = 0.0
    params: dict = field(default_factory=dict)
    findings: dict = field(default_factory=dict)
    degenerate: str | None = None
    weight: float | None = None
    weight_note: str | None = None


@dataclass
class RankingResult:
    """Everything one ranking run produced.

    Attributes
    ----------
    features : list of str
        The ranked features, in input column order.
    columns : list of ColumnInfo
        Every input column except the target (ranked or excluded), in input order.
    target : str or None
    task : str or None
        "classification", "regression", or None without a target.
    n_rows : int
        Rows used for the ranking (after ``sample``).
    methods : dict of str -> MethodResult
    consensus_score : ndarray of shape (n_features,)
        Aggregated score over methods, higher = better, for ordering: minus the
        mean (median) rank, or the Borda points. What a user reads is
        :attr:`consensus_values`, named :attr:`consensus_name` in every output.
    consensus_rank : ndarray of float64, shape (n_features,)
        Average ranks of the consensus score, 1 = best (ties share their mean rank).
    aggregation : str
        How the consensus was formed ("mean_rank", ...) from the average ranks of
        the methods that are not degenerate (see :attr:`MethodResult.degenerate`).
    notes : list of str
        Things the user should know (columns excluded, encodings used, ...).
    meta : dict
        Reproducibility facts: command line, versions, seed, source file, timings.
    sections : featkit.sections.Sections
        Further findings the report shows when present, filled by the library:
        ``evaluation`` (selection curves, stability, agreement), ``attribution``
        (SHAP / gain), ``decomposition`` (explained variance, loadings).
    source_path : str or None
        The file the table was read from, when it was read from a file;
        :meth:`save` refuses to write over it. Not saved with the result.
    """

    features: list
    columns: list
    target: str | None
    task: str | None
    n_rows: int
    methods: dict
    consensus_score: np.ndarray
    consensus_rank: np.ndarray
    aggregation: str = "mean_rank"
    notes: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    sections: Sections = field(default_factory=Sections)
    source_path: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if isinstance(self.sections, dict):  # the dict form of results made before sections were typed
            self.sections = Sections.from_dict(self.sections)

    # ------------------------------------------------------------------ views
    @property
    def consensus_name(self) -> str:
        """The consensus column's name in every output, e.g. ``"consensus_mean_rank"``."""
        return CONSENSUS_COLUMNS.get(self.aggregation, f"consensus_{self.aggregation}")

    @property
    def consensus_label(self) -> str:
        """The consensus as a header says it, e.g. ``"mean rank (lower = better)"``."""
        better = "higher" if _SCORE_SIGN.get(self.aggregation, -1.0) > 0 else "lower"
        what = {"borda": "Borda points", "cv_weighted": "CV-weighted mean rank"}.get(
            self.aggregation, self.aggregation.replace("_", " "))
        return f"{what} ({better} = better)"

    @property
    def consensus_values(self) -> np.ndarray:
        """The consensus as a user reads it: the mean / median rank (lower = better)
        or the Borda points (higher = better), aligned with :attr:`features`."""
        return _SCORE_SIGN.get(self.aggregation, -1.0) * np.asarray(self.consensus_score, dtype=float)

    def column(self, name: str) -> ColumnInfo:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_frame(self):
        """One row per input column (target excluded), best first.

        Columns: ``rank`` (consensus), ``feature``, the consensus named by
        :attr:`consensus_name` (e.g. ``consensus_mean_rank``, lower = better), then
        ``<method>_score`` and ``<method>_rank`` per method, then ``type``,
        ``missing_pct``, ``cardinality``, ``notes``. Ranks are float average
        ranks (ties share their mean rank); rows with equal consensus rank are
        ordered by feature name. Excluded columns come last with empty scores
        and their reason in ``notes``.
        """
        import pandas as pd

        info = {c.name: c for c in self.columns}
        consensus, values = self.consensus_name, self.consensus_values
        rows = []
        for i, f in enumerate(self.features):
            c = info.get(f)
            row = {"rank": float(self.consensus_rank[i]), "feature": f, consensus: float(values[i])}
            for name, m in self.methods.items():
                row[f"{name}_score"] = float(m.scores[i])
                row[f"{name}_rank"] = float(m.ranking[i])
            row.update(_column_notes(c))
            rows.append(row)
        rows.sort(key=lambda r: (r["rank"], r["feature"]))
        ranked = set(self.features)
        for c in self.columns:
            if c.name in ranked:
                continue
            row = {"rank": None, "feature": c.name, consensus: None}
            for name in self.methods:
                row[f"{name}_score"] = None
                row[f"{name}_rank"] = None
            row.update(_column_notes(c))
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame["rank"] = frame["rank"].astype("float64")
        for name in self.methods:
            frame[f"{name}_rank"] = frame[f"{name}_rank"].astype("float64")
        return frame

    def _repr_html_(self):
        from ._display import ranking_html

        return ranking_html(self)

    def plot(self, top: int = 20):
        """Draw the consensus bars, and the agreement heatmap and selection
        curves when the result holds an evaluation (``rank_features(..., evaluate=True)``).

        Parameters
        ----------
        top : int, default=20
            Features in the bar chart.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        featkit.exceptions.MissingExtraError
            Without matplotlib; the message names ``pip install "featkit[plot]"``.
        """
        from ._display import plot_result

        return plot_result(self, top=top)

    def order(self) -> np.ndarray:
        """Feature indices best first: by consensus rank, ties by feature name."""
        return np.lexsort((np.asarray(self.features, dtype=object).astype(str),
                           np.asarray(self.consensus_rank, dtype=float)))

    def top(self, k: int) -> list:
        """The ``k`` best features by consensus (ties by feature name, never by position)."""
        return [self.features[i] for i in self.order()[:k]]

    def to_dict(self) -> dict:
        """A JSON-ready dictionary of the whole result."""
        return _jsonable({
            "features": list(self.features),
            "columns": [c.to_dict() for c in self.columns],
            "target": self.target,
            "task": self.task,
            "n_rows": self.n_rows,
            "aggregation": self.aggregation,
            self.consensus_name: self.consensus_values,
            "consensus_rank": self.consensus_rank,
            "methods": {
                name: {"scores": m.scores, "ranking": m.ranking, "support": m.support,
                       "seconds": m.seconds, "params": m.params,
                       "findings": {k: v.to_dict() for k, v in m.findings.items()},
                       "degenerate": m.degenerate, "weight": m.weight,
                       "weight_note": m.weight_note}
                for name, m in self.methods.items()
            },
            "notes": list(self.notes),
            "meta": self.meta,
            "sections": self.sections.to_dict(),
        })

    @classmethod
    def from_dict(cls, d: dict) -> "RankingResult":
        """Rebuild a result saved with :meth:`to_dict` / ``save(...json)``.

        Results saved before findings were declared hold an untyped ``"extra"``
        per method instead; it is not read (nothing says what its values are).
        Files written before the consensus was named by what it holds (with a
        ``consensus_score``, minus the mean rank) are read too.
        """
        methods = {
            name: MethodResult(
                name=name,
                scores=_float_array(m["scores"]),
                ranking=_float_array(m["ranking"]),
                support=None if m.get("support") is None else np.asarray(m["support"], dtype=bool),
                seconds=m.get("seconds", 0.0), params=m.get("params", {}),
                findings=findings_from_dict(m.get("findings")),
                degenerate=m.get("degenerate"),
                weight=m.get("weight"), weight_note=m.get("weight_note"),
            )
            for name, m in d["methods"].items()
        }
        aggregation = d.get("aggregation", "mean_rank")
        if "consensus_score" in d:
            score = _float_array(d["consensus_score"])
        else:
            name = CONSENSUS_COLUMNS.get(aggregation, f"consensus_{aggregation}")
            score = _SCORE_SIGN.get(aggregation, -1.0) * _float_array(d[name])
        return cls(
            features=list(d["features"]),
            columns=[ColumnInfo(**c) for c in d["columns"]],
            target=d.get("target"), task=d.get("task"), n_rows=d.get("n_rows", 0),
            methods=methods,
            consensus_score=score,
            consensus_rank=_float_array(d["consensus_rank"]),
            aggregation=aggregation,
            notes=list(d.get("notes", [])), meta=d.get("meta", {}),
            sections=Sections.from_dict(d.get("sections")),
        )

    # ------------------------------------------------------------------ files
    def save(self, path, *, raw_names=False, group=None) -> Path:
        """Write the ranking to ``path`` (.csv, .tsv, .json or .parquet), atomically.

        CSV / TSV / Parquet hold :meth:`to_frame`; JSON holds :meth:`to_dict`
        (strict JSON: +inf / -inf are stored as the strings ``"inf"`` / ``"-inf"``,
        NaN as ``null``; :meth:`from_dict` reads them back).

        Parameters
        ----------
        path : str or path-like
            The file to write; never the file the table was read from.
        raw_names : bool, default=False
            In CSV / TSV, text cells that a spreadsheet would run as a formula
            (starting with ``= + - @``, a tab or a carriage return) get a
            leading ``'``; True writes them as they are. JSON and Parquet
            always hold the raw names.
        group : commit group or None, default=None
            A :func:`featkit.io._atomic.commit_group`: the file is renamed into
            place together with the group's other outputs. None renames it
            as soon as it is written.

        Returns
        -------
        Path

        Raises
        ------
        InputError
            For an unknown suffix, or when ``path`` is the source table.
        """
        from .exceptions import InputError
        from .io import frame_suffix, write_frame

        path = Path(path)
        suffix = frame_suffix(path)
        if self.source_path is not None and same_file(path, self.source_path):
            raise InputError(f"Cannot write the ranking to {str(path)!r}: it is the input table.")
        if suffix != ".json":
            return write_frame(self.to_frame(), path, group=group, raw_names=raw_names)
        # JSON holds the whole result (methods, notes, columns), not only the table
        if group is None:
            with commit_group() as own:
                self._write_json(own.temp(path))
        else:
            self._write_json(group.temp(path))
        return path

    def _write_json(self, tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=1, allow_nan=False)


def _column_notes(c: ColumnInfo | None) -> dict:
    if c is None:
        return {"type": None, "missing_pct": None, "cardinality": None, "notes": ""}
    return {"type": c.kind, "missing_pct": round(100.0 * c.missing_frac, 2),
            "cardinality": c.cardinality, "notes": c.note}


def _float_array(values) -> np.ndarray:
    """The inverse of :func:`_jsonable` for a list of floats: None -> NaN, "inf" -> inf."""
    return np.asarray([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _jsonable(obj):
    """Arrays and numpy scalars -> lists and floats, for strict JSON.

    NaN -> None; +inf / -inf -> "inf" / "-inf" (a +inf score is the best
    possible one and must survive a reload: ``float("inf")`` reads it back).
    """
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        if math.isnan(f):
            return None
        return f if math.isfinite(f) else ("inf" if f > 0 else "-inf")
    if isinstance(obj, (int, str)) or obj is None:
        return obj
    if isinstance(obj, ColumnInfo):
        return obj.to_dict()
    return str(obj)
