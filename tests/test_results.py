"""RankingResult: tabular view, JSON round trip, atomic saving."""

import json

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError
from featkit.io import ColumnInfo
from featkit.results import MethodResult, RankingResult


def _result():
    cols = [
        ColumnInfo("a", "numeric", "float64", 0, 0.0, 10),
        ColumnInfo("<b>", "categorical", "str", 2, 0.2, 3, note="target-encoded"),
        ColumnInfo("id", "id", "int64", 0, 0.0, 10, used=False, note="ID-like: excluded"),
        ColumnInfo("c", "numeric", "float64", 0, 0.0, 10),
    ]
    m1 = MethodResult("f_test", np.array([1.0, 3.0, np.nan]), np.array([2, 1, 3]), seconds=0.1)
    m2 = MethodResult("variance", np.array([5.0, 1.0, 2.0]), np.array([1, 3, 2]),
                      support=np.array([True, False, True]))
    return RankingResult(
        features=["a", "<b>", "c"], columns=cols, target="y", task="classification", n_rows=10,
        methods={"f_test": m1, "variance": m2},
        consensus_score=np.array([-1.5, -2.0, -2.5]), consensus_rank=np.array([1, 2, 3]),
        meta={"seed": 0},
    )


def test_to_frame_has_every_column_once_best_first_and_excluded_last():
    frame = _result().to_frame()
    assert frame["feature"].tolist() == ["a", "<b>", "c", "id"]
    assert frame["rank"].tolist()[:3] == [1, 2, 3] and pd.isna(frame["rank"].iloc[3])
    assert frame.loc[frame.feature == "c", "f_test_rank"].item() == 3
    assert frame.loc[frame.feature == "id", "notes"].item() == "ID-like: excluded"
    assert frame.loc[frame.feature == "<b>", "missing_pct"].item() == 20.0


def test_top():
    assert _result().top(2) == ["a", "<b>"]


def test_json_round_trip_is_strict_json(tmp_path):
    path = _result().save(tmp_path / "r.json")
    text = path.read_text()
    assert "NaN" not in text
    back = RankingResult.from_dict(json.loads(text))
    assert back.features == ["a", "<b>", "c"]
    assert np.isnan(back.methods["f_test"].scores[2])
    assert back.methods["variance"].support.tolist() == [True, False, True]
    pd.testing.assert_frame_equal(back.to_frame(), _result().to_frame())


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_save_tabular(tmp_path, suffix):
    path = _result().save(tmp_path / f"r{suffix}")
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    assert frame["feature"].tolist() == ["a", "<b>", "c", "id"]


def test_save_rejects_unknown_suffix_and_leaves_nothing(tmp_path):
    with pytest.raises(InputError, match=".csv"):
        _result().save(tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    result = _result()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(RuntimeError):
        result.save(tmp_path / "r.csv")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        _result().save(tmp_path / "nope" / "r.csv")


def test_saved_files_get_normal_permissions(tmp_path):
    import os
    import stat

    mask = os.umask(0o022)
    try:
        path = _result().save(tmp_path / "r.csv")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
