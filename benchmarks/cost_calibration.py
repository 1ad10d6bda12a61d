"""Time each registered method at a few table sizes, to set the cost model's constants.

``python -m benchmarks cost_calibration [--methods a,b] [--sizes 2000x20,8000x20,2000x80]``
prints one line per (method, n, d): seconds, and the constant ``c`` that the
method's cost model would need to reproduce that time exactly
(``seconds / work(n, d)``, see ``featkit._cost``). The constants in
``featkit/_cost.py`` are medians of these on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _table(n, d, seed=0):
    import pandas as pd

    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(d)]), y


def main(argv=None):
    from featkit._cost import TableShape, work_units
    from featkit.registry import REGISTRY, make_estimator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=None)
    parser.add_argument("--sizes", default="2000x20,8000x20,2000x80")
    args = parser.parse_args(argv)
    names = (args.methods.split(",") if args.methods else
             [s.name for s in REGISTRY.values() if s.family != "consensus" and s.is_installed()])
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    print(f"{'method':<22}{'n':>8}{'d':>6}{'seconds':>10}{'c':>12}")
    for name in names:
        for n, d in sizes:
            X, y = _table(n, d)
            est = make_estimator(name, random_state=0)
            t0 = time.perf_counter()
            est.fit(X, y if REGISTRY[name].needs_target else None)
            seconds = time.perf_counter() - t0
            units = work_units(REGISTRY[name], TableShape(n, d))
            print(f"{name:<22}{n:>8}{d:>6}{seconds:>10.3f}{seconds / units:>12.3e}", flush=True)


if __name__ == "__main__":
    main()
