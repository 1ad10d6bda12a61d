"""Reading tables, typing columns and encoding them for the methods.

Data flows one way: :func:`read_table` reads a file or an in-memory table,
:func:`prepare_features` types the columns (:func:`infer_column_types`), picks
the target and leaves out what cannot be ranked, and :func:`encode_numeric` /
:func:`encode_discrete` give each method the values it needs, one column per
input column (:class:`FeatureEncoder` is the same as a scikit-learn transformer).
"""

from ._atomic import atomic_path, commit_group, remove_pending_temps, same_file
from ._batches import column_names, iter_batches, iter_tables
from ._cells import neutralise_formula_cells
from ._codes import CodeBatches
from ._encode import encode_discrete, encode_numeric
from ._encoder import FeatureEncoder
from ._prepare import PreparedData, prepare_features
from ._read import read_table
from ._types import KINDS, RANKED_KINDS, ColumnInfo
from ._typing import infer_column_types
from ._write import FRAME_SUFFIXES, frame_suffix, write_frame

__all__ = [
    "CodeBatches",
    "ColumnInfo",
    "FRAME_SUFFIXES",
    "FeatureEncoder",
    "KINDS",
    "PreparedData",
    "RANKED_KINDS",
    "atomic_path",
    "column_names",
    "commit_group",
    "encode_discrete",
    "encode_numeric",
    "frame_suffix",
    "infer_column_types",
    "iter_batches",
    "iter_tables",
    "neutralise_formula_cells",
    "prepare_features",
    "read_table",
    "remove_pending_temps",
    "same_file",
    "write_frame",
]
