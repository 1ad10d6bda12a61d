"""Packaging facts that a clean install depends on."""

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_featkit_subpackage_is_listed_in_pyproject():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(conf["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "featkit").rglob("__init__.py")
    }
    missing = found - listed
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_ci_constrains_torch_to_the_cpu_build():
    assert "torch==2.13.0" in (ROOT / "constraints-ci.txt").read_text()
    assert "constraints-ci.txt" in (ROOT / "README.md").read_text()
