"""featkit.io: reading tables, typing columns, preparing features, encodings."""

import gzip

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError, UnknownNameError
from featkit.io import (
    ColumnInfo,
    encode_discrete,
    encode_numeric,
    infer_column_types,
    iter_batches,
    prepare_features,
    read_table,
)
from featkit.io._encode import TARGET_ENCODING_SMOOTHING, _fold_ids


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "count": rng.integers(0, 5, n),
            "flag": rng.random(n) < 0.5,
            "colour": rng.choice(["red", "green", "blue"], n),
            "y": rng.choice(["a", "b"], n),
        }
    )


# ---------------------------------------------------------------- read_table: formats


@pytest.mark.parametrize(
    "name, writer",
    [
        ("t.csv", lambda f, p: f.to_csv(p, index=False)),
        ("t.tsv", lambda f, p: f.to_csv(p, index=False, sep="\t")),
        ("t.csv.gz", lambda f, p: f.to_csv(p, index=False)),
        ("t.tsv.gz", lambda f, p: f.to_csv(p, index=False, sep="\t")),
        ("t.csv.bz2", lambda f, p: f.to_csv(p, index=False)),
        ("t.csv.zip", lambda f, p: f.to_csv(p, index=False)),
        ("t.txt", lambda f, p: f.to_csv(p, index=False, sep=";")),
        ("t.parquet", lambda f, p: f.to_parquet(p)),
        ("t.feather", lambda f, p: f.to_feather(p)),
    ],
)
def test_read_table_formats_round_trip(tmp_path, name, writer):
    frame = _frame()
    path = tmp_path / name
    writer(frame, path)
    got = read_table(path)
    assert got.columns.tolist() == frame.columns.tolist()
    np.testing.assert_allclose(got["num"], frame["num"])
    assert got["colour"].tolist() == frame["colour"].tolist()
    assert got["flag"].astype(bool).tolist() == frame["flag"].tolist()
    part = read_table(path, columns=["colour", "num"], nrows=7)
    assert part.columns.tolist() == ["colour", "num"] and len(part) == 7
    np.testing.assert_allclose(part["num"], frame["num"][:7])


def test_read_table_semicolon_csv_and_explicit_sep(tmp_path):
    path = tmp_path / "euro.csv"
    path.write_text("a;b\n1;x\n2;y\n")
    assert read_table(path).columns.tolist() == ["a", "b"]
    path2 = tmp_path / "pipe.dat.csv"
    path2.write_text("a|b\n1|x\n")
    assert read_table(path2, sep="|").columns.tolist() == ["a", "b"]


def test_read_table_spaces_after_separator(tmp_path):
    path = tmp_path / "spaced.csv"
    path.write_text("a, b, c\n1, 2.5, x\n3, 4, y\n")
    got = read_table(path)
    assert got.columns.tolist() == ["a", "b", "c"] and got["c"].tolist() == ["x", "y"]
    assert got["b"].dtype == np.float64


def test_read_table_windows_encodings(tmp_path):
    path = tmp_path / "l1.csv"
    path.write_bytes("name,v\ncaf\xe9,1\nna\xefve,2\n".encode("latin-1"))
    assert read_table(path)["name"].tolist() == ["café", "naïve"]
    # The undecodable byte may come long after a plain-ASCII header.
    late = tmp_path / "late.csv"
    late.write_bytes(("price,unit\n" + "1,eur\n" * 3000 + "2,\u20ac\n").encode("cp1252"))
    assert read_table(late)["unit"].iloc[-1] == "\u20ac"


def test_read_table_in_memory_objects():
    frame = _frame()
    got = read_table(frame)
    assert got is not frame and got.equals(frame)
    got["extra"] = 1.0  # a shallow copy: new columns do not reach the caller's frame
    assert "extra" not in frame
    arr = read_table(np.arange(12.0).reshape(4, 3))
    assert arr.columns.tolist() == ["x0", "x1", "x2"] and arr.shape == (4, 3)
    numbered = read_table(pd.DataFrame(np.zeros((2, 2))))
    assert numbered.columns.tolist() == ["0", "1"]
    with pytest.raises(InputError, match="2-d"):
        read_table(np.arange(3.0))
    with pytest.raises(InputError, match="Cannot read a table from a dict"):
        read_table({"a": [1]})


