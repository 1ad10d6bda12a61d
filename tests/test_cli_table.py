"""The console table fits the terminal; the consensus is the mean rank everywhere;
scores carry the digits that tell neighbours apart (#17.1-3)."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from featkit.base import ranking_from_scores
from featkit.io import ColumnInfo
from featkit.results import MethodResult, RankingResult
from featkit_cli._table import abbreviate, parse_top, print_ranking

METHODS = ["f_test", "mutual_info", "random_forest", "inffs_s", "ecfs", "pfa", "l1"]


def _wide_result(d=30, aggregation="mean_rank"):
    rng = np.random.default_rng(0)
    names = [f"gene_expression_level_{i:04d}_long_suffix" for i in range(d)]
    methods = {}
    for name in METHODS:
        # Inf-FS-like scores: all agree to four digits
        scores = 1.013 + rng.permutation(d) * 1e-6 if name == "inffs_s" else rng.random(d)
        methods[name] = MethodResult(name, scores, ranking_from_scores(scores))
    ranks = np.array([m.ranking for m in methods.values()])
    score = -ranks.mean(axis=0) if aggregation == "mean_rank" else (d - ranks).sum(axis=0)
    cols = [ColumnInfo(f, "numeric", "float64", 0, 0.0, 10) for f in names]
    return RankingResult(names, cols, "y", "classification", 100, methods, score,
                         ranking_from_scores(score), aggregation=aggregation)


def _printed(capsys, result, **kw):
    print_ranking(result, **kw)
    return capsys.readouterr().out


def _rows(text):
    return [ln for ln in text.splitlines() if ln.startswith("\u2502")]


def test_80_columns_keeps_rank_feature_consensus_and_says_what_is_left_out(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = _wide_result()
    text = _printed(capsys, result)
    assert max(len(ln) for ln in text.splitlines()) <= 80
    rows = _rows(text)
    assert len(rows) == 20  # the best 20 by default
    for line in rows:
        # the name is cut with an ellipsis on its own row, never wrapped onto the next
        assert re.search(r"gene_expression_level_\d{4}\w*\u2026", line)
    assert not any(ln.startswith("\u2502      \u2502 ") and "long_suffix" in ln for ln in rows)
    assert "mean rank" in text and "consensus" in text
    shown_methods = [m for m in METHODS if m in text.split("Not shown")[0]]
    assert shown_methods == METHODS[:len(shown_methods)] and 1 <= len(shown_methods) < len(METHODS)
    left_out = text.split("Not shown at 80 characters wide: ")[1].split(" (")[0]
    assert left_out.split(", ") == METHODS[len(shown_methods):]
    assert "Showing the best 20 of 30 ranked features; the other 10 are in the saved output" in text
    assert "--top all" in text


def test_200_columns_shows_every_method_and_full_names(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = _wide_result()
    text = _printed(capsys, result)
    assert max(len(ln) for ln in text.splitlines()) <= 200
    assert "Not shown" not in text and "\u2026" not in text
    for name in METHODS:
        assert name in text
    best = result.features[result.order()[0]]
    assert best in _rows(text)[0]


def test_top_all_prints_every_row_and_parse_top():
    assert parse_top("all") is None and parse_top("ALL") is None
    assert parse_top("7") == 7 and parse_top(None) == 20
    with pytest.raises(Exception, match="at least 1"):
        parse_top("0")
    with pytest.raises(Exception, match="'all'"):
        parse_top("many")


def test_top_none_prints_all(capsys):
    text = _printed(capsys, _wide_result(), top=None, width=200)
    assert len(_rows(text)) == 30 and "Showing the best" not in text


def test_abbreviate():
    assert abbreviate("short", 10) == "short"
    assert abbreviate("a_long_feature_name", 8) == "a_long_\u2026"


def test_digits_tell_inffs_neighbours_apart(capsys):
    result = _wide_result()
    text = _printed(capsys, result, top=None, width=220)
    header = [ln for ln in text.splitlines() if "inffs_s" in ln][0]
    col = [c.strip() for c in header.split("\u2503")].index("inffs_s")
    cells = [ln.split("\u2502")[col].strip().split(" (")[0] for ln in _rows(text)]
    values = result.methods["inffs_s"].scores
    assert len(set(cells)) == len(set(values.tolist())) == 30


def test_consensus_is_the_mean_rank_in_every_output(tmp_path, capsys):
    result = _wide_result(d=5)
    mean_rank = np.mean([m.ranking for m in result.methods.values()], axis=0)
    np.testing.assert_allclose(result.consensus_values, mean_rank)
    frame = result.to_frame()
    assert "consensus" not in frame.columns
    by_name = frame.set_index("feature")["consensus_mean_rank"]
    np.testing.assert_allclose(by_name[result.features].to_numpy(), mean_rank)
    assert (frame["consensus_mean_rank"] > 0).all()
    csv = pd.read_csv(result.save(tmp_path / "r.csv"))
    assert list(csv.columns[:3]) == ["rank", "feature", "consensus_mean_rank"]
    saved = json.loads(result.save(tmp_path / "r.json").read_text())
    np.testing.assert_allclose(saved["consensus_mean_rank"], mean_rank)
    back = RankingResult.from_dict(saved)
    np.testing.assert_allclose(back.consensus_score, result.consensus_score)
    # the console shows the same positive number
    best = int(result.order()[0])
    row = _rows(_printed(capsys, result, width=200))[0]
    assert f"{mean_rank[best]:.4g}" in row


def test_older_json_with_consensus_score_still_loads():
    result = _wide_result(d=4)
    d = result.to_dict()
    d["consensus_score"] = d.pop("consensus_mean_rank")
    d["consensus_score"] = [-v for v in d["consensus_score"]]
    back = RankingResult.from_dict(d)
    np.testing.assert_allclose(back.consensus_values, result.consensus_values)


def test_borda_keeps_its_own_name():
    result = _wide_result(d=5, aggregation="borda")
    frame = result.to_frame()
    assert "consensus_borda_points" in frame.columns
    assert result.consensus_label == "Borda points (higher = better)"
    np.testing.assert_allclose(frame.set_index("feature").loc[result.features, "consensus_borda_points"],
                               result.consensus_score)


def test_report_table_and_bar_use_the_mean_rank_with_enough_digits():
    from featkit.report._sections import ranking

    result = _wide_result(d=12)
    section = ranking(result)
    assert section["consensus_head"] == "consensus_mean_rank"
    first = section["rows"][0]
    assert float(first["consensus"]) == pytest.approx(result.consensus_values[result.order()[0]], rel=1e-3)
    assert float(first["consensus"]) > 0
    inffs = [r["methods"][METHODS.index("inffs_s")]["score"] for r in section["rows"]]
    assert len(set(inffs)) == 12
    assert "mean rank" in section["chart"] and "mean rank -" not in section["chart"]
