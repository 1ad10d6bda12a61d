"""Model attributions: TreeSHAP through xgboost / LightGBM, ``shap`` for other models,
and model-agnostic permutation importance (extra ``featkit[boost]``).

Importing this package imports none of xgboost, lightgbm or shap; they load
when a function needs them.
"""

from ._model import MODELS, AttributionResult, model_attribution
from ._permutation import permutation_attribution
from ._shap import ShapValues, shap_values

__all__ = [
    "MODELS",
    "AttributionResult",
    "ShapValues",
    "model_attribution",
    "permutation_attribution",
    "shap_values",
]
