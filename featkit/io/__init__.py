"""Reading tables, typing columns and encoding them for the methods."""

from ._atomic import atomic_path
from ._types import KINDS, RANKED_KINDS, ColumnInfo

__all__ = ["ColumnInfo", "KINDS", "RANKED_KINDS", "atomic_path"]
