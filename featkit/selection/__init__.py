"""Feature rankers and selectors, one contract (:class:`featkit.base.BaseRanker`)."""

from ._consensus import ConsensusRanker, aggregate_rankings
from ._forest import PermutationRanker, RandomForestRanker
from ._l1 import L1Ranker
from ._univariate import FTestRanker, MutualInfoRanker
from ._variance import VarianceRanker

__all__ = [
    "ConsensusRanker",
    "FTestRanker",
    "L1Ranker",
    "MutualInfoRanker",
    "PermutationRanker",
    "RandomForestRanker",
    "VarianceRanker",
    "aggregate_rankings",
]
