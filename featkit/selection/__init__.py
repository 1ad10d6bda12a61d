"""Feature rankers and selectors, one contract (:class:`featkit.base.BaseRanker`)."""

from ._binned_mi import BinnedMutualInfoRanker
from ._boosting import BoostingPermutationRanker, GradientBoostingRanker
from ._boruta import Boruta
from ._consensus import ConsensusRanker, aggregate_rankings
from ._ecfs import ECFS
from ._forest import PermutationRanker, RandomForestRanker
from ._inffs import InfFS
from ._l1 import L1Ranker
from ._mrmr import MRMR
from ._outrank import OutRank, OutRank3MR
from ._pca_rankers import PCALoadingsRanker, PFARanker
from ._relieff import ReliefF
from ._univariate import FTestRanker, MutualInfoRanker
from ._variance import VarianceRanker

__all__ = [
    "BinnedMutualInfoRanker",
    "BoostingPermutationRanker",
    "Boruta",
    "ConsensusRanker",
    "ECFS",
    "FTestRanker",
    "GradientBoostingRanker",
    "InfFS",
    "L1Ranker",
    "MRMR",
    "MutualInfoRanker",
    "OutRank",
    "OutRank3MR",
    "PCALoadingsRanker",
    "PFARanker",
    "PermutationRanker",
    "RandomForestRanker",
    "ReliefF",
    "VarianceRanker",
    "aggregate_rankings",
]

# neural selectors (featkit[neural]): their modules import torch only inside fit
from ._kan import KANSelector  # noqa: E402
from ._sequential_attention import SequentialAttentionSelector  # noqa: E402

__all__ += ["KANSelector", "SequentialAttentionSelector"]
