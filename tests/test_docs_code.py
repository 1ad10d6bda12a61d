"""Every ```python block of README.md and docs/*.md runs as written (#17.9).

A block preceded by ``<!-- not-run: reason -->`` is skipped with that reason.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(?:<!--\s*not-run:\s*(?P<why>.*?)\s*-->\s*\n)?```python\n(?P<code>.*?)```", re.S)


def _blocks():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for m in BLOCK.finditer(text):
            line = text[:m.start("code")].count("\n") + 1
            yield pytest.param(m.group("code"), m.group("why"), id=f"{path.relative_to(ROOT)}:{line}")


@pytest.mark.parametrize("code, not_run", list(_blocks()))
def test_code_block_runs(code, not_run, monkeypatch, tmp_path):
    if not_run:
        pytest.skip(not_run)
    try:  # a block that plots must not open a window
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        pass
    monkeypatch.chdir(tmp_path)  # files a block writes land in a scratch folder
    exec(compile(code, "<doc block>", "exec"), {"__name__": "__doc_block__"})


def test_blocks_are_found():
    blocks = list(_blocks())
    files = {b.id.split(":")[0] for b in blocks}
    assert "README.md" in files
    # every page of docs/ that shows Python is collected, not only the README
    with_python = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")
                   if "```python" in p.read_text(encoding="utf-8")}
    assert with_python and with_python <= files


def test_not_run_needs_a_reason():
    # a skipped block says why (a GPU, a cluster), so a skip is never silent
    for b in _blocks():
        code, why = b.values
        assert why is None or why.strip(), b.id