def test_read_table_polars():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"a": [1.0, 2.0, None], "s": ["x", None, "y"], "b": [True, False, True]})
    got = read_table(frame)
    assert got.columns.tolist() == ["a", "s", "b"]
    assert np.isnan(got["a"].iloc[2]) and pd.isna(got["s"].iloc[1])
    assert read_table(frame.lazy(), columns=["s"]).columns.tolist() == ["s"]
    kinds = [c.kind for c in infer_column_types(got)]
    assert kinds == ["numeric", "categorical", "boolean"]


def test_read_table_pandas3_string_dtype_is_categorical():
    frame = pd.DataFrame({"s": pd.array(["a", "b", None, "a"], dtype="string"), "t": ["u", "v", "u", "v"]})
    kinds = {c.name: c.kind for c in infer_column_types(frame)}
    assert kinds == {"s": "categorical", "t": "categorical"}


# ---------------------------------------------------------------- read_table: errors


def test_missing_file_suggests_close_names(tmp_path):
    (tmp_path / "train.csv").write_text("a\n1\n")
    with pytest.raises(InputError, match=r"No such file: .*trian\.csv.*Did you mean 'train.csv'"):
        read_table(tmp_path / "trian.csv")


def test_directory_and_unknown_extension(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_table(tmp_path)
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match="Cannot tell the format"):
        read_table(path)


