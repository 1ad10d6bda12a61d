"""Side-by-side benchmarks of featkit against the code a user would otherwise write.

Run one with ``python -m benchmarks <name>`` (or ``python -m benchmarks.<name>``)
from the repository root; ``python -m benchmarks`` lists them.
"""
