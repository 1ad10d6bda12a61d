"""The `featkit` command line: rank, methods, errors, progress, output files."""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from featkit.registry import REGISTRY
from featkit_cli._common import parse_params, progress
from featkit_cli.app import app

runner = CliRunner()
FAST = ["-p", "random_forest.n_estimators=30", "-p", "permutation_boosting.n_repeats=3"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    rng = np.random.RandomState(0)
    n = 200
    df = pd.DataFrame(rng.normal(size=(n, 4)), columns=["good", "okay", "junk1", "junk2"])
    df["kind"] = rng.choice(["a", "b"], size=n)
    df["row_id"] = [f"r{i:04d}" for i in range(n)]
    df["label"] = np.where(2 * df["good"] + df["okay"] + rng.normal(size=n) > 0, "pos", "neg")
    path = tmp_path_factory.mktemp("cli") / "small.csv"
    df.to_csv(path, index=False)
    return path


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    # exactly one error line; a library warning printed earlier would not be ours to count
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("featkit: error: ")]
    assert len(lines) == 1, result.stderr
    assert result.stderr.rstrip("\n").endswith(lines[0])
    assert "Traceback" not in result.output
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])


# -------------------------------------------------------------------- rank
def test_rank_prints_table_and_saves_every_row(small_csv, tmp_path):
    out = tmp_path / "ranking.csv"
    result = run("rank", small_csv, "--target", "label", "--top", "2", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    text = result.stdout
    for head in ("rank", "feature", "consensus", "f_test", "mutual_info_binned", "random_forest",
                 "gradient_boosting", "permutation_boosting", "l1", "type", "missing%", "notes"):
        assert head in text
    assert "good" in text and "junk2" not in text  # --top 2 limits printed rows
    assert "Showing the best 2 of 5" in text
    assert "row_id" in text and "ID-like" in text  # reported as not ranked
    saved = pd.read_csv(out)
    assert saved["feature"].tolist()[0] == "good"
    assert set(saved["feature"]) == {"good", "okay", "junk1", "junk2", "kind", "row_id"}
    assert saved.loc[saved["feature"] == "row_id", "rank"].isna().all()
    from featkit.ranking import default_methods

    for m in default_methods(supervised=True):
        assert {f"{m}_score", f"{m}_rank"} <= set(saved.columns)
    assert "Wrote the ranking" in result.stderr


@pytest.mark.parametrize("suffix", [".json", ".parquet", ".tsv"])
def test_rank_output_formats(small_csv, tmp_path, suffix):
    out = tmp_path / f"ranking{suffix}"
    result = run("rank", small_csv, "-t", "label", "-m", "f_test,l1", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # --quiet
    if suffix == ".json":
        d = json.loads(out.read_text())
        assert list(d["methods"]) == ["f_test", "l1"]
        assert d["meta"]["command"].startswith("featkit rank ")
        assert "--method f_test,l1" in d["meta"]["command"]
    elif suffix == ".parquet":
        assert pd.read_parquet(out)["feature"].iloc[0] == "good"
    else:
        assert pd.read_csv(out, sep="\t")["feature"].iloc[0] == "good"
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file left


def test_rank_without_target_runs_unsupervised_methods(small_csv):
    result = run("rank", small_csv, "--drop", "label")
    assert result.exit_code == 0, result.output
    assert "variance" in result.stdout and "f_test" not in result.stdout
    assert "No target given" in result.stdout


def test_rank_options_task_drop_sample_seed(small_csv, tmp_path):
    out = tmp_path / "r.json"
    result = run("rank", small_csv, "-t", "label", "-m", "mutual_info", "--drop", "junk1,kind",
                 "--sample", "120", "--seed", "4", "--task", "classification", "-o", out)
    assert result.exit_code == 0, result.output
    d = json.loads(out.read_text())
    assert d["n_rows"] == 120 and d["meta"]["seed"] == 4 and d["task"] == "classification"
    assert "junk1" not in d["features"] and "kind" not in d["features"]


def test_keep_id_ranks_the_id_column(small_csv):
    out = small_csv.parent / "keep_id.csv"
    result = run("rank", small_csv, "-t", "label", "-m", "f_test", "--keep-id", "-o", out)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out).set_index("feature").loc["row_id", "rank"] >= 1


# ------------------------------------------------------------------ errors
@pytest.fixture()
def bad_files(tmp_path):
    files = {
        "ragged": "a,b,y\n1,2,0\n3,4,5,6\n5,6,1\n",
        "empty": "",
        "header": "a,b,y\n",
        "dupes": "a,a,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n",
        "oneclass": "a,b,y\n" + "".join(f"{i},{i * 2},1\n" for i in range(30)),
        "nomissingy": "a,b,y\n" + "".join(f"{i},{i * 2},\n" for i in range(30)),
        "nofeature": "c,y\n" + "".join(f"5,{i % 2}\n" for i in range(30)),
    }
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text(text)
    return out


@pytest.mark.parametrize("case, fragments", [
    ("missing", ["no_such_file.csv"]),
    ("ragged", ["line"]),
    ("empty", ["empty"]),
    ("header", ["no rows"]),
    ("dupes", ["'a'"]),
    ("oneclass", ["1 class"]),
    ("nomissingy", ["y"]),
    ("nofeature", ["usable"]),
])
def test_data_errors_are_one_line_exit_2_no_output(bad_files, tmp_path, case, fragments):
    path = tmp_path / "no_such_file.csv" if case == "missing" else bad_files[case]
    out = tmp_path / "out.csv"
    result = run("rank", path, "--target", "y", "-o", out, "-m", "f_test")
    assert_one_line_error(result, *fragments)
    assert not out.exists()


def test_unknown_target_suggests_close_names(small_csv, tmp_path):
    out = tmp_path / "out.csv"
    result = run("rank", small_csv, "--target", "lable", "-o", out)
    assert_one_line_error(result, "lable", "'label'")
    assert not out.exists()


def test_unknown_method_lists_valid_ones(small_csv):
    result = run("rank", small_csv, "--target", "label", "--method", "f_test,randomforest")
    assert_one_line_error(result, "randomforest", "Did you mean 'random_forest'", "Valid methods:",
                          *REGISTRY)


@pytest.mark.parametrize("bad", ["missing_dir", "folder", "suffix"])
def test_unwritable_output_fails_before_any_work(small_csv, tmp_path, bad):
    target = {"missing_dir": tmp_path / "nope" / "r.csv", "folder": tmp_path,
              "suffix": tmp_path / "r.xlsx"}[bad]
    result = run("rank", small_csv, "--target", "label", "-o", target)
    assert_one_line_error(result, "Cannot write")
    assert result.stdout == ""  # failed before ranking anything


NOBODY = 65534


def test_read_only_folder(small_csv, tmp_path, monkeypatch):
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            result = run("rank", small_csv, "--target", "label", "-o", ro / "r.csv")
            assert_one_line_error(result, "permission denied")
        finally:
            ro.chmod(0o700)
        return
    # Root may write anywhere, so the kernel is asked for the unprivileged user
    # nobody instead (effective ids switched for the one call), on a folder that
    # user owns with mode 0o500, inside a folder that user may enter, next to a
    # copy of the data that user may read.
    real_access = os.access

    def access_as_nobody(path, mode, **kwargs):
        os.setegid(NOBODY)
        os.seteuid(NOBODY)
        try:
            return real_access(path, mode, effective_ids=True)
        finally:
            os.seteuid(0)
            os.setegid(0)

    base = Path(tempfile.mkdtemp())
    try:
        base.chmod(0o755)
        ro, rw = base / "ro", base / "rw"
        for folder, mode in ((ro, 0o500), (rw, 0o700)):
            folder.mkdir()
            os.chown(folder, NOBODY, NOBODY)
            folder.chmod(mode)
        data = base / "small.csv"
        shutil.copy(small_csv, data)
        data.chmod(0o644)
        assert access_as_nobody(rw, os.W_OK) and not access_as_nobody(ro, os.W_OK)
        monkeypatch.setattr(os, "access", access_as_nobody)
        result = run("rank", data, "--target", "label", "-o", ro / "r.csv")
        assert_one_line_error(result, "permission denied", str(ro / "r.csv"))
        assert result.stdout == "" and not any(ro.iterdir())
    finally:
        monkeypatch.undo()
        shutil.rmtree(base)


@pytest.mark.parametrize("args, fragment", [
    (["--task", "classify"], "--task 'classify'"),
    (["--top", "0"], "--top must be at least 1"),
    (["--model", "catboost"], "--model"),
    (["-p", "random_forest.n_estimators"], "METHOD.PARAMETER=VALUE"),
    (["-p", "random_forest.trees=3"], "no parameter 'trees'"),
    (["--stream", "-m", "f_test"], "cannot stream"),
    (["--drop", "nosuch"], "'nosuch'"),
    (["-m", "variance,f_test,outrnk"], "Did you mean 'outrank'"),
])
def test_option_errors(small_csv, args, fragment):
    result = run("rank", small_csv, "--target", "label", *args)
    assert_one_line_error(result, fragment)


# ------------------------------------------------------------------ methods
def test_methods_lists_the_registry():
    result = run("methods")
    assert result.exit_code == 0, result.output
    for name in REGISTRY:
        assert name in result.stdout
    for head in ("family", "needs target", "extra", "installed", "summary"):
        assert head in result.stdout
    rows = json.loads(run("methods", "--json").stdout)
    assert [r["name"] for r in rows] == list(REGISTRY)
    assert {"name", "family", "needs_target", "extra", "installed", "summary"} <= set(rows[0])
    unsup = json.loads(run("methods", "--json", "--unsupervised").stdout)
    assert unsup and all(not r["needs_target"] for r in unsup)


# ------------------------------------------------------------------ streaming
def _column_std_scorer(path, target, *, batch_size, random_state, drop, progress):
    """A streaming scorer for the test: the standard deviation of each column, in batches."""
    from featkit.io import iter_batches

    n, s1, s2 = 0, 0.0, 0.0
    for batch in iter_batches(path, batch_size=batch_size):
        batch = batch.drop(columns=[target, *drop]).astype(float)
        n, s1, s2 = n + len(batch), s1 + batch.sum(), s2 + (batch ** 2).sum()
    std = np.sqrt(s2 / n - (s1 / n) ** 2)
    return list(std.index), std.to_numpy(), {"n_rows": n}


def test_stream_flag_never_reads_the_whole_table(tmp_path, monkeypatch):
    import featkit.io
    from featkit.registry import MethodSpec

    monkeypatch.setitem(REGISTRY, "fake_stream", MethodSpec(
        "fake_stream", "featkit.selection._variance:VarianceRanker", "test only", "none",
        needs_target=True, family="information", streaming=f"{__name__}:_column_std_scorer"))

    def no_full_read(*a, **k):
        raise AssertionError("read_table called on the streaming path")

    monkeypatch.setattr(featkit.io, "read_table", no_full_read)
    rng = np.random.RandomState(0)
    df = pd.DataFrame(rng.normal(size=(300, 2)) * [1, 3], columns=["a", "b"])
    df["y"] = rng.randint(0, 2, 300)
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "r.csv"
    result = run("rank", path, "-t", "y", "-m", "fake_stream", "--stream", "--batch-size", "64",
                 "-o", out)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["feature"].tolist() == ["b", "a"]
    # a threshold below the file size streams without --stream
    result = run("rank", path, "-t", "y", "-m", "fake_stream", "--stream-threshold", "1K")
    assert result.exit_code == 0, result.output
    assert "Streamed t.csv" in result.stdout


# ------------------------------------------------------------------ helpers
def test_progress_display_appears_only_for_longer_work():
    buf = io.StringIO()
    with progress(True, delay=0.0, force_terminal=True, file=buf) as cb:
        cb("f_test", 0, 2)
        cb("l1", 1, 2)
        import time

        time.sleep(0.3)
    assert "l1" in buf.getvalue() or "f_test" in buf.getvalue()
    quiet = io.StringIO()
    with progress(True, delay=5.0, force_terminal=True, file=quiet) as cb:
        cb("f_test", 0, 1)
    assert quiet.getvalue() == ""
    with progress(False, delay=0.0, force_terminal=True, file=quiet) as cb:
        cb("f_test", 0, 1)
    assert quiet.getvalue() == ""


def test_parse_params():
    assert parse_params(["random_forest.n_estimators=50", "f_test.alpha=0.1",
                         "l1.random_state=none", "x.flag=true", "x.name=abc"]) == {
        "random_forest": {"n_estimators": 50}, "f_test": {"alpha": 0.1},
        "l1": {"random_state": None}, "x": {"flag": True, "name": "abc"}}


# ------------------------------------------------------------ real examples
def test_breast_cancer_example_strong_features_on_top(tmp_path):
    from featkit.datasets import example_path

    out = tmp_path / "bc.csv"
    result = run("rank", example_path("breast_cancer"), "--target", "diagnosis", "-o", out,
                 "--top", "10", *FAST)
    assert result.exit_code == 0, result.output
    top10 = pd.read_csv(out)["feature"].head(10).tolist()
    strong = {"worst_concave_points", "worst_perimeter", "worst_radius", "mean_concave_points",
              "worst_area", "mean_perimeter", "mean_concavity"}
    assert len(strong & set(top10)) >= 4, top10
    # the default consensus may follow one multivariate member (worst_texture is strong
    # next to the size features, weak alone); the first three still hold a strong one
    assert strong & set(top10[:3]), top10


# ------------------------------------------------------------ real processes
FEATKIT = shutil.which("featkit", path=str(Path(sys.executable).parent)) or shutil.which("featkit")


@pytest.mark.skipif(FEATKIT is None, reason="console script not installed")
def test_console_script_runs(small_csv, tmp_path):
    help_ = subprocess.run([FEATKIT, "--help"], capture_output=True, text=True)
    assert help_.returncode == 0 and "rank" in help_.stdout and "methods" in help_.stdout
    out = tmp_path / "r.json"
    ok = subprocess.run([FEATKIT, "rank", str(small_csv), "-t", "label", "-m", "f_test,l1",
                         "-o", str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(out.read_text())["features"]
    bad = subprocess.run([FEATKIT, "rank", str(tmp_path / "missing.csv"), "-t", "y"],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.startswith("featkit: error: ") and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr


def test_python_dash_m_featkit_cli(small_csv):
    res = subprocess.run([sys.executable, "-m", "featkit_cli", "methods", "--json"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "f_test" in res.stdout


@pytest.mark.parametrize("argv, fragment", [
    (["rank", "x.csv", "--top", "abc"], "'--top'"),
    (["rank"], "Missing argument"),
    (["rnak"], "Did you mean 'rank'"),
    (["rank", "x.csv", "--bogus"], "No such option: --bogus"),
])
def test_main_turns_usage_errors_into_one_line(capsys, argv, fragment):
    from featkit_cli.app import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("featkit: error: ") and fragment in err


def test_main_version_and_bare_help(capsys):
    from featkit import __version__
    from featkit_cli.app import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"featkit {__version__}"
    assert main([]) == 0
    assert "rank" in capsys.readouterr().out


def test_feature_names_are_printed_verbatim(tmp_path):
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"[bold]x[/bold]": rng.normal(size=60), "b": rng.normal(size=60)})
    df["y"] = (df["b"] > 0).astype(int)
    path = tmp_path / "names.csv"
    df.to_csv(path, index=False)
    result = run("rank", path, "-t", "y", "-m", "f_test")
    assert result.exit_code == 0, result.output
    assert "[bold]x[/bold]" in result.stdout


def test_missing_extra_is_one_line_naming_the_install(small_csv, monkeypatch):
    from featkit.registry import MethodSpec

    monkeypatch.setitem(REGISTRY, "needs_extra", MethodSpec(
        "needs_extra", "featkit.selection._variance:VarianceRanker", "test only", "none",
        needs_target=False, family="neural", requires=("no_such_module_xyz",), extra="neural"))
    result = run("rank", small_csv, "-m", "needs_extra")
    assert_one_line_error(result, 'pip install "featkit[neural]"')


def test_error_line_for_os_errors():
    from featkit_cli._common import error_line

    exc = PermissionError(13, "Permission denied", "/root/x.csv")
    assert error_line(exc) == "featkit: error: Permission denied: '/root/x.csv'"
    assert error_line(ValueError("two\nlines")) == "featkit: error: two lines"
