"""Typed sections of a :class:`~featkit.results.RankingResult`, beyond the ranking.

Each section is a dataclass with ``to_dict`` / ``from_dict``; their dict form
is what a saved JSON result holds under ``"sections"`` (the same keys that
results saved before the sections were typed hold, so old files load).
The payloads inside a section (selection curves, stability, SHAP values...)
stay plain JSON-ready dicts and lists written by the module that computed
them (:mod:`featkit.evaluation`, :mod:`featkit.attribution`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

__all__ = ["AttributionSection", "DecompositionSection", "EvaluationSection", "ReductionSection", "Sections"]


class _Section:
    """``to_dict`` / ``from_dict`` over the dataclass fields; unknown keys are kept in ``other``."""

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "other"}
        out.update(self.other)
        return out

    @classmethod
    def from_dict(cls, d: dict):
        names = {f.name for f in fields(cls)} - {"other"}
        return cls(**{k: v for k, v in d.items() if k in names},
                   other={k: v for k, v in d.items() if k not in names})


@dataclass
class EvaluationSection(_Section):
    """Selection curves, stability, agreement and redundancy
    (:func:`featkit.evaluation.evaluate_ranking`'s output)."""

    curves: dict | None = None
    stability: dict | None = None
    agreement: dict | None = None
    redundancy: dict | None = None
    notes: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    top_k: int | None = None
    n_rows: int | None = None
    n_rows_used: int | None = None
    random_state: int | None = None
    n_bootstrap: int | None = None
    cv: int | None = None
    other: dict = field(default_factory=dict)


@dataclass
class AttributionSection(_Section):
    """A gradient-boosting model's SHAP and gain importances
    (:meth:`featkit.attribution.ModelAttribution.to_section`'s output)."""

    model: str | None = None
    task: str | None = None
    features: list = field(default_factory=list)
    importances: dict = field(default_factory=dict)
    shap_values: list = field(default_factory=list)
    feature_values: list = field(default_factory=list)
    base_value: float | None = None
    shap_class: str | None = None
    metric: str | None = None
    score: float | None = None
    n_estimators: int | None = None
    n_held_out: int | None = None
    params: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    interactions: list | None = None
    other: dict = field(default_factory=dict)


@dataclass
class DecompositionSection(_Section):
    """A PCA read by a method: explained variance and loadings over the features.

    Attributes
    ----------
    method : str
        The method whose PCA this is (e.g. "pca_loadings").
    features : list of str
        The features the loadings' columns belong to.
    explained_variance : list of float
        Variance of each component kept.
    explained_variance_ratio : list of float
        Share of the total variance of each component kept.
    loadings : list of list of float
        Components x features.
    """

    method: str = ""
    features: list = field(default_factory=list)
    explained_variance: list = field(default_factory=list)
    explained_variance_ratio: list = field(default_factory=list)
    loadings: list = field(default_factory=list)
    other: dict = field(default_factory=dict)


@dataclass
class ReductionSection(DecompositionSection):
    """What ``featkit reduce`` found, for its report
    (:meth:`featkit.decomposition.FileReduction.to_section`).

    Attributes
    ----------
    scores : list of list of float
        The first two components' scores of the rows shown (rows x 2, or x 1).
    target : str or None
        The target column, left out of the reduction.
    target_values : list
        The target of the rows shown (empty without a target).
    n_rows : int
        Rows reduced (the rows shown may be a seeded sample of them).
    standardized : bool
        Whether each column was scaled to unit variance first.
    skipped : dict of str to str
        The columns left out, with the reason.
    """

    scores: list = field(default_factory=list)
    target: str | None = None
    target_values: list = field(default_factory=list)
    n_rows: int = 0
    standardized: bool = False
    skipped: dict = field(default_factory=dict)


_TYPES = {"evaluation": EvaluationSection, "attribution": AttributionSection,
          "decomposition": DecompositionSection}


@dataclass
class Sections:
    """The optional sections of a result; None where the run did not produce one.

    Examples
    --------
    >>> from featkit.sections import DecompositionSection, Sections
    >>> s = Sections(decomposition=DecompositionSection("pca_loadings", ["a", "b"], [2.0], [0.8]))
    >>> Sections.from_dict(s.to_dict()) == s
    True
    >>> sorted(s.to_dict())
    ['decomposition']
    """

    evaluation: EvaluationSection | None = None
    attribution: AttributionSection | None = None
    decomposition: DecompositionSection | None = None

    def to_dict(self) -> dict:
        """The present sections as dicts, keyed by section name."""
        return {name: getattr(self, name).to_dict() for name in _TYPES
                if getattr(self, name) is not None}

    @classmethod
    def from_dict(cls, d: dict | None) -> "Sections":
        """Sections from their dict form; unknown section names are ignored."""
        d = d or {}
        return cls(**{name: kind.from_dict(d[name]) for name, kind in _TYPES.items() if d.get(name)})
