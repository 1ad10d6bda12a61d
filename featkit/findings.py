"""Findings: what a fitted method found beyond its scores, declared by kind.

An estimator lists its findings in the class attribute ``_findings``: fitted
attribute name -> :class:`Finding` (a kind and a title). The engine collects
them after the fit (:func:`collect_findings`) into
:attr:`featkit.results.MethodResult.findings`, and the report renders each by
its kind. No estimator knows the report exists, and the report never guesses
what a value means from its name or shape.

Kinds (``KINDS``) and the layout each has over the features, which
:class:`featkit.base.BaseRanker` also uses to map a finding computed in
canonical column order back to the input order:

========================  ===========  =============================================
kind                      layout       value
========================  ===========  =============================================
``"feature_vector"``      vector       one number per feature (optionally with a
                                       reference line: ``Finding(..., reference=attr)``)
``"feature_groups"``      vector       one integer group label per feature
``"feature_text"``        vector       one short text per feature
``"feature_matrix"``      matrix       features x features (an affinity, a kernel)
``"feature_history"``     columns      steps x features (one row per step)
``"feature_order"``       indices      feature indices, first chosen first
``"feature_vectors"``     dict         several named per-feature vectors
``"scalar"``              --           one number or bool
``"values"``              --           a short sequence of numbers not over features
``"note"``                --           a short text
========================  ===========  =============================================
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["KINDS", "Finding", "FindingValue", "align_findings", "collect_findings", "declared_layouts",
           "findings_from_dict", "findings_from_mapping"]

KINDS = {
    "feature_vector": "vector",
    "feature_groups": "vector",
    "feature_text": "vector",
    "feature_matrix": "matrix",
    "feature_history": "columns",
    "feature_order": "indices",
    "feature_vectors": "dict",
    "scalar": None,
    "values": None,
    "note": None,
}


@dataclass(frozen=True)
class Finding:
    """The declaration of one finding: its kind (a key of ``KINDS``) and a title.

    Examples
    --------
    >>> from featkit.findings import Finding
    >>> Finding("feature_matrix", "Affinity between features").layout
    'matrix'
    """

    kind: str
    title: str
    #: name of a scalar fitted attribute drawn as a reference line over a
    #: ``"feature_vector"`` (Boruta's shadow threshold: the noise line)
    reference: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}; kinds: {', '.join(KINDS)}")

    @property
    def layout(self) -> str | None:
        """How the value is laid over the features (None: not over the features)."""
        return KINDS[self.kind]


@dataclass
class FindingValue:
    """One collected finding: the declaration's kind and title, and the value.

    ``value`` is normalised by kind: float64 arrays for the numeric feature
    kinds and ``"values"``, int64 arrays for ``"feature_order"`` and
    ``"feature_groups"``, a list of str for ``"feature_text"``, a dict of
    float64 arrays for ``"feature_vectors"``, a float or bool for ``"scalar"``
    and a str for ``"note"``.
    """

    kind: str
    title: str
    value: object
    reference: float | None = None

    def to_dict(self) -> dict:
        """A JSON-ready dict (arrays as lists; ``featkit.results`` makes NaN / inf strict)."""
        value = self.value
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, dict):
            value = {str(k): np.asarray(v).tolist() for k, v in value.items()}
        out = {"kind": self.kind, "title": self.title, "value": value}
        if self.reference is not None:
            out["reference"] = float(self.reference)
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "FindingValue":
        """The inverse of :meth:`to_dict` (strict-JSON ``None`` / ``"inf"`` read back)."""
        ref = d.get("reference")
        return cls(d["kind"], d["title"], _normalise(d["kind"], d["value"]),
                   None if ref is None else float(ref))


def declared_layouts(findings: dict) -> dict:
    """``{attribute: layout}`` of the declared findings that lie over the features."""
    return {name: f.layout for name, f in findings.items() if f.layout is not None}


def collect_findings(estimator) -> dict:
    """The declared findings of a fitted estimator, in declaration order.

    Attributes that are absent or None after the fit (an affinity matrix that
    was too large to keep, a finding of another variant) are left out.

    Parameters
    ----------
    estimator : fitted estimator with a ``_findings`` class attribute

    Returns
    -------
    dict of str -> FindingValue

    Raises
    ------
    RuntimeError
        When a feature-indexed finding does not have one entry per feature
        (a broken declaration, not bad input).
    """
    out = {}
    d = getattr(estimator, "n_features_in_", None)
    for name, decl in getattr(type(estimator), "_findings", {}).items():
        value = getattr(estimator, name, None)
        if value is None:
            continue
        ref = None if decl.reference is None else getattr(estimator, decl.reference, None)
        found = FindingValue(decl.kind, decl.title, _normalise(decl.kind, value),
                             None if ref is None else float(ref))
        if d is not None:
            _check_shape(type(estimator).__name__, name, found, d)
        out[name] = found
    return out


def findings_from_mapping(values: dict, declared: dict, features: list) -> tuple[dict, dict]:
    """Type the values a streaming scorer returned with its estimator's declarations.

    A key matches a declared attribute with or without its trailing underscore
    (``"relevance"`` or ``"relevance_"``). A ``"feature_order"`` may be given
    as feature names. Returns ``(findings, rest)``: the typed findings and the
    keys no declaration names.
    """
    by_key = {}
    for name, decl in declared.items():
        by_key[name] = (name, decl)
        by_key[name.rstrip("_")] = (name, decl)
    findings, rest = {}, {}
    position = {f: i for i, f in enumerate(features)}
    for key, value in values.items():
        if key not in by_key or value is None:
            rest[key] = value
            continue
        name, decl = by_key[key]
        if decl.kind == "feature_order":
            value = [position[v] if isinstance(v, str) else v for v in value]
        findings[name] = FindingValue(decl.kind, decl.title, _normalise(decl.kind, value))
    return findings, rest


def align_findings(findings: dict, take) -> dict:
    """Findings over ``n`` features re-laid for the features ``take`` picks, in that order.

    ``take[i]`` is the old position of the new feature ``i`` (a permutation).
    """
    take = np.asarray(take, dtype=np.intp)
    new_position = np.argsort(take)
    out = {}
    for name, f in findings.items():
        layout, v = KINDS[f.kind], f.value
        if layout == "indices":
            v = new_position[v]
        elif layout == "dict":
            v = {k: a[take] for k, a in v.items()}
        elif layout == "matrix":
            v = v[np.ix_(take, take)]
        elif layout == "columns":
            v = v[..., take]
        elif layout == "vector":
            v = [v[i] for i in take] if isinstance(v, list) else v[take]
        out[name] = FindingValue(f.kind, f.title, v, f.reference)
    return out


def findings_from_dict(d: dict | None) -> dict:
    """``{name: FindingValue}`` from the JSON form of :meth:`FindingValue.to_dict`."""
    return {name: FindingValue.from_dict(v) for name, v in (d or {}).items()}


def _floats(values) -> np.ndarray:
    # strict JSON stores NaN as null and +/-inf as strings
    arr = np.asarray(values, dtype=object)
    flat = [np.nan if v is None else float(v) for v in arr.ravel()]
    return np.asarray(flat, dtype=np.float64).reshape(arr.shape)


def _normalise(kind: str, value):
    if kind in ("feature_vector", "feature_matrix", "feature_history", "values"):
        return _floats(np.atleast_1d(np.asarray(value, dtype=object)) if kind == "values" else value)
    if kind in ("feature_order", "feature_groups"):
        return np.asarray(value, dtype=np.int64).reshape(-1)
    if kind == "feature_text":
        return [str(v) for v in value]
    if kind == "feature_vectors":
        return {str(k): _floats(v) for k, v in value.items()}
    if kind == "scalar":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, numbers.Integral):
            return int(value)
        return float(_floats([value])[0])
    return str(value)


def _check_shape(owner: str, name: str, found: FindingValue, d: int) -> None:
    value, layout = found.value, KINDS[found.kind]
    if layout == "vector":
        ok = len(value) == d
    elif layout == "matrix":
        ok = value.shape == (d, d)
    elif layout == "columns":
        ok = value.ndim == 2 and value.shape[1] == d
    elif layout == "indices":
        ok = bool(np.all((value >= 0) & (value < d)))
    elif layout == "dict":
        ok = all(v.shape == (d,) for v in value.values())
    else:
        ok = True
    if not ok:
        raise RuntimeError(f"{owner}.{name} is declared a {found.kind} finding but does not fit "
                           f"{d} features")
