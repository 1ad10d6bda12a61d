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


def _pins():
    lines = (ROOT / "constraints-ci.txt").read_text().splitlines()
    return dict(ln.split("==", 1) for ln in (ln.split("#")[0].strip() for ln in lines) if ln)


def test_ci_constrains_torch_to_the_cpu_build():
    pins = _pins()
    assert pins.get("torch") == "2.13.0"
    # the pin lies inside the range users get from the neural extra
    from packaging.requirements import Requirement

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    neural = [Requirement(r) for r in conf["project"]["optional-dependencies"]["neural"]]
    assert any(r.name == "torch" and r.specifier.contains(pins["torch"]) for r in neural)
    # every install of featkit from this checkout in the README goes through the constraints
    readme = (ROOT / "README.md").read_text().splitlines()
    local = [ln for ln in readme if "pip install" in ln and " -e " in ln]
    assert local and all("-c constraints-ci.txt" in ln for ln in local)