@pytest.mark.parametrize("content", ["", "\n\n", "   \n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(InputError, match="is empty"):
        read_table(path)


def test_header_only(tmp_path):
    path = tmp_path / "head.csv"
    path.write_text("a,b,c\n")
    with pytest.raises(InputError, match="header but no rows"):
        read_table(path)
    gz = tmp_path / "head.csv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("a,b\n")
    with pytest.raises(InputError, match="header but no rows"):
        read_table(gz)
    pq = tmp_path / "head.parquet"
    pd.DataFrame({"a": pd.Series([], dtype=float)}).to_parquet(pq)
    with pytest.raises(InputError, match="no rows"):
        read_table(pq)


def test_ragged_rows_name_the_line(tmp_path):
    long_row = tmp_path / "long.csv"
    long_row.write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n")
    with pytest.raises(InputError, match="line 4 has 4 fields but the header has 3"):
        read_table(long_row)
    short_row = tmp_path / "short.csv"
    short_row.write_text("a,b,c\n1,2,3\n4,5\n7,8,9\n")
    with pytest.raises(InputError, match="line 3 has 2 fields but the header has 3"):
        read_table(short_row)
    # An empty last field is a missing value, not a ragged row.
    fine = tmp_path / "fine.csv"
    fine.write_text('a,b,c\n1,2,\n4,"x,y",6\n')
    got = read_table(fine)
    assert np.isnan(got["c"].iloc[0]) and got["b"].iloc[1] == "x,y"


def test_duplicate_column_names(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a,c,b\n1,2,3,4,5\n")
    with pytest.raises(InputError, match=r"duplicate column names: 'a', 'b'"):
        read_table(path)
    frame = pd.DataFrame([[1, 2]], columns=["x", "x"])
    with pytest.raises(InputError, match="duplicate column names: 'x'"):
        read_table(frame)


def test_unknown_column_and_bad_nrows(tmp_path):
    path = tmp_path / "t.csv"
    _frame().to_csv(path, index=False)
    with pytest.raises(UnknownNameError, match="Did you mean 'colour'"):
        read_table(path, columns=["color"])
    with pytest.raises(InputError, match="nrows"):
        read_table(path, nrows=0)


# ---------------------------------------------------------------- infer_column_types


def test_column_kinds():
    n = 30
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "small_int": rng.integers(0, 3, n),
            "b": rng.random(n) < 0.5,
            "b_obj": pd.Series([True, False, None] * 10, dtype=object),
            "cat": pd.Categorical(rng.choice(["u", "v"], n)),
            "text": rng.choice(["p", "q", "r"], n),
            "when": pd.date_range("2024-01-01", periods=n, freq="D"),
            "iso": [f"2024-01-{d:02d}" for d in range(1, n + 1)],
            "ident": [f"row{i}" for i in range(n)],
            "int_ident": np.arange(n) * 7,
            "float_unique": np.arange(n) + 0.5,
            "const": ["k"] * n,
            "empty": [np.nan] * n,
        }
    )
    infos = {c.name: c for c in infer_column_types(frame)}
    kinds = {name: info.kind for name, info in infos.items()}
    assert kinds == {
        "x": "numeric",
        "small_int": "numeric",
        "b": "boolean",
        "b_obj": "boolean",
        "cat": "categorical",
        "text": "categorical",
        "when": "datetime",
        "iso": "datetime",
        "ident": "id",
        "int_ident": "id",
        "float_unique": "numeric",
        "const": "constant",
        "empty": "empty",
    }
    assert not infos["ident"].used and "ID-like" in infos["ident"].note
    assert not infos["const"].used and "constant" in infos["const"].note
    assert not infos["empty"].used and "missing" in infos["empty"].note
    assert infos["b_obj"].n_missing == 10 and infos["b_obj"].missing_frac == pytest.approx(1 / 3)
    assert infos["text"].cardinality == 3
    as_cat = {c.name: c.kind for c in infer_column_types(frame, categorical_int_max=5)}
    assert as_cat["small_int"] == "categorical" and as_cat["int_ident"] == "id"


def test_id_needs_enough_rows_and_no_missing():
    frame = pd.DataFrame({"name": [f"n{i}" for i in range(10)], "v": np.arange(10.0)})
    assert infer_column_types(frame)[0].kind == "categorical"
    values = [f"n{i}" for i in range(30)]
    values[3] = None
    assert infer_column_types(pd.DataFrame({"name": values}))[0].kind == "categorical"


def test_inf_counts_as_missing_with_note():
    frame = pd.DataFrame({"v": [1.0, np.inf, -np.inf, np.nan, 2.0, 3.0]})
    (info,) = infer_column_types(frame)
    assert info.kind == "numeric" and info.n_missing == 3 and info.cardinality == 3
    assert "2 infinite values treated as missing" in info.note
    all_inf = infer_column_types(pd.DataFrame({"v": [np.inf, np.nan]}))[0]
    assert all_inf.kind == "empty" and not all_inf.used


def test_numbers_with_a_missing_marker_get_a_note():
    # 2 markers in 40 cells (5%) are stray cells of a numeric column ...
    values = [str(v) for v in np.arange(40) * 1.5]
    values[5] = values[17] = "?"
    (info,) = infer_column_types(pd.DataFrame({"v": values}))
    assert info.kind == "numeric" and info.n_missing == 2
    assert "2 non-numeric cells ('?') read as missing" in info.note
    # ... 4 in 40 (10%) are too many to guess: the column stays text, with a hint.
    values[9] = values[30] = "?"
    (info,) = infer_column_types(pd.DataFrame({"v": values}))
    assert info.kind == "categorical" and "mostly numbers but also '?'" in info.note
    (plain,) = infer_column_types(pd.DataFrame({"v": [f"w{i % 12}" for i in range(40)]}))
    assert plain.note == "12 categories"


def test_ambiguous_dates_stay_text():
    frame = pd.DataFrame({"d": ["03/04/2020", "05/06/2021", "03/04/2020"]})
    assert infer_column_types(frame)[0].kind == "categorical"


# ---------------------------------------------------------------- prepare_features


def test_prepare_features_end_to_end():
    n = 40
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "id": [f"c{i:03d}" for i in range(n)],
            "x": np.r_[np.inf, -np.inf, rng.normal(size=n - 2)],
            "flag": [True, False] * (n // 2),
            "when": [f"2024-03-{(i % 28) + 1:02d}T10:00:00" for i in range(n)],
            "colour": rng.choice(["red", "blue"], n),
            "const": 1,
            "target": np.r_[rng.choice(["yes", "no"], n - 3), [None, None, None]],
        }
    )
    data = prepare_features(frame, "target")
    assert data.target == "target" and data.task == "classification"
    assert data.n_rows == n - 3 and len(data.y) == n - 3 and data.y.notna().all()
    assert data.feature_names == ["x", "flag", "when", "colour"]
    assert [c.name for c in data.columns] == ["id", "x", "flag", "when", "colour", "const"]
    assert [c.used for c in data.columns] == [False, True, True, True, True, False]
    assert data.X["colour"].dtype == "category"
    assert data.X["flag"].dtype == bool
    assert data.X["when"].dtype == np.float64
    assert data.X["when"].iloc[0] == pd.Timestamp("2024-03-01T10:00:00", tz="UTC").timestamp()
    assert data.X["x"].isna().sum() == 2 and not np.isinf(data.X["x"]).any()
    notes = " | ".join(data.notes)
    assert "3 rows with a missing target 'target' dropped" in notes
    assert "'id' is ID-like" in notes and "'const' is constant" in notes
    assert "'x': 2 infinite values treated as missing" in notes
    kept = prepare_features(frame, "target", keep_id=True)
    assert kept.feature_names[0] == "id" and kept.X["id"].dtype == "category"


