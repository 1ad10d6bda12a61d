"""Declarative parameter checks: scikit-learn's constraints, raised as featkit errors.

Estimators declare ``_parameter_constraints`` (a dict of parameter name ->
list of constraints, as in scikit-learn) and have them checked at the start of
``fit`` by scikit-learn's ``_fit_context``, which calls ``_validate_params``.
:class:`ParamValidationMixin` routes that call through :func:`validate_params`,
so a bad value raises :class:`InvalidParameterError`: scikit-learn's
``InvalidParameterError`` (what its estimator checks and ``GridSearchCV``
expect) and featkit's :class:`~featkit.exceptions.InputError` (what the
command line turns into one line) at once, with scikit-learn's message.

Checks that involve two parameters, or the data (``n_clusters`` at most the
number of features), stay in ``fit``, as in scikit-learn.
"""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import HasMethods, Options, RealNotInt, StrOptions
from sklearn.utils._param_validation import Interval as _SklearnInterval
from sklearn.utils._param_validation import InvalidParameterError as _SklearnInvalidParameterError
from sklearn.utils._param_validation import validate_parameter_constraints

from ..exceptions import InputError
from ._task import TASKS

__all__ = [
    "InvalidParameterError",
    "Interval",
    "HasMethods",
    "Options",
    "RealNotInt",
    "StrOptions",
    "ParamValidationMixin",
    "validate_params",
    "N_FEATURES_CONSTRAINT",
    "TASK_CONSTRAINT",
    "DEVICE_CONSTRAINT",
    "MEMORY_BUDGET_CONSTRAINT",
    "TORCH_DEVICE_CONSTRAINT",
    "POSITIVE",
    "NON_NEGATIVE",
]


class InvalidParameterError(InputError, _SklearnInvalidParameterError):
    """A parameter has a value of the wrong type or outside its range.

    Both scikit-learn's ``InvalidParameterError`` and featkit's
    :class:`~featkit.exceptions.InputError` (hence ``ValueError`` and
    ``TypeError``), so scikit-learn's checks and featkit's command line both
    recognise it.
    """


class Interval(_SklearnInterval):
    """scikit-learn's ``Interval`` that refuses booleans.

    ``True`` is an ``Integral`` to Python, but ``n_features_to_select=True`` or
    ``epochs=True`` is a mistake, and featkit refused booleans before it
    declared its constraints.
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)


def validate_params(params: dict, constraints: dict, caller_name: str) -> None:
    """Check ``params`` against ``constraints``; raise :class:`InvalidParameterError`.

    Parameters
    ----------
    params : dict
        Parameter name -> value (names without a constraint are not checked).
    constraints : dict
        Parameter name -> list of scikit-learn constraints, or ``"no_validation"``.
    caller_name : str
        The estimator or function named in the message.

    Raises
    ------
    InvalidParameterError

    Examples
    --------
    >>> validate_params({"k": 0}, {"k": [Interval(Integral, 1, None, closed="left")]}, "f")
    Traceback (most recent call last):
    ...
    featkit.utils._param_validation.InvalidParameterError: The 'k' parameter of f must be an int in the range [1, inf). Got 0 instead.
    """
    try:
        validate_parameter_constraints(constraints, params, caller_name=caller_name)
    except _SklearnInvalidParameterError as exc:
        raise InvalidParameterError(str(exc)) from None


class ParamValidationMixin:
    """Makes ``_validate_params`` (called by ``_fit_context``) raise featkit's error."""

    def _validate_params(self):
        validate_params(self.get_params(deep=False), self._parameter_constraints, type(self).__name__)


# Constraints shared by several estimators, declared once.
N_FEATURES_CONSTRAINT = [
    Interval(Integral, 1, None, closed="left"),
    Interval(RealNotInt, 0, 1, closed="right"),
    StrOptions({"auto", "cv"}),
    # featkit.evaluation.CrossValidatedK (duck-typed: this module sits below evaluation)
    HasMethods(["choose_k"]),
]
TASK_CONSTRAINT = [StrOptions(set(TASKS))]
DEVICE_CONSTRAINT = [StrOptions({"auto", "cpu", "gpu"})]
# torch models also take "cuda" (read as "gpu") and None (read as "auto")
TORCH_DEVICE_CONSTRAINT = [StrOptions({"auto", "cpu", "gpu", "cuda"}), None]
# finite: an infinite learning rate or penalty is a mistake
POSITIVE = Interval(Real, 0, float("inf"), closed="neither")
NON_NEGATIVE = Interval(Real, 0, float("inf"), closed="left")
# bytes, or a size such as "4GB" / "512MiB" (parsed by featkit's size parser at fit)
MEMORY_BUDGET_CONSTRAINT = [Interval(Real, 0, None, closed="neither"), str, None]
