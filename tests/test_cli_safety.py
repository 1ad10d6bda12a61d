"""Output safety of the `featkit` command line (issue #11, items 6-11).

Outputs never replace an input, several outputs commit together or not at
all, signals clean up, spreadsheet formulas and terminal escapes are
neutralised, and every bad option or tiny table is one line (exit 2).
"""

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError
from featkit_cli.app import main

@pytest.fixture()
def table(tmp_path):
    rng = np.random.RandomState(0)
    n = 80
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df['=HYPERLINK("http://evil")'] = rng.normal(size=n)
    df["+cmd|' /C calc'!A0"] = rng.normal(size=n)
    df["\x1b[31mred\x1b[0m"] = rng.normal(size=n)
    df["y"] = np.where(df["a"] + 0.3 * rng.normal(size=n) > 0, "pos", "neg")
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


def cli(capsys, *args):
    """Run `featkit ARGS` in-process; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code, err, *fragments):
    assert code == 2, err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1 and lines[0].startswith("featkit: error: "), err
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])


def no_temps(folder):
    return [p.name for p in Path(folder).iterdir() if p.name.endswith(".tmp")]


# --------------------------------------------------- 6: never the input
@pytest.mark.parametrize("spelling", ["same", "dotdot", "symlink", "hardlink"])
def test_rank_refuses_an_output_that_is_the_input(capsys, table, spelling):
    before = table.read_bytes()
    folder = table.parent
    (folder / "sub").mkdir()
    if spelling == "same":
        out = table
    elif spelling == "dotdot":
        out = folder / "sub" / ".." / table.name
    elif spelling == "symlink":
        out = folder / "link.csv"
        out.symlink_to(table)
    else:
        out = folder / "hard.csv"
        os.link(table, out)
    code, _, err = cli(capsys, "rank", table, "-t", "y", "-m", "f_test", "-o", out)
    assert_one_line(code, err, "is the input file")
    assert table.read_bytes() == before


def test_rank_refuses_a_parquet_input_as_output_and_report(capsys, tmp_path):
    data = tmp_path / "data.parquet"
    pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "y": [0, 1, 0, 1, 0, 1]}).to_parquet(data)
    before = data.read_bytes()
    code, _, err = cli(capsys, "rank", data, "-t", "y", "-m", "f_test", "-o", data)
    assert_one_line(code, err, "--output", "is the input file")
    # an .html input file named as the report (through a link)
    page = tmp_path / "page.html"
    page.write_text("not a table")
    (tmp_path / "alias.html").symlink_to(page)
    code, _, err = cli(capsys, "rank", page, "-t", "y", "--report", tmp_path / "alias.html")
    assert_one_line(code, err, "--report", "is the input file")
    assert data.read_bytes() == before and page.read_text() == "not a table"


def test_report_refuses_to_overwrite_its_json_input(capsys, table, tmp_path):
    saved = tmp_path / "ranking.json"
    assert cli(capsys, "rank", table, "-t", "y", "-m", "f_test", "-o", saved, "-q")[0] == 0
    html = tmp_path / "ranking.html"
    html.symlink_to(saved)  # the .html name is the saved ranking itself
    before = saved.read_bytes()
    code, _, err = cli(capsys, "report", html, "-o", html)
    assert_one_line(code, err, "is the input file")
    assert saved.read_bytes() == before


def test_reduce_refuses_a_hard_link_to_its_input(capsys, table, tmp_path):
    frame = pd.read_csv(table).drop(columns="y")
    numeric = tmp_path / "numbers.csv"
    frame.to_csv(numeric, index=False)
    alias = tmp_path / "alias.csv"
    os.link(numeric, alias)
    before = numeric.read_bytes()
    code, _, err = cli(capsys, "reduce", numeric, "-k", "1", "-o", alias)
    assert_one_line(code, err, "is the input file")
    assert numeric.read_bytes() == before


def test_result_save_refuses_its_source(table):
    from featkit import rank_features

    result = rank_features(table, "y", methods=["f_test"])
    before = table.read_bytes()
    with pytest.raises(InputError, match="input table"):
        result.save(table)
    with pytest.raises(InputError, match="input table"):
        result.save(table.parent / "." / table.name)
    assert table.read_bytes() == before
    result.save(table.parent / "ranking.csv")  # any other name is fine


def test_same_file_resolves_links_and_dots(tmp_path):
    from featkit.io._atomic import same_file

    a = tmp_path / "a.csv"
    a.write_text("x")
    (tmp_path / "d").mkdir()
    assert same_file(a, tmp_path / "d" / ".." / "a.csv")
    assert not same_file(a, tmp_path / "b.csv")
    assert same_file(tmp_path / "new.csv", tmp_path / "d" / ".." / "new.csv")  # neither exists


# ------------------------------------------------ 7: all or nothing
def test_a_failing_report_leaves_the_ranking_untouched(capsys, table, tmp_path, monkeypatch):
    import featkit.report

    out = tmp_path / "out.csv"
    out.write_text("previous ranking\n")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(featkit.report, "render_report", disk_full)
    code, _, err = cli(capsys, "rank", table, "-t", "y", "-m", "f_test", "-o", out,
                       "--report", tmp_path / "r.html")
    assert_one_line(code, err, "No space left on device")
    assert out.read_text() == "previous ranking\n"
    assert not (tmp_path / "r.html").exists()
    assert no_temps(tmp_path) == []


def test_disk_full_while_writing_the_output(capsys, table, tmp_path, monkeypatch):
    out = tmp_path / "out.csv"
    out.write_text("previous ranking\n")

    def disk_full(self, path, *args, **kwargs):
        Path(path).write_text("rank,feat")  # a partial write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    code, _, err = cli(capsys, "rank", table, "-t", "y", "-m", "f_test", "-o", out)
    assert_one_line(code, err, "No space left on device")
    assert out.read_text() == "previous ranking\n"
    assert no_temps(tmp_path) == []


def test_disk_full_on_stdout_writes_no_file(tmp_path, table):
    out = tmp_path / "out.csv"
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "featkit_cli", "rank", str(table), "-t", "y", "-m", "f_test",
             "-o", str(out)], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "featkit: error: Cannot write to standard output: No space left on device."]
    assert not out.exists() and no_temps(tmp_path) == []


def test_commit_group_renames_all_or_none(tmp_path):
    from featkit.io._atomic import commit_group

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    with pytest.raises(RuntimeError):
        with commit_group() as group:
            Path(group.temp(a)).write_text("new a")
            Path(group.temp(b)).write_text("new b")
            raise RuntimeError("second output failed")
    assert a.read_text() == "old a" and not b.exists() and no_temps(tmp_path) == []
    with commit_group() as group:
        Path(group.temp(a)).write_text("new a")
        Path(group.temp(b)).write_text("new b")
    assert a.read_text() == "new a" and b.read_text() == "new b"


def test_pending_temps_are_removed_on_request(tmp_path):
    from featkit.io._atomic import commit_group, remove_pending_temps

    with commit_group() as group:
        tmp = Path(group.temp(tmp_path / "out.csv"))
        assert tmp.exists()
        assert remove_pending_temps() == 1
        assert not tmp.exists()
        tmp.write_text("x")  # the rename at the end still needs a file
    assert (tmp_path / "out.csv").exists()


# ---------------------------------------------------------- 8: signals
def _start(tmp_path, table, patch, *args):
    script = textwrap.dedent(f"""
        import sys, time
        {patch}
        from featkit_cli.app import main
        sys.exit(main(sys.argv[1:]))
    """)
    return subprocess.Popen([sys.executable, "-c", script, "rank", str(table), "-t", "y", *args],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_sigterm_removes_temps_and_exits_143(tmp_path, table):
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    # The ranking is written to its temporary file, then the report takes "forever".
    patch = ("import featkit.report as r; "
             "r.render_report = lambda *a, **k: time.sleep(120)")
    proc = _start(tmp_path, table, patch, "-m", "f_test", "-o", str(out), "--report",
                  str(tmp_path / "r.html"))
    try:
        assert _wait_for(lambda: no_temps(tmp_path)), proc.communicate(timeout=5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert took < 2.0
    assert no_temps(tmp_path) == []
    assert out.read_text() == "previous\n"
    assert "featkit: terminated" in err and "Traceback" not in err


def test_ctrl_c_inside_native_code_takes_effect_at_once(tmp_path, table):
    # A method stuck in one long LAPACK call (no Python bytecode runs in it for
    # many seconds), as liblinear is during a long L1 fit.
    patch = textwrap.dedent("""
        import numpy as np
        from featkit.selection import _l1
        def slow_fit(self, X, y=None):
            print("fitting", flush=True)
            np.linalg.svd(np.random.rand(2500, 2500))
            raise SystemExit(0)
        _l1.L1Ranker.fit = slow_fit
    """).replace("\n", "\n        ")
    proc = _start(tmp_path, table, patch, "-m", "l1")
    try:
        assert proc.stdout.readline().strip() == "fitting"
        time.sleep(0.3)  # inside the SVD
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert took < 2.0, took
    assert "featkit: interrupted" in err and "Traceback" not in err


# ------------------------------------- 9: formulas and terminal escapes
def test_csv_and_tsv_cells_are_neutralised(capsys, table, tmp_path):
    for suffix, sep in ((".csv", ","), (".tsv", "\t")):
        out = tmp_path / f"ranking{suffix}"
        assert cli(capsys, "rank", table, "-t", "y", "-m", "f_test,l1", "-o", out, "-q")[0] == 0
        saved = pd.read_csv(out, sep=sep)
        names = set(saved["feature"])
        assert "'=HYPERLINK(\"http://evil\")" in names and "'+cmd|' /C calc'!A0" in names
        assert not any(str(n).startswith(("=", "+", "-", "@")) for n in names)
        # numbers stay numbers (no leading '); the consensus is the weighted mean rank, named so (#17.2)
        assert saved["consensus_weighted_mean_rank"].dtype == float
        assert (saved["consensus_weighted_mean_rank"] > 0).all()


def test_raw_names_and_binary_formats_keep_names(capsys, table, tmp_path):
    out = tmp_path / "raw.csv"
    assert cli(capsys, "rank", table, "-t", "y", "-m", "f_test", "-o", out, "--raw-names", "-q")[0] == 0
    assert '=HYPERLINK("http://evil")' in set(pd.read_csv(out)["feature"])
    for suffix in (".json", ".parquet"):
        out = tmp_path / f"ranking{suffix}"
        assert cli(capsys, "rank", table, "-t", "y", "-m", "f_test", "-o", out, "-q")[0] == 0
        names = (json.loads(out.read_text())["features"] if suffix == ".json"
                 else pd.read_parquet(out)["feature"].tolist())
        assert '=HYPERLINK("http://evil")' in names


def test_neutralise_only_text_cells():
    from featkit.io._cells import neutralise_formula_cells

    frame = pd.DataFrame({"name": ["=1+1", "-x", "@SUM(A1)", "\tx", "ok", None],
                          "value": [-1.0, -2.0, 3.0, 4.0, 5.0, 6.0]})
    out = neutralise_formula_cells(frame)
    assert out["name"].tolist()[:5] == ["'=1+1", "'-x", "'@SUM(A1)", "'\tx", "ok"]
    assert out["name"].isna().tolist()[5]
    assert out["value"].tolist() == frame["value"].tolist()


def test_reduce_neutralises_kept_text(capsys, tmp_path):
    data = tmp_path / "d.csv"
    pd.DataFrame({"id": ["=cmd", "b", "c", "d"], "x": [1.0, 2, 3, 5], "z": [2.0, 1, 0, 4]}).to_csv(
        data, index=False)
    out = tmp_path / "s.csv"
    assert cli(capsys, "reduce", data, "-k", "1", "-o", out, "--keep", "id", "-q")[0] == 0
    assert pd.read_csv(out)["id"].tolist()[0] == "'=cmd"


def test_no_control_characters_reach_the_terminal(capsys, table):
    code, out, err = cli(capsys, "rank", table, "-t", "y", "-m", "f_test")
    assert code == 0
    assert "red" in out and "\x1b" not in out and "\x1b" not in err
    code, out, err = cli(capsys, "rank", table, "-t", "\x1b]0;pwned\x07\x1b[2Jy")
    assert_one_line(code, err)
    assert "\x1b" not in err and "\x07" not in err


# ---------------------------------------------------- 10: one-line errors
@pytest.mark.parametrize("seed", ["-1", str(2**40), str(10**30)])
@pytest.mark.parametrize("command", ["rank", "report", "reduce"])
def test_seed_out_of_range(capsys, table, tmp_path, seed, command):
    extra = {"rank": ["-t", "y"], "report": ["-t", "y", "-o", tmp_path / "r.html"],
             "reduce": ["-k", "1", "-o", tmp_path / "s.csv"]}[command]
    code, _, err = cli(capsys, command, table, *extra, "--seed", seed)
    assert_one_line(code, err, "--seed must be between 0 and 4294967295")


@pytest.mark.parametrize("param, fragment", [
    ("random_forest.n_estimators=abc", "random_forest.n_estimators='abc'"),
    ("random_forest.n_estimators=-5", "n_estimators=-5"),
    ("permutation.n_repeats=3", "'permutation', which is not run"),
])
def test_bad_method_parameters(capsys, table, param, fragment):
    code, _, err = cli(capsys, "rank", table, "-t", "y", "-m", "f_test,random_forest", "-p", param)
    assert_one_line(code, err, fragment)


@pytest.mark.parametrize("content", [
    '{"features": ',
    '{"features": ["a"], "methods": [], "consensus_rank": 3}',
    '{"features": ["a"], "methods": {"f": {"scores": "x"}}, "consensus_rank": [1], "columns": []}',
    b"\xff\xfe{\x00",
])
def test_report_on_malformed_json(capsys, tmp_path, content):
    bad = tmp_path / "bad.json"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content)
    code, _, err = cli(capsys, "report", bad, "-o", tmp_path / "r.html")
    assert_one_line(code, err, "bad.json")
    assert not (tmp_path / "r.html").exists()


def _tiny(tmp_path, name, y):
    rng = np.random.RandomState(1)
    df = pd.DataFrame(rng.normal(size=(len(y), 3)), columns=["a", "b", "c"])
    df["y"] = y
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("y", [
    ["p", "q"],                                  # 2 rows
    [f"id{i}" for i in range(30)],               # a unique-per-row string target
    ["p"] * 29 + ["q"],                          # one minority-class row
])
def test_tiny_tables_rank_what_can_be_ranked(capsys, tmp_path, y):
    data = _tiny(tmp_path, "tiny.csv", y)
    code, out, err = cli(capsys, "rank", data, "-t", "y", "-p", "random_forest.n_estimators=10",
                         "-p", "random_forest.n_estimators=10", "-p", "permutation_boosting.n_repeats=2")
    assert code in (0, 2), err
    if code == 2:
        assert_one_line(code, err, "No method could rank this table")
    else:
        assert "Traceback" not in err
        assert "np." not in out  # numpy reprs never reach a message
    if len(y) == 2:  # mutual_info (k-NN) cannot run on 2 rows: skipped, named, with the reason
        code, out, err = cli(capsys, "rank", data, "-t", "y", "-m", "f_test,mutual_info")
        assert code == 0 and "Skipped on this table (2 rows): mutual_info (" in " ".join(out.split())


def test_nothing_can_run_is_one_line(capsys, tmp_path):
    data = _tiny(tmp_path, "two.csv", ["p", "q"])
    code, _, err = cli(capsys, "rank", data, "-t", "y", "-m", "mutual_info")
    assert_one_line(code, err, "No method could rank this table (2 rows): mutual_info (")


def test_report_on_three_rows_skips_the_curves(capsys, tmp_path):
    data = _tiny(tmp_path, "three.csv", ["p", "q", "p"])
    page = tmp_path / "r.html"
    code, out, err = cli(capsys, "rank", data, "-t", "y", "-m", "f_test,l1,random_forest",
                         "-p", "random_forest.n_estimators=10", "--report", page)
    assert code == 0, err
    html = page.read_text()
    # the curves' cross-validation fails on a one-class fold: a note, without numpy reprs
    assert "Selection curves skipped (3 rows)" in html and "np.int64" not in html


# ---------------------------------------------------- 11: quiet and modes
def test_quiet_silences_library_warnings(capsys, tmp_path, recwarn):
    # 20 classes in 30 rows: scikit-learn warns that y may be a regression target
    y = [f"c{i % 20}" for i in range(30)]
    data = _tiny(tmp_path, "many.csv", y)
    args = ["rank", data, "-t", "y", "-m", "l1,mutual_info"]
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        code, _, _ = cli(capsys, *args)
        assert code == 0 and len(recwarn) > 0  # without -q the warnings are there
        recwarn.clear()
        code, out, err = cli(capsys, *args, "-q")
    assert code == 0 and err == "" and len(recwarn) == 0
    assert "feature" in out  # the results still print


def test_replaced_output_keeps_its_mode(capsys, table, tmp_path):
    out = tmp_path / "ranking.csv"
    out.write_text("old")
    os.chmod(out, 0o640)
    assert cli(capsys, "rank", table, "-t", "y", "-m", "f_test", "-o", out, "-q")[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.csv"
    assert cli(capsys, "rank", table, "-t", "y", "-m", "f_test", "-o", fresh, "-q")[0] == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask
