"""Shared helpers at the ground floor: target handling and validation."""

from ._task import infer_task, check_target

__all__ = ["infer_task", "check_target"]
