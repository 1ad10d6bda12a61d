"""Flags and notes that read the same across commands (#17.4)."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from featkit_cli.app import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "x": rng.normal(size=n),
                       "k": rng.integers(0, 4, n), "c": rng.choice(list("ab"), n)})
    df["y"] = (df["x"] + rng.normal(size=n) > 0).astype(int)
    path = tmp_path_factory.mktemp("ux") / "t.csv"
    df.to_csv(path, index=False)
    return path


def test_k_is_reduce_only(table):
    import typer

    commands = typer.main.get_command(app).commands
    opts = {cmd: {o for p in commands[cmd].params for o in p.opts} for cmd in ("rank", "reduce")}
    assert "-k" not in opts["rank"] and "--top" in opts["rank"]
    assert "-k" in opts["reduce"]
    bad = run("rank", table, "-t", "y", "-k", "3")
    assert bad.exit_code == 2 and "No such option: -k" in bad.output


def test_id_note_names_the_flag_and_not_for_dropped_columns(table):
    res = run("rank", table, "-t", "y", "-m", "f_test", "-q", "--top", "all")
    assert res.exit_code == 0, res.output
    assert "--keep-id" in res.stdout
    dropped = run("rank", table, "-t", "y", "-m", "f_test", "-q", "--drop", "uid")
    assert "dropped on request; ID-like" in dropped.stdout
    assert "keep_id" not in dropped.stdout and "--keep-id" not in dropped.stdout


def test_report_takes_aggregation_param_and_n_jobs(table, tmp_path):
    out = tmp_path / "r.html"
    res = run("report", table, "-t", "y", "-m", "f_test,random_forest", "--aggregation", "borda",
              "-p", "random_forest.n_estimators=5", "--n-jobs", "1", "-o", out, "-q")
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "Borda points" in html and "consensus_borda_points" in html
    assert "random_forest.n_estimators=5" in html  # the recorded command
    saved = tmp_path / "r.json"
    assert run("rank", table, "-t", "y", "-m", "f_test", "-o", saved, "-q").exit_code == 0
    bad = run("report", saved, "-o", tmp_path / "again.html", "--aggregation", "borda")
    assert bad.exit_code == 2 and "--aggregation" in bad.stderr


def test_streamed_columns_are_typed_like_in_memory(table):
    streamed = run("rank", table, "-t", "y", "-m", "outrank", "--drop", "uid", "--stream", "-q")
    in_memory = run("rank", table, "-t", "y", "-m", "outrank", "--drop", "uid", "-q")
    assert streamed.exit_code == 0 and in_memory.exit_code == 0, streamed.output

    def types(text):
        return {ln.split("\u2502")[2].strip(): ln.split("\u2502")[5].strip()
                for ln in text.splitlines() if ln.startswith("\u2502")}

    assert types(streamed.stdout) == types(in_memory.stdout) == {
        "x": "numeric", "k": "numeric", "c": "categorical"}
    assert "2 categories" in streamed.stdout