def test_prepare_features_inf_becomes_missing_with_note():
    frame = pd.DataFrame({"x": [1.0, np.inf, 2.0, -np.inf, 5.0, 3.0], "y": [0, 1, 0, 1, 0, 1]})
    data = prepare_features(frame, "y")
    assert data.X["x"].isna().sum() == 2 and not np.isinf(data.X["x"]).any()
    assert any("infinite values treated as missing" in note for note in data.notes)
    assert np.isinf(frame["x"]).sum() == 2  # the input is untouched


def test_prepare_features_unknown_target_suggests():
    frame = _frame()
    with pytest.raises(UnknownNameError, match=r"no target column 'Y'.*Did you mean 'y'"):
        prepare_features(frame, "Y")
    with pytest.raises(UnknownNameError, match=r"no target column 'colr'.*Did you mean 'colour'"):
        prepare_features(frame, "colr")
    with pytest.raises(InputError):  # UnknownNameError is an InputError
        prepare_features(frame, "nothing_like_it")


def test_prepare_features_bad_targets():
    frame = _frame()
    with pytest.raises(InputError, match="1 class"):
        prepare_features(frame.assign(y="a"), "y")
    with pytest.raises(InputError, match="every row is missing"):
        prepare_features(frame.assign(y=np.nan), "y")
    with pytest.raises(InputError, match="constant"):
        prepare_features(frame.assign(y=2.5), "y", task="regression")
    with pytest.raises(InputError, match="not numeric"):
        prepare_features(frame, "colour", task="regression")


def test_prepare_features_drop_and_no_usable_feature():
    frame = _frame()
    data = prepare_features(frame, "y", drop=["num", "count"])
    assert data.feature_names == ["flag", "colour"]
    assert {c.name: c.used for c in data.columns}["num"] is False
    assert "dropped on request" in data.column("num").note
    with pytest.raises(UnknownNameError, match="Did you mean 'num'"):
        prepare_features(frame, "y", drop=["numm"])
    with pytest.raises(InputError, match="also listed to drop"):
        prepare_features(frame, "y", drop=["y"])
    with pytest.raises(InputError, match="No usable feature left besides the target 'y'"):
        prepare_features(frame, "y", drop=["num", "count", "flag", "colour"])
    only_bad = pd.DataFrame({"id": [f"r{i}" for i in range(25)], "k": 0, "y": [0, 1] * 12 + [0]})
    with pytest.raises(InputError, match=r"No usable feature left.*'id' \(ID-like.*'k' \(constant"):
        prepare_features(only_bad, "y")


def test_prepare_features_unsupervised_and_sample():
    frame = _frame(n=200)
    data = prepare_features(frame)
    assert data.y is None and data.task is None and "y" in data.feature_names
    a = prepare_features(frame, "y", sample=50, random_state=3)
    b = prepare_features(frame, "y", sample=50, random_state=3)
    c = prepare_features(frame, "y", sample=50, random_state=4)
    assert a.n_rows == 50 and a.X.equals(b.X) and not a.X.equals(c.X)
    assert any("sample of 50 of 200 rows" in note for note in a.notes)
    assert prepare_features(frame, "y", sample=500).n_rows == 200
    with pytest.raises(InputError, match="sample"):
        prepare_features(frame, "y", sample=0)


