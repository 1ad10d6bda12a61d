"""Example tables and synthetic benchmarks with known truth.

- :func:`load_example` / :func:`example_path`: small real tables shipped with
  featkit (breast cancer, wine, diabetes) and a synthetic mixed-type one;
  provenance and licences are in ``datasets/README.md``.
- :func:`make_benchmark`: a synthetic table together with the role of every
  column (informative, redundant, repeated, noise, categorical, ID).
"""

from ._benchmark import ROLES, Benchmark, make_benchmark
from ._examples import EXAMPLES, MIXED_PARAMS, ExampleInfo, example_path, load_example

__all__ = [
    "Benchmark",
    "EXAMPLES",
    "ExampleInfo",
    "MIXED_PARAMS",
    "ROLES",
    "example_path",
    "load_example",
    "make_benchmark",
]
