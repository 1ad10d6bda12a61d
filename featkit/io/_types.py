"""What featkit knows of one input column."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Column kinds, as assigned by featkit.io.infer_column_types.
KINDS = ("numeric", "boolean", "categorical", "datetime", "id", "constant", "empty")
# Kinds that are ranked; the others are reported and left out unless asked.
RANKED_KINDS = ("numeric", "boolean", "categorical", "datetime")


@dataclass
class ColumnInfo:
    """Type and quality of one input column.

    Attributes
    ----------
    name : str
        The column name as in the input.
    kind : str
        One of ``KINDS``: "numeric", "boolean", "categorical", "datetime"
        (converted to a number), "id" (unique per row), "constant" (one value),
        "empty" (all missing).
    dtype : str
        The dtype as read.
    n_missing : int
    missing_frac : float
        Fraction of rows missing, in [0, 1].
    cardinality : int
        Number of distinct non-missing values.
    used : bool
        Whether the column is ranked (False for excluded id / constant / empty /
        dropped columns).
    note : str
        A short human note ("ID-like: unique per row, excluded", ...).
    """

    name: str
    kind: str
    dtype: str
    n_missing: int
    missing_frac: float
    cardinality: int
    used: bool = True
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)