def test_prepare_features_from_file_and_polars(tmp_path):
    path = tmp_path / "t.tsv"
    _frame().to_csv(path, sep="\t", index=False)
    assert prepare_features(path, "y").feature_names == ["num", "count", "flag", "colour"]
    pl = pytest.importorskip("polars")
    data = prepare_features(pl.from_pandas(_frame()), "y")
    assert data.X["colour"].dtype == "category" and data.task == "classification"


# ---------------------------------------------------------------- encode_numeric


def _label_carrying_frame(n=600, seed=0, task="classification"):
    rng = np.random.default_rng(seed)
    signal_cat = rng.integers(0, 6, n)
    if task == "classification":
        y = (rng.random(n) < np.array([0.1, 0.2, 0.4, 0.6, 0.8, 0.9])[signal_cat]).astype(int)
    else:
        y = signal_cat * 1.0 + rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "signal": pd.Categorical([f"s{k}" for k in signal_cat]),
            "noise": pd.Categorical(rng.choice([f"n{k}" for k in range(12)], n)),
            "unique": pd.Categorical([f"u{i}" for i in range(n)]),
        }
    )
    return frame, y


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_target_encoding_separates_signal_from_noise(task):
    frame, y = _label_carrying_frame(task=task)
    encoded = encode_numeric(frame, None, y, task)
    assert encoded.dtype == np.float64 and encoded.shape == (len(y), 3)
    corr = [abs(np.corrcoef(encoded[:, j], y)[0, 1]) if np.ptp(encoded[:, j]) else 0.0 for j in range(3)]
    assert corr[0] > 0.5
    assert corr[1] < 0.2  # out-of-fold noise: |corr| ~ 1/sqrt(n), with a slight negative bias
    # A category unique to its row never sees its own label: it gets the prior.
    assert np.ptp(encoded[:, 2]) == 0.0
    assert encoded[0, 2] == pytest.approx(np.mean(y))
    # In-sample target means (no cross-fitting) would leak the label perfectly.
    naive = pd.Series(y).groupby(frame["unique"].to_numpy()).transform("mean").to_numpy()
    assert abs(np.corrcoef(naive, y)[0, 1]) > 0.99


def test_target_encoding_matches_direct_loop():
    rng = np.random.default_rng(5)
    n = 47
    cats = rng.choice(["a", "b", "c", "d"], n)
    cats[[3, 9]] = None
    y = rng.normal(size=n)
    frame = pd.DataFrame({"c": cats})
    encoded = encode_numeric(frame, None, y, "regression", impute=False, random_state=11)
    folds = _fold_ids(y.reshape(-1, 1), "regression", 11)
    m = TARGET_ENCODING_SMOOTHING
    prior = y.mean()
    expected = np.empty(n)
    for i in range(n):
        if cats[i] is None:
            expected[i] = np.nan
            continue
        others = [k for k in range(n) if folds[k] != folds[i] and cats[k] == cats[i]]
        expected[i] = (y[others].sum() + m * prior) / (len(others) + m)
    np.testing.assert_allclose(encoded[:, 0], expected, rtol=1e-12, equal_nan=True)
    assert len(np.unique(folds)) == 5


def test_multiclass_encoding_gives_distinct_values_and_no_leak():
    rng = np.random.default_rng(2)
    n = 900
    level = rng.integers(0, 3, n)
    # Each level points to its own class: one number must still tell them apart.
    y = np.where(rng.random(n) < 0.8, level, rng.integers(0, 3, n))
    labels = np.array(["cat", "dog", "eel"])[y]
    frame = pd.DataFrame({"c": [f"L{k}" for k in level], "u": [f"u{i}" for i in range(n)]})
    encoded = encode_numeric(frame, None, labels)
    means = [encoded[level == k, 0].mean() for k in range(3)]
    spread = np.ptp(encoded[:, 0])
    assert min(abs(means[0] - means[1]), abs(means[1] - means[2]), abs(means[0] - means[2])) > 0.2 * spread
    assert np.ptp(encoded[:, 1]) == 0.0
    # One-way ANOVA F of the encoded column across the classes.
    x = encoded[:, 0]
    between = sum((y == k).sum() * (x[y == k].mean() - x.mean()) ** 2 for k in range(3)) / 2
    within = sum(((x[y == k] - x[y == k].mean()) ** 2).sum() for k in range(3)) / (n - 3)
    assert between / within > 100


