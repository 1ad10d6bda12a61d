"""Reading a file as batches of category codes: column names, text tables, CodeBatches, row subsampling."""

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError, UnknownNameError
from featkit.io import CodeBatches, column_names, iter_tables
from featkit.utils._sampling import RowSubsample


def _frame(n=50):
    rng = np.random.RandomState(0)
    return pd.DataFrame({
        "code": [f"{v:03d}" for v in rng.randint(0, 5, n)],  # leading zeros: text, not numbers
        "num": np.round(rng.normal(size=n), 2),
        "gap": np.where(rng.rand(n) < 0.4, np.nan, rng.randint(0, 3, n)),
        "y": rng.randint(0, 2, n),
    })


def _write(frame, path):
    suffix = path.suffix
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".feather":
        frame.to_feather(path)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".feather"])
def test_column_names_from_the_header_or_schema(tmp_path, suffix):
    path = _write(_frame(), tmp_path / f"t{suffix}")
    assert column_names(path) == ["code", "num", "gap", "y"]


def test_column_names_refuse_duplicates(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(InputError, match="duplicate column names: 'a'"):
        column_names(path)


def test_text_tables_keep_raw_values(tmp_path):
    frame = _frame()
    csv = _write(frame, tmp_path / "t.csv")
    tables = list(iter_tables(csv, batch_size=20, columns=["y", "code"], as_text=True))
    assert [t.num_rows for t in tables] == [20, 20, 10]
    assert tables[0].column_names == ["y", "code"]
    assert all(str(t.schema.field(c).type) == "string" for t in tables for c in ("y", "code"))
    got = [v for t in tables for v in t.column("code").to_pylist()]
    assert got == frame["code"].tolist()  # "004" stays "004"
    typed = next(iter(iter_tables(_write(frame, tmp_path / "t.parquet"), batch_size=20)))
    assert str(typed.schema.field("y").type) == "int64"  # Parquet keeps its types


def test_header_only_file_has_no_rows(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("a,y\n")
    with pytest.raises(InputError, match="no rows of data"):
        list(iter_tables(path, as_text=True))


def _expected_codes(values):
    """Codes in order of first appearance, missing a category of its own."""
    codes, _ = pd.factorize(pd.Series(values), use_na_sentinel=False)
    return codes.tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_code_batches_are_per_batch_categories_with_statistics(tmp_path, suffix):
    frame = _frame()
    path = _write(frame, tmp_path / f"t{suffix}")
    source = CodeBatches(path, "y", drop=("num",), batch_size=20, n_bins=None)
    assert source.features == ["code", "gap"]
    batches = list(source)
    assert len(batches) == 3
    for b, (codes, ks, y_codes, k_y) in enumerate(batches):
        rows = frame.iloc[20 * b:20 * b + 20]
        for j, name in enumerate(source.features):
            assert codes[:, j].tolist() == _expected_codes(rows[name])
            assert ks[j] == rows[name].nunique(dropna=False)
        assert y_codes.tolist() == _expected_codes(rows["y"]) and k_y == rows["y"].nunique()
    assert source.rows_read == source.rows_scored == 50
    assert source.n_missing.tolist() == [0, int(frame["gap"].isna().sum())]
    assert [c.count() for c in source.distinct] == [frame["code"].nunique(), frame["gap"].nunique()]
    np.testing.assert_allclose(np.mean(source.batch_coverage, axis=0)[1],
                               np.mean([100 * frame["gap"].iloc[s:s + 20].notna().mean() for s in (0, 20, 40)]))
    assert len(source.label_values) == 2


def test_each_pass_starts_afresh(tmp_path):
    path = _write(_frame(), tmp_path / "t.csv")
    source = CodeBatches(path, "y", batch_size=20)
    first = [b[0].copy() for b in source]
    stats = (source.rows_read, source.n_missing.tolist(), [c.count() for c in source.distinct])
    second = [b[0] for b in source]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert (source.rows_read, source.n_missing.tolist(), [c.count() for c in source.distinct]) == stats
    source.reset()
    assert source.rows_read == 0 and not source.batch_coverage and source.n_missing.sum() == 0


def test_short_last_batch_is_left_out_unless_it_is_the_only_one(tmp_path):
    path = _write(_frame(50), tmp_path / "t.csv")
    assert [len(b[2]) for b in CodeBatches(path, "y", batch_size=20, short_tail=10)] == [20, 20]
    assert [len(b[2]) for b in CodeBatches(path, "y", batch_size=20, short_tail=9)] == [20, 20, 10]
    assert [len(b[2]) for b in CodeBatches(path, "y", batch_size=100, short_tail=60)] == [50]


def test_a_subsample_that_keeps_no_row_yields_no_batch(tmp_path):
    path = _write(_frame(50), tmp_path / "t.csv")
    source = CodeBatches(path, "y", batch_size=20, subsample=1000)
    assert list(source) == [] and source.rows_read == 50 and source.rows_scored == 0
    kept = CodeBatches(path, "y", batch_size=4, subsample=5)  # rows 5, 10, ..., 50
    assert [len(b[2]) for b in kept] == [4, 4, 2] and kept.rows_read == 50


def test_code_batches_name_unknown_columns(tmp_path):
    path = _write(_frame(), tmp_path / "t.csv")
    with pytest.raises(UnknownNameError, match="Did you mean 'y'"):
        CodeBatches(path, "Y")
    with pytest.raises(UnknownNameError, match="nope"):
        CodeBatches(path, "y", drop=("nope",))
    with pytest.raises(InputError, match="No feature column"):
        CodeBatches(path, "y", drop=("code", "num", "gap"))


def test_code_batches_report_rows_read(tmp_path):
    path = _write(_frame(50), tmp_path / "t.csv")
    calls = []
    list(CodeBatches(path, "y", batch_size=20, progress=lambda *a: calls.append(a)))
    assert calls[0] == ("20 rows", 20, None) and calls[-1] == ("50 rows", 50, None)


@pytest.mark.parametrize("subsample", [None, 1, 3, 0.3])
def test_row_subsample_in_chunks_equals_one_call(subsample):
    whole = RowSubsample(subsample, 7).take(1000)
    chunked = RowSubsample(subsample, 7)
    parts, offset = [], 0
    for size in (1, 99, 250, 650):
        taken = chunked.take(size)
        parts.append(np.arange(offset, offset + size) if taken is None else taken + offset)
        offset += size
    if whole is None:
        assert subsample in (None, 1) and np.array_equal(np.concatenate(parts), np.arange(1000))
    else:
        assert np.array_equal(np.concatenate(parts), whole)
    if subsample == 3:
        assert whole[:3].tolist() == [2, 5, 8]  # rows 3, 6, 9 counted from 1
