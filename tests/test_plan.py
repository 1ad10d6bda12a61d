"""The cost model, the plan, the time budget, live progress and methods in parallel (#13)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import featkit._fitting as fitting
import featkit._plan as planning
import featkit.ranking as ranking
from featkit import parse_duration, plan_ranking
from featkit._cost import METHOD_COSTS, CostModel, TableShape, estimate_cost
from featkit._plan import plan_methods
from featkit.exceptions import InputError
from featkit.ranking import rank_features
from featkit.registry import REGISTRY, get_method

# A cost that makes any fit of more than a few rows take "hours": deterministic budgets.
HUGE = CostModel("nd", c=1.0, fixed=0.0)


@pytest.fixture(scope="module")
def frame():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 5))
    df = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    df["y"] = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=1000) > 0).astype(int)
    return df


@pytest.fixture
def slow_l1(monkeypatch):
    monkeypatch.setitem(METHOD_COSTS, "l1", HUGE)


# --------------------------------------------------------------- cost model
def test_every_method_and_the_coming_defaults_have_a_cost_that_grows():
    small, tall, wide = TableShape(1_000, 10), TableShape(100_000, 10), TableShape(1_000, 1_000)
    for spec in REGISTRY.values():
        if spec.family == "consensus":
            continue
        c0, c1, c2 = (spec.estimate_cost(s) for s in (small, tall, wide))
        assert 0 < c0.seconds < c1.seconds and c0.seconds < c2.seconds, spec.name
        assert 0 < c0.bytes < c1.bytes and c0.bytes < c2.bytes, spec.name
    for name in ("mutual_info_binned", "gradient_boosting", "permutation_boosting"):
        assert name in METHOD_COSTS  # planned as soon as the speed branch registers them


def test_a_spec_s_own_cost_wins_and_cores_speed_up_threaded_methods():
    from dataclasses import replace

    spec = replace(get_method("f_test"), cost=CostModel("nd", c=1e-6, fixed=0.0))
    assert estimate_cost(spec, TableShape(1_000, 10)).seconds == pytest.approx(0.01)
    forest = get_method("random_forest")
    one, two = (forest.estimate_cost(TableShape(100_000, 50, cores=k)).seconds for k in (1, 2))
    assert two < one


def test_parse_duration():
    assert [parse_duration(v) for v in ("90", "90s", "2m", "1h", 45, "1.5 min")] == \
        [90, 90, 120, 3600, 45, 90]
    for bad in ("2x", "", "-5", "0s", True):
        with pytest.raises(ValueError):
            parse_duration(bad)


# --------------------------------------------------------------------- plan
def test_a_method_over_budget_is_sampled_and_the_note_says_so(frame, slow_l1):
    specs = [get_method("f_test"), get_method("l1")]
    plan = plan_methods(specs, TableShape(1000, 5), time_budget=3000.0)
    assert plan["f_test"].action == "full" and plan["f_test"].rows == 1000
    l1 = plan["l1"]
    assert l1.action == "sample" and 200 <= l1.rows < 1000
    assert l1.seconds <= 3000 and l1.full_seconds == pytest.approx(5000)

    result = rank_features(frame, "y", methods=["f_test", "l1"], time_budget="50m")
    note = next(n for n in result.notes if n.startswith("l1 was fitted on a seeded sample"))
    assert f"{l1.rows:,} of 1,000 rows" in note and "budget" in note
    assert result.methods["l1"].params["sampled_rows"] == l1.rows
    assert "sampled_rows" not in result.methods["f_test"].params
    # the sample is the seeded one: the same scores as ranking those rows alone
    rows = fitting.sample_rows(1000, l1.rows, 0)
    alone = rank_features(frame.iloc[rows].reset_index(drop=True), "y", methods=["l1"])
    np.testing.assert_array_equal(result.methods["l1"].scores, alone.methods["l1"].scores)


def test_a_method_too_slow_even_on_a_small_sample_is_skipped_with_a_note(frame, slow_l1):
    result = rank_features(frame, "y", methods=["f_test", "l1"], time_budget=60)
    assert "l1" not in result.methods and "f_test" in result.methods
    assert any(n.startswith("l1 was skipped") and "200 rows" in n for n in result.notes)


def test_a_spent_budget_still_runs_the_cheapest_method(slow_l1):
    specs = [get_method("f_test"), get_method("l1")]
    plan = plan_methods(specs, TableShape(1000, 5), time_budget=1.0, elapsed=5.0)
    assert plan["f_test"].rows == 200 and plan["l1"].action == "skip"
    assert "spent before any fit" in plan["f_test"].reason


def test_without_a_budget_only_a_far_outlier_is_sampled_unless_full(slow_l1):
    specs = [get_method("f_test"), get_method("variance"), get_method("l1")]
    plan = plan_methods(specs, TableShape(1000, 5))
    assert plan["l1"].action == "sample" and "far beyond the other methods" in plan["l1"].reason
    assert plan["f_test"].action == plan["variance"].action == "full"
    assert all(m.action == "full" for m in plan_methods(specs, TableShape(1000, 5), full=True).methods)
    # cheap tables: nothing is far beyond 20 s, nothing is sampled
    fast = plan_methods([get_method("f_test"), get_method("random_forest")], TableShape(1000, 5))
    assert [m.action for m in fast.methods] == ["full", "full"]


def test_a_table_smaller_than_the_smallest_sample_is_never_said_to_be_sampled(slow_l1):
    # 20 rows: the outlier cannot shrink below every row, so it runs whole and no note
    # claims "a sample of 20 of 20 rows"
    specs = [get_method("f_test"), get_method("variance"), get_method("l1")]
    plan = plan_methods(specs, TableShape(20, 5000))
    assert plan["l1"].action == "full" and plan["l1"].rows == 20
    assert not any("l1" in note for note in plan.notes())


def test_a_far_outlier_is_sampled_to_a_few_times_the_others_not_to_a_minute():
    import statistics

    from featkit._plan import OUTLIER_RATIO, SAMPLED_RATIO, SAMPLED_SECONDS

    names = ["f_test", "mutual_info_binned", "gradient_boosting", "random_forest"]
    plan = plan_methods([get_method(n) for n in names], TableShape(100_000, 100, 20))
    others = [plan[n].full_seconds for n in names[:-1]]
    forest = plan["random_forest"]
    assert forest.full_seconds > OUTLIER_RATIO * statistics.median(others)  # the case at hand
    assert forest.action == "sample" and forest.rows < 100_000
    assert forest.seconds <= 1.01 * max(SAMPLED_RATIO * statistics.median(others), SAMPLED_SECONDS)


def test_plan_ranking_fits_nothing_and_its_text_names_every_method(frame, monkeypatch):
    def no_fit(*args, **kwargs):
        raise AssertionError("plan_ranking fitted a method")

    monkeypatch.setattr(ranking, "_fit_method", no_fit)
    plan = plan_ranking(frame, "y", methods="f_test,l1", n_jobs=2)
    text = str(plan)
    assert text.startswith("Plan: 1,000 rows x 5 features")
    assert "f_test" in text and "l1" in text and "total" in text
    assert plan.to_dict()["total_seconds"] == plan.total_seconds
    with pytest.raises(InputError, match="time_budget"):
        rank_features(frame, "y", methods="f_test", time_budget="soon")


def test_on_plan_sees_the_plan_before_any_fit(frame, monkeypatch):
    order = []
    original = ranking._fit_method

    def fit(*args, **kwargs):
        order.append("fit")
        return original(*args, **kwargs)

    monkeypatch.setattr(ranking, "_fit_method", fit)
    rank_features(frame, "y", methods="f_test,l1", on_plan=lambda plan: order.append(plan))
    assert isinstance(order[0], planning.RankingPlan) and order[1:] == ["fit", "fit"]


# ----------------------------------------------------------------- progress
def test_a_running_method_reports_rows_features_and_an_eta(frame, monkeypatch):
    monkeypatch.setattr(fitting, "HEARTBEAT_S", 0.05)
    monkeypatch.setitem(METHOD_COSTS, "l1", CostModel("nd", c=0.0, fixed=100.0))
    original = ranking._fit_method

    def slow(*args, **kwargs):
        time.sleep(0.4)
        return original(*args, **kwargs)

    monkeypatch.setattr(ranking, "_fit_method", slow)
    calls = []
    rank_features(frame, "y", methods=["l1"], progress=lambda *a: calls.append(a), full=True)
    beats = [c for c in calls if c[0].startswith("l1: ") and c[0] != "l1: done"]
    assert len(beats) >= 3  # a heartbeat every 0.05 s of a 0.4 s fit
    label, done, total = beats[-1]
    assert "1,000 rows x 5 features" in label and "ETA 2 min" in label  # 100 s estimated, under 1 s in
    assert total == 2 and 1 <= done < 2  # inside step 1 (reading was step 0) of 2
    assert [c[0] for c in calls][-2:] == ["l1: done", "done"]


def test_the_cli_display_shows_a_line_per_running_method():
    from featkit_cli._common import progress

    buf = io.StringIO()
    with progress(True, delay=60.0, force_terminal=True, file=buf) as cb:
        cb("f_test", 1, 4)
        cb("f_test: 1,000 rows x 5 features, 2 s, ETA 3 s", 1.4, 4)
        cb("l1: 1,000 rows x 5 features, 1 s, ETA 9 s", 2.1, 4)
        cb("l1: 1,000 rows x 5 features, 2 s, ETA 8 s", 2.2, 4)
        assert cb.running() == ["f_test: 1,000 rows x 5 features, 2 s, ETA 3 s",
                                "l1: 1,000 rows x 5 features, 2 s, ETA 8 s"]
        cb("f_test: done", 2, 4)
        assert cb.running() == ["l1: 1,000 rows x 5 features, 2 s, ETA 8 s"]
        cb.print("Plan: ...")
    assert buf.getvalue() == "Plan: ...\n"  # the display never started; the message shows


def test_eta_text():
    from featkit.progress import eta_text

    assert eta_text(0, 30) == "ETA 30 s" and eta_text(60, 7260) == "ETA 2.0 h"
    assert eta_text(31, 30) == "over its estimate of 30 s"


# ----------------------------------------------------------------- parallel
def test_methods_in_parallel_give_exactly_the_serial_scores(frame, monkeypatch):
    monkeypatch.setattr(planning, "PARALLEL_MIN_SECONDS", 0.0)
    methods = ["f_test", "mutual_info", "l1", "random_forest"]
    params = {"random_forest": {"n_estimators": 20}}
    plans = []
    parallel = rank_features(frame, "y", methods=methods, n_jobs=2, params=params,
                             on_plan=plans.append, time_budget=None)
    assert plans[0].workers == 2 and plans[0].inner_jobs == 1
    serial = rank_features(frame, "y", methods=methods, params=params)
    for name in methods:
        np.testing.assert_array_equal(parallel.methods[name].scores, serial.methods[name].scores)
    np.testing.assert_array_equal(parallel.consensus_score, serial.consensus_score)
    assert list(parallel.methods) == methods  # plan order, whatever order they finished in


def test_an_error_in_a_worker_reaches_the_caller_and_the_pool_is_gone(frame, monkeypatch):
    monkeypatch.setattr(planning, "PARALLEL_MIN_SECONDS", 0.0)
    with pytest.raises(InputError, match="l1"):
        rank_features(frame, "y", methods=["f_test", "l1"], n_jobs=2, params={"l1": {"C": -1.0}})
    assert fitting._POOLS == set()


def test_n_jobs_means_cores_for_the_run():
    from featkit._cost import available_cores

    assert planning.resolve_n_jobs(None) is None and planning.resolve_n_jobs(3) == 3
    assert planning.resolve_n_jobs(-1) == available_cores()
    with pytest.raises(ValueError):
        planning.resolve_n_jobs(0)


def test_n_jobs_reads_the_cores_at_each_call(monkeypatch):
    from featkit import _cost

    monkeypatch.setattr(_cost, "available_cores", lambda: 7)
    assert planning.resolve_n_jobs(-1) == 7 and planning.resolve_n_jobs(-3) == 5


def test_a_patch_while_the_plan_is_first_imported_does_not_outlive_it():
    # the reported "1 core after earlier tests": test_consensus_parallel.py run alone
    # patched _cost.available_cores to 1 around the first ranking, which imported
    # featkit._plan; a fresh interpreter is the only way to import it for the first time
    script = textwrap.dedent("""
        import sys
        from featkit import _cost
        assert "featkit._plan" not in sys.modules
        real = _cost.available_cores
        _cost.available_cores = lambda: real() + 5
        from featkit import _plan
        _cost.available_cores = real
        print(_plan.resolve_n_jobs(-1), real())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=300).stdout.split()
    assert out[0] == out[1]


