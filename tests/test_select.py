"""featkit.select_features and `featkit select`: top-k columns, original values, refusals."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from featkit import select_features
from featkit.exceptions import InputError, UnknownNameError
from featkit_cli.app import app, main

runner = CliRunner()


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(240, 8)), columns=[f"x{j}" for j in range(8)])
    frame["colour"] = rng.choice(["red", "green", "blue"], 240)  # text: selected by its encoding
    frame["row_id"] = [f"r{i}" for i in range(240)]
    frame["note"] = "=HYPERLINK(1)"
    signal = frame["x2"] - 1.5 * frame["x5"] + 2.0 * (frame["colour"] == "red")
    frame["y"] = np.where(signal > 0, "yes", "no")
    path = tmp_path_factory.mktemp("select") / "data.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_library_keeps_original_values_target_and_keep(table):
    frame, _ = table
    sel = select_features(frame, "y", k=3, methods="f_test,l1", keep=["row_id"])
    assert set(sel.selected) == {"x2", "x5", "colour"}
    # input order, original text values (not the target encoding the methods saw)
    assert list(sel.frame.columns) == ["x2", "x5", "colour", "row_id", "y"]
    pd.testing.assert_series_equal(sel.frame["colour"], frame["colour"])
    assert sel.how == "fixed" and sel.ranked_by == "consensus (cv_weighted)"


def test_library_cv_choice_and_single_method(table):
    frame, _ = table
    sel = select_features(frame, "y", k="cv", methods="f_test")
    assert sel.ranked_by == "f_test" and sel.how == "cv"
    assert sel.k == sel.cv["grid"][sel.cv["grid"].index(sel.k)]
    assert {"x2", "x5"} <= set(sel.selected) and sel.k <= 4
    assert "within one standard error" in sel.explain()


def test_library_refusals(table):
    frame, _ = table
    with pytest.raises(UnknownNameError, match="'row_idd'.*Did you mean 'row_id'"):
        select_features(frame, "y", k=2, methods="f_test", keep=["row_idd"])
    with pytest.raises(UnknownNameError, match="target 'why'"):
        select_features(frame, "why", k=2, methods="f_test")
    with pytest.raises(InputError, match="k must be"):
        select_features(frame, "y", k=0, methods="f_test")
    with pytest.raises(InputError, match="target"):
        select_features(frame, "y", k=2, methods="f_test", keep=["y"])


def test_cli_end_to_end(table, tmp_path):
    _, path = table
    out = tmp_path / "reduced.csv"
    res = runner.invoke(app, ["select", str(path), "-t", "y", "-m", "f_test,l1", "--k", "cv",
                              "--keep", "row_id,note", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "within one standard error" in res.output and "<- chosen" in res.output
    written = pd.read_csv(out)
    assert {"x2", "x5", "row_id", "note", "y"} <= set(written.columns)
    assert "x0" not in written.columns  # noise is not kept
    assert written["y"].tolist()[:3] == pd.read_csv(path)["y"].tolist()[:3]
    # a formula cell is neutralised in the CSV
    assert written["note"].iloc[0] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("args, message", [
    (["-t", "why"], "target 'why' is not a column"),
    (["-t", "y", "--keep", "row_idd"], "'row_idd' is not a column"),
    (["-t", "y", "--k", "zero"], "--k 'zero'"),
    (["-t", "y", "-m", "no_such_method"], "no_such_method"),
])
def test_cli_refusals_are_one_line(table, tmp_path, capsys, args, message):
    _, path = table
    out = tmp_path / "reduced.csv"
    code = main(["select", str(path), *args, "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_refuses_to_write_over_its_input(table, capsys):
    _, path = table
    before = path.read_bytes()
    code = main(["select", str(path), "-t", "y", "--k", "2", "-o", str(path)])
    assert code == 2 and "is the input file" in capsys.readouterr().err
    assert path.read_bytes() == before