def test_encode_numeric_deterministic_and_seeded():
    frame, y = _label_carrying_frame()
    a = encode_numeric(frame, None, y, random_state=0)
    b = encode_numeric(frame, None, y, random_state=0)
    c = encode_numeric(frame, None, y, random_state=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[:, 0], c[:, 0])


def test_encode_numeric_kinds_frequency_and_impute():
    frame = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0, np.inf],
            "b": [True, False, True, True],
            "c": ["a", "a", None, "b"],
            "t": pd.to_datetime(["1970-01-01", "1970-01-02", None, "1970-01-03"]),
        }
    )
    out = encode_numeric(frame, impute=False)
    np.testing.assert_array_equal(out[:, 0], [1.0, np.nan, 3.0, np.nan])
    np.testing.assert_array_equal(out[:, 1], [1.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(out[:, 2], [0.5, 0.5, np.nan, 0.25])
    np.testing.assert_array_equal(out[:, 3], [0.0, 86400.0, np.nan, 172800.0])
    filled = encode_numeric(frame)
    np.testing.assert_array_equal(filled[:, 0], [1.0, 2.0, 3.0, 2.0])
    np.testing.assert_array_equal(filled[:, 2], [0.5, 0.5, 0.5, 0.25])
    # ColumnInfo kinds are honoured: an integer column declared categorical.
    ints = pd.DataFrame({"k": [1, 1, 2, 7]})
    info = [ColumnInfo("k", "categorical", "int64", 0, 0.0, 3)]
    np.testing.assert_array_equal(encode_numeric(ints, info)[:, 0], [0.5, 0.5, 0.25, 0.25])
    np.testing.assert_array_equal(encode_numeric(ints)[:, 0], [1.0, 1.0, 2.0, 7.0])


def test_encode_numeric_with_prepared_data():
    frame, y = _label_carrying_frame(n=120)
    data = prepare_features(frame.assign(target=y), "target", keep_id=True)
    out = encode_numeric(data.X, data.columns, data.y, data.task)
    assert out.shape == (120, 3) and np.isfinite(out).all()
    # the m-estimate of the docstring, by hand: the rows of the other folds that
    # share the row's category, smoothed towards the overall share of class 1
    from featkit.io._encode import TARGET_ENCODING_SMOOTHING as m
    from featkit.io._encode import _fold_ids

    target = (np.asarray(data.y) == np.unique(data.y)[1]).astype(float)
    folds = _fold_ids(target[:, None], "classification", 0)
    prior = target.mean()
    for j, name in enumerate(data.X.columns):
        cats = data.X[name].astype(str).to_numpy()
        want = [(target[other].sum() + m * prior) / (other.sum() + m)
                for i in range(120) for other in [(cats == cats[i]) & (folds != folds[i])]]
        np.testing.assert_allclose(out[:, j], want, rtol=1e-12)
    assert np.allclose(out[:, list(data.X.columns).index("unique")], prior)  # own label never used
    with pytest.raises(InputError, match="rows"):
        encode_numeric(data.X, data.columns, data.y[:10])


# ---------------------------------------------------------------- encode_discrete


def test_encode_discrete_bins_and_codes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    x[:10] = np.nan
    frame = pd.DataFrame({"x": x, "c": rng.choice(["b", "a", "c"], 1000), "flag": rng.random(1000) < 0.3})
    codes = encode_discrete(frame, n_bins=10)
    assert codes.dtype == np.int64 and codes.shape == (1000, 3)
    assert set(codes[:10, 0]) == {10} and set(codes[10:, 0]) == set(range(10))
    counts = np.bincount(codes[10:, 0])
    assert counts.min() >= 95 and counts.max() <= 105  # quantile bins are near-equal
    # Bins follow the order of the values.
    assert np.all(np.diff([x[10:][codes[10:, 0] == k].max() for k in range(10)]) > 0)
    np.testing.assert_array_equal(codes[:, 1], pd.Series(frame["c"]).map({"a": 0, "b": 1, "c": 2}).to_numpy())
    np.testing.assert_array_equal(codes[:, 2], frame["flag"].astype(int).to_numpy())


def test_encode_discrete_distinct_values_and_ties():
    frame = pd.DataFrame({"v": [5.0, 1.0, 5.0, np.nan, 3.0], "c": pd.Categorical(["x", None, "y", "x", "x"])})
    codes = encode_discrete(frame, n_bins=None)
    np.testing.assert_array_equal(codes[:, 0], [2, 0, 2, 3, 1])
    np.testing.assert_array_equal(codes[:, 1], [0, 2, 1, 0, 0])
    heavy_ties = pd.DataFrame({"v": [0.0] * 90 + list(range(1, 11))})
    tied = encode_discrete(heavy_ties, n_bins=4)[:, 0]
    assert len(np.unique(tied)) <= 4 and tied.max() == len(np.unique(tied)) - 1
    with pytest.raises(InputError, match="n_bins"):
        encode_discrete(frame, n_bins=1)


# ---------------------------------------------------------------- iter_batches


@pytest.mark.parametrize("name", ["b.csv", "b.tsv.gz", "b.parquet", "b.feather"])
def test_iter_batches_matches_read_table(tmp_path, name):
    frame = _frame(n=250)
    frame.loc[[3, 77], "num"] = np.nan
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path, row_group_size=60)
    elif name.endswith(".feather"):
        frame.to_feather(path, chunksize=70)
    else:
        frame.to_csv(path, index=False, sep="\t" if ".tsv" in name else ",")
    batches = list(iter_batches(path, batch_size=64))
    assert [len(b) for b in batches] == [64, 64, 64, 58]
    whole = pd.concat(batches, ignore_index=True)
    np.testing.assert_allclose(whole["num"], frame["num"])
    assert whole["colour"].tolist() == frame["colour"].tolist()
    np.testing.assert_allclose(whole["count"].astype(float), frame["count"])
    only = list(iter_batches(path, batch_size=1000, columns=["colour"]))
    assert len(only) == 1 and only[0].columns.tolist() == ["colour"]


def test_iter_batches_csv_types_stable_and_errors(tmp_path):
    path = tmp_path / "ints.csv"
    path.write_text("a,b\n" + "".join(f"{i},x{i}\n" for i in range(10)))
    batches = list(iter_batches(path, batch_size=4))
    assert all(b["a"].dtype == np.float64 for b in batches)  # integers widened for later decimals
    with pytest.raises(InputError, match="No such file"):
        iter_batches(tmp_path / "none.csv")
    with pytest.raises(UnknownNameError, match="Did you mean 'a'"):
        iter_batches(path, columns=["A"])
    with pytest.raises(InputError, match="batch_size"):
        iter_batches(path, batch_size=0)
    head = tmp_path / "head.csv"
    head.write_text("a,b\n")
    with pytest.raises(InputError, match="no rows"):
        list(iter_batches(head))
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n")
    with pytest.raises(InputError, match="line 3 has 1 field but the header has 2"):
        list(iter_batches(ragged))


def test_objects_holding_numbers_or_datetimes_and_bom(tmp_path):
    import datetime as dt

    frame = pd.DataFrame(
        {
            "o": pd.Series([1.0, 2.5, None, 4.0], dtype=object),
            "d": pd.Series([dt.datetime(1970, 1, 2), None, dt.datetime(1970, 1, 3), dt.datetime(1970, 1, 1)], dtype=object),
            "y": [0, 1, 0, 1],
        }
    )
    assert [c.kind for c in infer_column_types(frame)] == ["numeric", "datetime", "numeric"]
    data = prepare_features(frame, "y")
    np.testing.assert_array_equal(data.X["o"], [1.0, 2.5, np.nan, 4.0])
    np.testing.assert_array_equal(data.X["d"], [86400.0, np.nan, 172800.0, 0.0])
    path = tmp_path / "bom.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8-sig")
    assert read_table(path).columns.tolist() == ["a", "b"]
    with pytest.raises(InputError, match="not numeric"):
        encode_numeric(pd.DataFrame({"c": ["u", "v"]}), None, ["p", "q"], "regression")
