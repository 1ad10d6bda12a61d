"""What the neural benchmarks share around their measurements: one thread for every library, and
a results file written whole from the lines they printed."""

from __future__ import annotations

import platform
import time
from pathlib import Path


class Lines:
    """``out(line)`` prints a line and keeps it; ``write(path)`` saves them all at the end."""

    def __init__(self):
        self.lines = []

    def __call__(self, line=""):
        print(line, flush=True)
        self.lines.append(line)

    def write(self, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def limit_threads(threads):
    """Set torch's and every BLAS pool's threads; returns the versions line of a results header."""
    import sklearn
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)
    return (f"python {platform.python_version()}, torch {torch.__version__}, "
            f"scikit-learn {sklearn.__version__}")


def stamp():
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