def _children(pid):
    import subprocess

    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _alive(pid):
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a zombie is not running
        return fh.read().split(") ")[1][0] != "Z"


def test_sigterm_ends_the_worker_processes(tmp_path, frame):
    import signal
    import subprocess
    import sys
    import textwrap

    table = tmp_path / "t.csv"
    frame.to_csv(table, index=False)
    script = textwrap.dedent("""
        import sys
        import featkit._plan as p
        p.PARALLEL_MIN_SECONDS = 0.0
        from featkit_cli.app import main
        sys.exit(main(sys.argv[1:]))
    """)
    # forests of a million trees: the workers would run for hours
    proc = subprocess.Popen([sys.executable, "-c", script, "rank", str(table), "-t", "y",
                             "-m", "random_forest,permutation", "--n-jobs", "2",
                             "-p", "random_forest.n_estimators=1000000",
                             "-p", "permutation.n_estimators=1000000"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 120
        workers = []
        while time.monotonic() < end and len(workers) < 3:  # two workers + the resource tracker
            time.sleep(0.2)
            workers = _children(proc.pid)
        assert len(workers) >= 3, proc.communicate(timeout=5)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    end = time.monotonic() + 10
    while time.monotonic() < end and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers)


# ---------------------------------------------------------------------- CLI
def test_featkit_rank_plan_prints_only_the_plan(tmp_path, frame, monkeypatch):
    from typer.testing import CliRunner

    from featkit_cli.app import app

    table = tmp_path / "t.csv"
    frame.to_csv(table, index=False)
    monkeypatch.setattr(ranking, "_fit_method", lambda *a, **k: pytest.fail("fitted"))
    result = CliRunner().invoke(app, ["rank", str(table), "-t", "y", "-m", "f_test,l1", "--plan",
                                      "--time-budget", "2m"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Plan: 1,000 rows x 5 features; time budget 2 min")
    assert "consensus" not in result.stdout  # no ranking table


def test_featkit_rank_prints_its_plan_on_stderr_unless_quiet(tmp_path, frame, monkeypatch):
    from typer.testing import CliRunner

    from featkit_cli.app import app

    table = tmp_path / "t.csv"
    frame.to_csv(table, index=False)
    monkeypatch.setitem(METHOD_COSTS, "l1", HUGE)
    runner = CliRunner()
    loud = runner.invoke(app, ["rank", str(table), "-t", "y", "-m", "f_test,l1",
                               "--time-budget", "50m"])
    assert loud.exit_code == 0, loud.output
    assert "Plan: 1,000 rows" in loud.stderr and "Plan:" not in loud.stdout
    assert "sample of" in loud.stderr  # l1's line in the plan
    assert "l1 was fitted on a seeded sample" in " ".join(loud.stdout.split())  # the note
    quiet = runner.invoke(app, ["rank", str(table), "-t", "y", "-m", "f_test", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    bad = runner.invoke(app, ["rank", str(table), "-t", "y", "--time-budget", "2x"])
    assert bad.exit_code == 2 and "--time-budget '2x'" in bad.stderr


def test_a_quick_run_prints_no_plan(tmp_path, frame):
    from typer.testing import CliRunner

    from featkit_cli.app import app

    table = tmp_path / "t.csv"
    frame.to_csv(table, index=False)
    result = CliRunner().invoke(app, ["rank", str(table), "-t", "y", "-m", "f_test"])
    assert result.exit_code == 0 and "Plan:" not in result.stderr


def test_a_method_whose_ranking_is_settled_is_planned_on_that_many_rows():
    from featkit._cost import cost_model_of

    spec = get_method("gradient_boosting")
    settled = cost_model_of(spec).settled_rows
    assert settled is not None
    shape = TableShape(5 * settled, 100, 20)
    plan = plan_methods([get_method("f_test"), spec], shape)
    gb = plan["gradient_boosting"]
    assert gb.action == "sample" and gb.rows == settled and gb.total_rows == 5 * settled
    assert gb.seconds < gb.full_seconds
    note = next(n for n in plan.notes() if n.startswith("gradient_boosting"))
    assert f"{settled:,} of {5 * settled:,} rows" in note and "settled" in note
    assert plan["f_test"].action == "full"
    assert plan_methods([spec], shape, full=True)["gradient_boosting"].action == "full"
    # a table no taller than that: every row
    assert plan_methods([spec], TableShape(settled, 100))["gradient_boosting"].action == "full"
    # a budget shrinks it from its settled rows, never back up to every row
    tight = plan_methods([get_method("f_test"), spec], shape, time_budget=gb.seconds / 2)
    assert 0 < tight["gradient_boosting"].rows < settled


def test_a_method_s_own_row_cap_bounds_its_estimated_time_and_memory():
    # L1 copies only its sampled rows (BaseRanker._fit_rows): the rest of the table costs it nothing
    l1 = get_method("l1")
    cap = METHOD_COSTS["l1"].row_cap
    at_cap, tall = (estimate_cost(l1, TableShape(n, 100)) for n in (cap, 20 * cap))
    assert tall.seconds == pytest.approx(at_cap.seconds)
    assert tall.bytes == at_cap.bytes
    # gradient boosting has no cap of its own: its memory grows with the rows
    gb = get_method("gradient_boosting")
    assert estimate_cost(gb, TableShape(20 * cap, 100)).bytes > estimate_cost(gb, TableShape(cap, 100)).bytes


def test_inner_consensus_refits_that_would_pass_the_budget_leave_the_equal_vote(monkeypatch):
    # f_test "takes" 5 s a row: the plan samples it within its share of the hour, and the
    # consensus's 3 inner refits on its planned rows would run far past the hour
    monkeypatch.setitem(METHOD_COSTS, "f_test", CostModel("nd", c=1.0, fixed=0.0))
    rng = np.random.RandomState(1)
    df = pd.DataFrame(rng.normal(size=(600, 5)), columns=list("abcde"))
    df["y"] = (df["a"] > 0).astype(int)
    result = rank_features(df, "y", methods=["f_test", "mutual_info_binned"], time_budget="1h")
    assert result.aggregation == "mean_rank"
    assert any("would run past the 3600 s time budget" in n for n in result.notes), result.notes
    assert not any("needs a target" in n for n in result.notes)
    # without a budget the inner evidence runs (the weighted consensus)
    assert rank_features(df, "y", methods=["f_test", "mutual_info_binned"]).aggregation == "cv_weighted"


def test_inner_refits_use_no_more_rows_than_the_plan_gave_the_method(slow_l1):
    from featkit.ranking import _inner_rows

    specs = [get_method("f_test"), get_method("variance"), get_method("l1")]
    plan = plan_methods(specs, TableShape(1000, 5))
    assert plan["l1"].sampled and plan["l1"].rows < 600
    assert _inner_rows(get_method("l1"), plan, 600) == plan["l1"].rows
    assert _inner_rows(get_method("f_test"), plan, 600) == 600
    assert _inner_rows(get_method("l1"), plan, 10) == 10
