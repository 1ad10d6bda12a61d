"""The progress protocol: its helpers, and the rule that library code never prints."""

import re
from pathlib import Path

import pytest

import featkit
from featkit.progress import Throttle, as_reporter, null_progress, sub_steps


def test_as_reporter_turns_none_into_the_null_reporter():
    assert as_reporter(None) is null_progress
    assert null_progress("anything", 1, None) is None
    def show(label, done, total):
        pass

    assert as_reporter(show) is show
    with pytest.raises(TypeError, match="progress must be a callable"):
        as_reporter(True)  # the old "print to stderr" switch is not a reporter


def test_sub_steps_prefix_the_label_and_advance_by_the_inner_fraction():
    calls = []
    report = sub_steps(lambda *a: calls.append(a), "stability", 2, 5)
    report("fold 1 of 4", 1, 4)
    report("fold 4 of 4", 4, 4)
    report("120,000 rows", 120_000, None)  # unknown total: the outer count stays
    report("nothing to do", 0, 0)
    assert calls == [("stability: fold 1 of 4", 2.25, 5), ("stability: fold 4 of 4", 3.0, 5),
                     ("stability: 120,000 rows", 2, 5), ("stability: nothing to do", 2, 5)]
    assert sub_steps(None, "x", 0, 1) is null_progress


def test_nested_sub_steps_compose():
    calls = []
    method = sub_steps(lambda *a: calls.append(a), "outrank_3mr", 1, 2)
    second_pass = sub_steps(method, "pass 2 of 2", 1, 2)
    second_pass("500 rows", 500, None)
    assert calls == [("outrank_3mr: pass 2 of 2: 500 rows", 1.5, 2)]


def test_throttle_passes_the_first_report_then_one_per_interval_and_flushes_the_last():
    calls, now = [], [0.0]
    report = Throttle(lambda *a: calls.append(a), interval=0.5, clock=lambda: now[0])
    for i in range(1, 101):
        now[0] = i * 0.01  # a report every 10 ms for 1 s
        report(f"{i} rows", i, None)
    report.flush()
    report.flush()  # nothing held any more: no second copy
    done = [c[1] for c in calls]
    assert done[0] == 1 and done[-1] == 100
    assert len(calls) <= 4  # not 100
    assert sorted(done) == done


def test_no_library_module_writes_to_the_terminal():
    root = Path(featkit.__file__).parent
    pattern = re.compile(r"\bsys\.(stderr|stdout)\b|(?<![\w.])print\(")
    offenders = [f"{path.relative_to(root)}:{i}"
                 for path in sorted(root.rglob("*.py"))
                 for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if pattern.search(line.split("#", 1)[0]) and not line.lstrip().startswith(">>>")]
    assert offenders == []
