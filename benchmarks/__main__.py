"""``python -m benchmarks <name> [options]``: run one benchmark; no name lists them."""

from __future__ import annotations

import ast
import pkgutil
import runpy
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)])
                  if not m.name.startswith("_") and not m.ispkg)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    names = available()
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m benchmarks NAME [options]\n\nbenchmarks:")
        for name in names:
            # Read the docstring without importing (a benchmark may import heavy things).
            tree = ast.parse((Path(__file__).parent / f"{name}.py").read_text(encoding="utf-8"))
            doc = (ast.get_docstring(tree) or "").strip()
            print(f"  {name:<20} {doc.splitlines()[0] if doc else ''}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in names:
        print(f"benchmarks: unknown benchmark {name!r}; available: {', '.join(names)}",
              file=sys.stderr)
        return 2
    # Run it exactly as `python -m benchmarks.<name> ...` would.
    sys.argv = [f"benchmarks.{name}", *rest]
    try:
        runpy.run_module(f"benchmarks.{name}", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
