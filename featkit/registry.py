"""Every featkit method by name.

The command line, the report and the benchmarks enumerate methods only through
this registry, and the test suite runs scikit-learn's ``parametrize_with_checks``
over every estimator listed here. Estimators are named by import path so that
listing the registry imports no optional dependency.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field

from .exceptions import UnknownNameError, missing_extra, suggest_names

__all__ = ["MethodSpec", "REGISTRY", "get_method", "list_methods", "make_estimator"]


@dataclass(frozen=True)
class MethodSpec:
    """What the registry knows of one method.

    Attributes
    ----------
    name : str
        The name used by ``featkit rank --method`` and :func:`make_estimator`.
    estimator : str
        ``"module:Class"`` of the estimator, imported on first use.
    summary : str
        One line saying what the method does.
    reference : str
        The paper or implementation the method follows.
    needs_target : bool
        Supervised (needs ``y``) or not.
    family : str
        "baseline", "graph", "information", "neighbours", "wrapper", "neural",
        "decomposition", "consensus".
    extra : str or None
        The ``featkit[extra]`` that provides its dependencies (None: core only).
    requires : tuple of str
        Modules that must import for the method to run.
    params : dict
        Constructor parameters that define this entry (e.g. a variant).
    input : str
        "numeric" (float matrix; categoricals encoded) or "categorical"
        (discrete codes; numeric columns used as their values).
    allow_nan : bool
        Whether missing values may reach the estimator.
    default : bool
        Part of the default set of ``featkit rank``.
    streaming : str or None
        ``"module:function"`` of a file-level scorer that reads a table in
        batches (never the whole file): ``f(path, target, *, batch_size,
        random_state, drop, progress) -> (features, scores, extra)``, where
        ``progress`` is a :mod:`featkit.progress` reporter. Used by
        ``featkit rank`` for files larger than memory.
    cost : featkit._cost.CostModel or None
        Its time and memory model; None uses ``featkit._cost.METHOD_COSTS``
        by name, else the family's (see :meth:`estimate_cost`).
    """

    name: str
    estimator: str
    summary: str
    reference: str
    needs_target: bool
    family: str
    extra: str | None = None
    requires: tuple = ()
    params: dict = field(default_factory=dict)
    input: str = "numeric"
    allow_nan: bool = False
    default: bool = False
    streaming: str | None = None
    cost: object = None

    def estimate_cost(self, shape):
        """Estimated seconds and bytes of one fit on a table of ``shape``
        (a :class:`featkit._cost.TableShape`): a :class:`featkit._cost.Cost`."""
        from ._cost import estimate_cost

        return estimate_cost(self, shape)

    def is_installed(self) -> bool:
        """True when every module in ``requires`` can be imported."""
        return all(importlib.util.find_spec(mod) is not None for mod in self.requires)

    def check_installed(self) -> None:
        """Raise :class:`~featkit.exceptions.MissingExtraError` naming the
        ``pip install "featkit[...]"`` to run when a module in ``requires`` is missing."""
        for mod in self.requires:
            if importlib.util.find_spec(mod) is None:
                raise missing_extra(mod, self.extra or "all", f"Method '{self.name}'")

    def estimator_class(self):
        """Import and return the estimator class (raises a clear error on a missing extra)."""
        self.check_installed()
        module, cls = self.estimator.split(":")
        return getattr(importlib.import_module(module), cls)

    def make(self, **params):
        """A new estimator for this method; ``params`` that it does not take are ignored."""
        cls = self.estimator_class()
        est = cls(**self.params)
        accepted = est.get_params(deep=False)
        return est.set_params(**{k: v for k, v in params.items() if k in accepted})


_BASE = "featkit.selection"

REGISTRY: dict[str, MethodSpec] = {}


def _register(spec: MethodSpec) -> None:
    if spec.name in REGISTRY:
        raise RuntimeError(f"method {spec.name!r} registered twice")
    REGISTRY[spec.name] = spec


# --- classic baselines ------------------------------------------------------
_register(MethodSpec(
    "variance", f"{_BASE}._variance:VarianceRanker",
    "Variance of each feature (unsupervised; scale-dependent).",
    "scikit-learn VarianceThreshold", needs_target=False, family="baseline", allow_nan=True,
))
_register(MethodSpec(
    "f_test", f"{_BASE}._univariate:FTestRanker",
    "ANOVA F statistic (classification) or univariate linear-regression F (regression).",
    "scikit-learn f_classif / f_regression", needs_target=True, family="baseline", default=True,
))
_register(MethodSpec(
    "mutual_info", f"{_BASE}._univariate:MutualInfoRanker",
    "Mutual information with the target, k-nearest-neighbour estimator.",
    "Kraskov et al. 2004; Ross 2014 (scikit-learn mutual_info_classif / _regression)",
    needs_target=True, family="baseline",
))
_register(MethodSpec(
    "random_forest", f"{_BASE}._forest:RandomForestRanker",
    "Impurity (mean decrease in impurity) importance of a random forest.",
    "Breiman 2001 (scikit-learn RandomForest feature_importances_)",
    needs_target=True, family="baseline", default=True,
))
_register(MethodSpec(
    "permutation", f"{_BASE}._forest:PermutationRanker",
    "Permutation importance of a random forest on held-out rows.",
    "Breiman 2001; scikit-learn permutation_importance",
    needs_target=True, family="baseline",
))
_register(MethodSpec(
    "mutual_info_binned", f"{_BASE}._binned_mi:BinnedMutualInfoRanker",
    "Mutual information with the target from counts: quantile-binned numbers, category codes, "
    "Miller-Madow bias correction.",
    "Plug-in (histogram) mutual information; Miller 1955 / Madow bias correction",
    needs_target=True, family="information", input="categorical", allow_nan=True, default=True,
))
_register(MethodSpec(
    "gradient_boosting", f"{_BASE}._boosting:GradientBoostingRanker",
    "Total split gain of a gradient-boosting model (LightGBM if installed, else scikit-learn "
    "HistGradientBoosting).",
    "Friedman 2001; Ke et al. 2017 (LightGBM importance_type='gain')",
    needs_target=True, family="baseline", allow_nan=True, default=True,
))
_register(MethodSpec(
    "permutation_boosting", f"{_BASE}._boosting:BoostingPermutationRanker",
    "Permutation importance of a gradient-boosting model on a capped held-out row sample.",
    "Breiman 2001; Fisher, Rudin & Dominici 2019 (model reliance)",
    needs_target=True, family="baseline", allow_nan=True, default=True,
))
_register(MethodSpec(
    "l1", f"{_BASE}._l1:L1Ranker",
    "|coefficient| of an L1-penalised logistic / Lasso model on standardised features.",
    "Tibshirani 1996 (scikit-learn LogisticRegression(penalty='l1') / LassoCV)",
    needs_target=True, family="baseline", default=True,
))

# --- consensus --------------------------------------------------------------
_register(MethodSpec(
    "consensus", f"{_BASE}._consensus:ConsensusRanker",
    "Weighted mean rank of several registered methods: an inner CV keeps the evidence weights "
    "unless the equal vote or one member beats them by one standard error (the equal vote "
    "when the table is too small to tell).",
    "Rank aggregation (Borda 1781; mean-rank)", needs_target=True, family="consensus",
))

# --- graph rankers (Inf-FS, EC-FS) ------------------------------------------
_register(MethodSpec(
    "inffs", f"{_BASE}._inffs:InfFS",
    "Infinite Feature Selection, unsupervised: weight of all graph paths through a feature "
    "(variance and 1 - |Spearman| edges).",
    "Roffo et al., Infinite Feature Selection, ICCV 2015 / TPAMI 2020 (InfFS_U)",
    needs_target=False, family="graph", params={"supervised": False},
))
_register(MethodSpec(
    "inffs_s", f"{_BASE}._inffs:InfFS",
    "Infinite Feature Selection, supervised: graph of mutual information, Fisher ratio and variance.",
    "Roffo et al., Infinite Feature Selection: a graph-based feature filtering approach, TPAMI 2020 (InfFS_S)",
    needs_target=True, family="graph", params={"supervised": True},
))
_register(MethodSpec(
    "ecfs", f"{_BASE}._ecfs:ECFS",
    "Eigenvector centrality of a graph of Fisher ratio + mutual information and variance.",
    "Roffo & Melzi, Ranking to Learn: Feature Selection via Eigenvector Centrality, NFMCP 2016",
    needs_target=True, family="graph",
))

# --- information-theoretic (OutRank) ----------------------------------------
_register(MethodSpec(
    "outrank", f"{_BASE}._outrank:OutRank",
    "Cardinality-aware mutual information: MI with the target less a same-cardinality noise copy's.",
    "Skrlj & Mramor, RecSys 2023 (outrank package, MI-numba-randomized)",
    needs_target=True, family="information", input="categorical", allow_nan=True,
    streaming="featkit.selection._outrank:outrank_file",
))
_register(MethodSpec(
    "outrank_3mr", f"{_BASE}._outrank:OutRank3MR",
    "OutRank 3MR: greedy relevance - redundancy + relation of feature pairs (pairs capped at 10,000).",
    "Skrlj & Mramor, RecSys 2023 (outrank package, MI-numba-3mr)",
    needs_target=True, family="information", input="categorical", allow_nan=True,
    streaming="featkit.selection._outrank:outrank_3mr_file",
))

# --- selectors users ask for by name (mRMR, ReliefF, Boruta) -----------------
_register(MethodSpec(
    "mrmr", f"{_BASE}._mrmr:MRMR",
    "Minimum-redundancy maximum-relevance: greedy F statistic / mean |correlation| with the chosen.",
    "Peng, Long & Ding, TPAMI 2005; Zhao et al., DSAA 2019 (mrmr-selection mrmr_classif / _regression)",
    needs_target=True, family="information",
))
_register(MethodSpec(
    "relieff", f"{_BASE}._relieff:ReliefF",
    "ReliefF (classification) / RReliefF (regression): feature differences to k nearest hits and misses.",
    "Kononenko, ECML 1994; Robnik-Sikonja & Kononenko, Mach. Learn. 2003 (skrebate ReliefF)",
    needs_target=True, family="neighbours",
))
_register(MethodSpec(
    "boruta", f"{_BASE}._boruta:Boruta",
    "Boruta: all-relevant selection, importance tested against shuffled shadow features.",
    "Kursa & Rudnicki, J. Stat. Softw. 2010 (BorutaPy)",
    needs_target=True, family="wrapper",
))

# --- neural (KAN, Sequential Attention) -------------------------------------
_NEURAL = dict(needs_target=True, family="neural", extra="neural", requires=("torch",))
_KAN_REF = "Akazan & Mbingui 2025, arXiv 2509.23366; KAN: Liu et al. 2024"
for _score, _what in (("l1", "mean |first-layer edge output|"), ("l2", "RMS first-layer edge output"),
                      ("si", "input sensitivity mean |df/dx_j|"), ("ko", "loss increase when knocked out")):
    _register(MethodSpec(
        f"kan_{_score}", f"{_BASE}._kan:KANSelector",
        f"KAN (B-spline network) importance: {_what}, on held-out folds.",
        _KAN_REF, params={"metric": _score}, **_NEURAL,
    ))
_SA_REF = "Yasuda et al., Sequential Attention for Feature Selection, ICLR 2023"
for _name, _variant, _what in (
    ("sequential_attention", "attention", "Sequential Attention: greedy forward selection by attention inside one training run of a logistic / linear model, the best of 3 runs by cross-validation (an MLP, one run, from 25 rows per feature)."),
    ("sequential_lasso", "lasso", "Sequential LASSO: group-norm penalty on unselected first-layer weights, largest norm selected per phase."),
    ("group_lasso", "group_lasso", "Group LASSO on the first-layer weights of an MLP; the k largest column norms."),
    ("omp", "omp", "Orthogonal Matching Pursuit for neural networks: largest loss-gradient norm per phase."),
):
    _register(MethodSpec(
        _name, f"{_BASE}._sequential_attention:SequentialAttentionSelector", _what,
        _SA_REF if _variant == "attention" else f"{_SA_REF} (variant from the paper)",
        params={"variant": _variant}, **_NEURAL,
    ))

# --- decomposition-based rankers (PCA loadings, PFA) ------------------------
_register(MethodSpec(
    "pca_loadings", f"{_BASE}._pca_rankers:PCALoadingsRanker",
    "Explained-variance-weighted squared PCA loadings (share of retained variance per feature).",
    "Jolliffe 2002, Principal Component Analysis, ch. 6", needs_target=False, family="decomposition",
))
_register(MethodSpec(
    "pfa", f"{_BASE}._pca_rankers:PFARanker",
    "Principal Feature Analysis: k-means on the PCA loading rows, keep the feature nearest each centre.",
    "Lu, Cohen, Zhou & Tian 2007 (ACM Multimedia)", needs_target=False, family="decomposition",
))


def get_method(name: str) -> MethodSpec:
    """The :class:`MethodSpec` called ``name``; an unknown name lists the valid ones.

    Examples
    --------
    >>> from featkit.registry import get_method
    >>> get_method("f_test").needs_target
    True
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"Unknown method {name!r}.{suggest_names(name, REGISTRY)} "
            f"Valid methods: {', '.join(REGISTRY)}."
        ) from None


def list_methods(*, needs_target: bool | None = None, installed_only: bool = False,
                 default_only: bool = False) -> list[MethodSpec]:
    """Registered methods, optionally filtered."""
    out = []
    for spec in REGISTRY.values():
        if needs_target is not None and spec.needs_target != needs_target:
            continue
        if default_only and not spec.default:
            continue
        if installed_only and not spec.is_installed():
            continue
        out.append(spec)
    return out


def make_estimator(name: str, **params):
    """A new estimator for method ``name``.

    Examples
    --------
    >>> from featkit.registry import make_estimator
    >>> make_estimator("f_test", n_features_to_select=3)
    FTestRanker(n_features_to_select=3)
    """
    return get_method(name).make(**params)
