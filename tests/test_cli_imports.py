"""The CLI holds no maths and reaches the library through public names only."""

import ast
from pathlib import Path

import featkit

CLI = Path(__file__).resolve().parent.parent / "cli"


def _featkit_imports(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "featkit":
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "featkit":
                    yield alias.name, []


def test_cli_imports_only_public_featkit_names():
    private = []
    files = sorted(CLI.rglob("*.py"))
    assert files
    for path in files:
        for module, names in _featkit_imports(path):
            parts = module.split(".") + [n for n in names if n != "__version__"]
            if any(part.startswith("_") for part in parts):
                private.append(f"{path.name}: from {module} import {', '.join(names)}")
    assert private == []


def test_the_dask_helpers_the_cli_uses_are_public():
    from featkit import distributed

    assert {"dask_client", "read_dask"} <= set(distributed.__all__)
    assert featkit.distributed.read_dask is distributed.read_dask
