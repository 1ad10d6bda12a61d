"""Pieces the library and the command line share: sizes, choice names, writing a table."""

import subprocess
import sys

import pandas as pd
import pytest

import featkit
from featkit._array import memory_budget_bytes
from featkit.exceptions import InputError
from featkit.io import FRAME_SUFFIXES, write_frame
from featkit.results import RankingResult
from featkit_cli import rank as cli_rank
from featkit_cli import report as cli_report
from featkit_cli.app import main


@pytest.mark.parametrize("text, expected", [
    ("1GB", 10**9), ("1GiB", 2**30), ("1 gib", 2**30), ("500M", 500 * 2**20), ("2kb", 2000),
    ("1.5MiB", 3 * 2**19), ("1024", 1024), ("1e6", 10**6), ("7B", 7), (4096, 4096),
])
def test_one_size_reading_for_the_library_and_the_cli(text, expected):
    assert featkit.parse_size(text) == expected
    assert memory_budget_bytes(text) == expected
    if isinstance(text, str):
        assert cli_rank._threshold_bytes(text) == expected


@pytest.mark.parametrize("bad", ["abc", "-1", "1XB", "", "inf", True])
def test_a_bad_size_is_an_error_everywhere(bad):
    with pytest.raises(ValueError):
        featkit.parse_size(bad)
    with pytest.raises(InputError, match="Cannot read memory budget"):
        memory_budget_bytes(bad)


def test_a_bad_stream_threshold_is_one_line(capsys, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,y\n1,0\n2,1\n3,0\n")
    code = main(["rank", str(data), "-t", "y", "--stream-threshold", "1XB"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == ["featkit: error: --stream-threshold '1XB': give a size such as 500M or 1GiB."]


def test_choice_names_are_defined_once():
    from featkit.attribution import MODELS
    from featkit.selection._consensus import AGGREGATIONS
    from featkit.utils._task import TASKS

    assert cli_rank.TASKS is cli_report.TASKS is TASKS is featkit.TASKS
    assert cli_rank.AGGREGATIONS is AGGREGATIONS is featkit.AGGREGATIONS
    assert cli_rank.MODELS is cli_report.MODELS is MODELS is featkit.ATTRIBUTION_MODELS


def test_the_cli_starts_without_the_heavy_libraries():
    code = ("import sys, featkit_cli.app, featkit_cli.rank, featkit_cli.report; "
            "print(sorted(m for m in ('numpy', 'pandas', 'sklearn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture
def frame():
    return pd.DataFrame({"feature": ["=cmd()", "plain"], "score": [0.5, 0.25]})


@pytest.mark.parametrize("suffix", FRAME_SUFFIXES)
def test_write_frame_dispatches_on_the_suffix(tmp_path, frame, suffix):
    path = write_frame(frame, tmp_path / f"t{suffix.upper()}")
    if suffix == ".parquet":
        back = pd.read_parquet(path)
    elif suffix == ".json":
        back = pd.read_json(path, orient="records")
    else:
        back = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    # only the text formats get the formula guard; JSON and Parquet hold the raw text
    first = "'=cmd()" if suffix in (".csv", ".tsv") else "=cmd()"
    assert back["feature"].tolist() == [first, "plain"] and back["score"].tolist() == [0.5, 0.25]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left


def test_write_frame_raw_names_and_group(tmp_path, frame):
    from featkit.io import commit_group

    with commit_group() as group:
        path = write_frame(frame, tmp_path / "t.csv", group=group, raw_names=True)
        assert not path.exists()  # renamed into place with the group, at its end
    assert pd.read_csv(path)["feature"].tolist() == ["=cmd()", "plain"]


def test_ranking_save_and_write_frame_refuse_the_same_suffixes(tmp_path, frame):
    result = RankingResult(features=["a", "b"], columns=[], target="y", task="regression", n_rows=3,
                           methods={}, consensus_score=[0.5, 0.25], consensus_rank=[1.0, 2.0])
    with pytest.raises(InputError) as from_save:
        result.save(tmp_path / "r.xlsx")
    with pytest.raises(InputError) as from_write:
        write_frame(frame, tmp_path / "r.xlsx")
    assert str(from_save.value) == str(from_write.value) == (
        "Cannot write 'r.xlsx': use a .csv, .tsv, .json or .parquet file name.")
    assert not any(tmp_path.iterdir())
