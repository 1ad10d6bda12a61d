"""Names of choices that the library checks and the command line offers, defined once.

Plain tuples and no imports, so that the command line can read them at start-up
without loading NumPy, pandas or scikit-learn.
"""

__all__ = ["AGGREGATIONS", "ATTRIBUTION_MODELS", "TASKS"]

TASKS = ("auto", "classification", "regression")
# "cv_weighted": members weighed by inner cross-validated evidence (featkit.selection._consensus)
AGGREGATIONS = ("cv_weighted", "mean_rank", "median_rank", "borda")
ATTRIBUTION_MODELS = ("lightgbm", "xgboost")
