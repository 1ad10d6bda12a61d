"""featkit: feature analysis for tabular data.

Rank and select features (one scikit-learn contract for every method), reduce
dimensionality, explain a model's use of features, and report the findings.
Heavy optional dependencies (torch, xgboost, lightgbm, shap, cupy, dask) are
imported only by the code that needs them.
"""

from importlib import import_module as _import_module

__version__ = "0.1.0"

# Public names, resolved on first use so that `import featkit` stays fast.
_LAZY = {
    "BaseRanker": "featkit.base",
    "REGISTRY": "featkit.registry",
    "get_method": "featkit.registry",
    "list_methods": "featkit.registry",
    "make_estimator": "featkit.registry",
    "rank_features": "featkit.ranking",
    "select_features": "featkit.select",
    "RankingResult": "featkit.results",
    "load_example": "featkit.datasets",
    "make_benchmark": "featkit.datasets",
    "read_table": "featkit.io",
    # light: the command line reads these at start-up
    "AGGREGATIONS": "featkit._constants",
    "ATTRIBUTION_MODELS": "featkit._constants",
    "TASKS": "featkit._constants",
    "parse_size": "featkit._sizes",
    "parse_duration": "featkit._sizes",
    "plan_ranking": "featkit._plan",
    "RankingPlan": "featkit._plan",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(_import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'featkit' has no attribute {name!r}")


def __dir__():
    return __all__
