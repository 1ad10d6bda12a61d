"""Shared helpers at the ground floor: target handling, validation and number formatting."""

from ._format import column_digits, format_number
from ._task import check_target, infer_task

__all__ = ["check_target", "column_digits", "format_number", "infer_task"]
