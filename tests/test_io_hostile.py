"""Hostile inputs at the reader (issue #11, items 3, 10 and 12): each one is read
correctly or refused with one sentence naming the column, the line or the file."""

import os
import sys

import numpy as np
import pandas as pd
import pytest

from featkit.exceptions import InputError
from featkit.io import infer_column_types, iter_batches, prepare_features, read_table
from featkit.io._numeric_text import parse_numeric_text
from featkit.registry import REGISTRY
from featkit.selection._outrank import outrank_file
from featkit.utils import check_target
from featkit_cli.app import main

N = 60


def _signal(seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, N)
    return rng.normal(size=N) + 2 * y, rng.normal(size=N), y


def _cli_error(capsys, *args):
    """Run the CLI; return its one error line (exit 2, nothing else on stderr)."""
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("featkit: error: "), err
    return lines[0]


def _cli_ok(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out + out.err


# ------------------------------------------------- item 3: numbers stored as text
def _decimal_comma_csv(path):
    x, noise, y = _signal()
    lines = ["signal;noise;y"] + [
        f"{a:.4f};{b:.4f};{c}".replace(".", ",") for a, b, c in zip(x, noise, y)
    ]
    path.write_text("\n".join(lines) + "\n")
    return x


def test_decimal_commas_in_a_semicolon_file_are_numbers(tmp_path):
    x = _decimal_comma_csv(tmp_path / "dc.csv")
    data = prepare_features(tmp_path / "dc.csv", "y")
    assert data.feature_names == ["signal", "noise"]
    info = data.column("signal")
    assert info.kind == "numeric" and info.used and "decimal comma" in info.note
    np.testing.assert_allclose(data.X["signal"].to_numpy(), np.round(x, 4))
    assert any("decimal comma" in n for n in data.notes)


def test_thousands_separators_are_numbers(tmp_path):
    x, _, y = _signal()
    path = tmp_path / "thousands.csv"
    rows = "".join(f'"{v * 1e5:,.2f}",{c}\n' for v, c in zip(x, y))
    path.write_text("amount,y\n" + rows)
    data = prepare_features(path, "y")
    info = data.column("amount")
    assert info.kind == "numeric" and "thousands separator" in info.note
    np.testing.assert_allclose(data.X["amount"].to_numpy(), np.round(x * 1e5, 2))
    # '.' grouping thousands with a decimal comma, as written in much of Europe
    parsed = parse_numeric_text(pd.Series(["1.234,5", "12,25", "3.000.000,0"]))
    assert parsed.style == "decimal_comma" and parsed.values.tolist() == [1234.5, 12.25, 3e6]


def test_ambiguous_comma_follows_the_file_separator():
    cells = pd.Series(["1,234", "5,678", "12,500"])
    assert parse_numeric_text(cells, ";").values.tolist() == [1.234, 5.678, 12.5]
    assert parse_numeric_text(cells, ",").values.tolist() == [1234.0, 5678.0, 12500.0]


@pytest.mark.parametrize("stray", ["oops", "1.5\x00"])
def test_a_few_stray_cells_are_missing_not_id_like(tmp_path, stray):
    x, _, y = _signal()
    cells = [repr(float(v)) for v in x]
    cells[7] = stray
    path = tmp_path / "stray.csv"
    path.write_text("value,y\n" + "".join(f"{a},{b}\n" for a, b in zip(cells, y)))
    (info,) = [c for c in infer_column_types(read_table(path)) if c.name == "value"]
    assert info.kind == "numeric" and info.used and info.n_missing == 1
    assert f"1 non-numeric cell ({stray!r}) read as missing" in info.note
    data = prepare_features(path, "y")
    assert np.isnan(data.X["value"].iloc[7]) and data.X["value"].notna().sum() == N - 1


def test_numbers_as_text_are_never_id_like():
    values = [f"{v:.6f}" for v in np.linspace(0, 1, 50)]
    (info,) = infer_column_types(pd.DataFrame({"v": values}))
    assert info.kind == "numeric" and info.used and "ID-like" not in info.note
    # beyond the stray-cell threshold the column stays text, yet still not ID-like
    values[:5] = [f"w{i}" for i in range(5)]
    (info,) = infer_column_types(pd.DataFrame({"v": values}))
    assert info.kind == "categorical"


def test_cli_ranks_a_decimal_comma_file(tmp_path, capsys):
    _decimal_comma_csv(tmp_path / "dc.csv")
    text = _cli_ok(capsys, "rank", tmp_path / "dc.csv", "-t", "y", "-m", "f_test")
    assert "ID-like" not in text and "decimal comma" in text


# ------------------------------------------------------ item 10: reader-level
def test_quoted_newline_in_a_column_name(tmp_path, capsys):
    x, noise, y = _signal()
    path = tmp_path / "nl.csv"
    path.write_text('a,"c\nnewline",y\n' + "".join(f"{p},{q},{r}\n" for p, q, r in zip(x, noise, y)))
    assert read_table(path).columns.tolist() == ["a", "c\nnewline", "y"]
    batches = list(iter_batches(path, batch_size=25))
    assert batches[0].columns.tolist() == ["a", "c\nnewline", "y"] and sum(map(len, batches)) == N
    features, _, _ = outrank_file(path, "y")
    assert features == ["a", "c\nnewline"]
    _cli_ok(capsys, "rank", path, "-t", "y", "-m", "f_test")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_files_are_decoded(tmp_path, capsys, encoding):
    x, noise, y = _signal()
    path = tmp_path / "wide.csv"
    text = "a,b,y\n" + "".join(f"{p},{q},{r}\n" for p, q, r in zip(x, noise, y))
    path.write_bytes(text.encode(encoding))  # "utf-16" / "utf-32" write a BOM, "utf-16-le" none
    frame = read_table(path)
    assert frame.columns.tolist() == ["a", "b", "y"] and len(frame) == N
    np.testing.assert_allclose(frame["a"].to_numpy(), x)
    if encoding != "utf-32":  # pyarrow transcodes utf-32 too slowly to matter; the reader is shared
        assert sum(map(len, iter_batches(path))) == N
    _cli_ok(capsys, "rank", path, "-t", "y", "-m", "f_test")


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_broken_symlink_is_named_as_such(tmp_path, capsys):
    link = tmp_path / "data.csv"
    os.symlink(tmp_path / "gone" / "data.csv", link)
    with pytest.raises(InputError, match="broken link: it points to .*gone"):
        read_table(link)
    line = _cli_error(capsys, "rank", link, "-t", "y")
    assert "broken link" in line and "Did you mean" not in line
    assert "broken link" in _cli_error(capsys, "rank", link, "-t", "y", "--stream", "-m", "outrank")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_fifo_is_not_called_empty(tmp_path, capsys):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file but a named pipe"):
        read_table(fifo)
    line = _cli_error(capsys, "rank", fifo, "-t", "y")
    assert "named pipe" in line and "is empty" not in line


def _overflow_csv(path, feature_scale=1.0, target_scale=None):
    x, noise, y = _signal()
    target = y if target_scale is None else (y + np.abs(noise)) * target_scale
    path.write_text("big,small,y\n" + "".join(
        f"{float(p) * feature_scale!r},{float(q)!r},{float(t)!r}\n" for p, q, t in zip(x, noise, target)))
    return path


def test_values_near_float_max_are_refused_naming_the_column(tmp_path, capsys):
    path = _overflow_csv(tmp_path / "big.csv", feature_scale=1e307)
    with pytest.raises(InputError, match="column 'big' holds values as large as"):
        prepare_features(path, "y")
    line = _cli_error(capsys, "rank", path, "-t", "y", "-m", "f_test")
    assert "'big'" in line and "Rescale" in line
    target = _overflow_csv(tmp_path / "bigy.csv", target_scale=1e307)
    line = _cli_error(capsys, "rank", target, "-t", "y", "-m", "f_test")
    assert "target 'y'" in line and "--drop" not in line


def test_overflow_is_refused_in_the_python_api():
    from featkit.selection import FTestRanker

    x, noise, y = _signal()
    with pytest.raises(InputError, match="column 'big'"):
        FTestRanker().fit(pd.DataFrame({"big": x * 1e307, "small": noise}), y)
    with pytest.raises(InputError, match="column 0 of X"):
        FTestRanker().fit(np.column_stack([x * 1e307, noise]), y)
    with pytest.raises(InputError, match="target holds values"):
        FTestRanker(task="regression").fit(np.column_stack([x, noise]), noise * 1e307)


def test_stream_ragged_csv_names_the_line(tmp_path, capsys):
    x, noise, y = _signal()
    rows = [f"{p},{q},{r}" for p, q, r in zip(x, noise, y)]
    rows[30] += ",9"
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    line = _cli_error(capsys, "rank", path, "-t", "y", "--stream", "-m", "outrank")
    assert "line 32 has 4 fields but the header has 3" in line


@pytest.mark.parametrize("method", ["outrank", "outrank_3mr"])
def test_stream_one_class_target_is_refused(tmp_path, capsys, method):
    x, noise, _ = _signal()
    path = tmp_path / "one.csv"
    path.write_text("a,b,y\n" + "".join(f"{p},{q},1\n" for p, q in zip(x, noise)))
    line = _cli_error(capsys, "rank", path, "-t", "y", "--stream", "-m", method)
    assert "has 1 class (only '1'); classification needs at least 2" in line


def test_messages_hold_plain_values_not_numpy_reprs(tmp_path, capsys):
    with pytest.raises(InputError) as info:
        check_target(np.array([1, 1, 1], dtype=np.int64), "classification")
    assert "(only 1)" in str(info.value) and "np." not in str(info.value)
    x, noise, _ = _signal()
    path = tmp_path / "one.csv"
    path.write_text("a,b,y\n" + "".join(f"{p},{q},1\n" for p, q in zip(x, noise)))
    line = _cli_error(capsys, "rank", path, "-t", "y", "-m", "f_test")
    assert "(only 1)" in line and "np.int64" not in line


# --------------------------------------------- item 12: text in the Python API
def _selectors():
    return sorted(name for name, spec in REGISTRY.items() if spec.is_installed())


@pytest.mark.parametrize("name", _selectors())
@pytest.mark.parametrize("kind", ["category", "text"])
def test_every_selector_reads_a_text_column(name, kind):
    # #17.6: text is encoded as featkit rank encodes it, no longer refused
    spec = REGISTRY[name]
    x, noise, y = _signal()
    words = np.where(noise > 0, "up", "down")
    frame = pd.DataFrame({"x": x, "word": pd.Categorical(words) if kind == "category" else words})
    estimator = spec.make()
    estimator.fit(frame, y if spec.needs_target else None)
    assert list(estimator.feature_names_in_) == ["x", "word"]
    assert estimator.scores_.shape == (2,)


@pytest.mark.parametrize("name", [n for n in _selectors() if REGISTRY[n].needs_target])
def test_labels_mixing_text_and_numbers_are_named(name):
    spec = REGISTRY[name]
    x, noise, _ = _signal()
    y = np.array([1, "a"] * (N // 2), dtype=object)
    estimator = spec.make()
    if spec.input == "categorical":  # the label is used as its raw values
        estimator.fit(np.column_stack([x, noise]), y)
        return
    with pytest.raises(InputError, match="mixes text and numbers"):
        estimator.fit(np.column_stack([x, noise]), y)


def test_decomposers_name_a_text_column():
    from featkit.decomposition import PCA

    frame = pd.DataFrame({"x": np.arange(10.0), "word": ["a", "b"] * 5})
    with pytest.raises(InputError, match="Column 'word' is text"):
        PCA(n_components=1).fit(frame)
