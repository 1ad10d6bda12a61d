"""The engine's encodings share memory and are let go early, without changing a score (#13)."""

import numpy as np
import pandas as pd
import pytest

from featkit import _fitting
from featkit._encodings import _Encodings
from featkit.base import canonical_column_order
from featkit.io import encode_numeric, prepare_features
from featkit.io._encode import encode_discrete_values
from featkit.ranking import _fit_method, default_methods, rank_features
from featkit.registry import get_method

KINDS = ("numeric_nan", "numeric_imputed", "categorical")


def _mixed(n=240, missing=True, categorical=True, seed=0):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(5)})
    frame["code"] = rng.randint(0, 4, n)
    if categorical:
        frame["colour"] = rng.choice(["red", "green", "blue"], n)
        frame["town"] = rng.choice([f"t{i}" for i in range(12)], n)
    if missing:
        frame.loc[rng.rand(n) < 0.1, "x1"] = np.nan
        frame.loc[rng.rand(n) < 0.05, "x3"] = np.nan
        if categorical:
            frame.loc[rng.rand(n) < 0.1, "colour"] = None
    signal = frame["x0"].to_numpy() + np.nan_to_num(frame["x1"].to_numpy()) + frame["code"].to_numpy()
    frame["y"] = (signal + 0.5 * rng.normal(size=n) > np.median(signal)).astype(int)
    return frame


def _old_encodings(prepared, seed):
    """Each kind as the engine built it before: one full encoding per kind."""
    return {
        "numeric_nan": encode_numeric(prepared.X, prepared.columns, prepared.y, prepared.task,
                                      impute=False, random_state=seed),
        "numeric_imputed": encode_numeric(prepared.X, prepared.columns, prepared.y, prepared.task,
                                          impute=True, random_state=seed),
        "categorical": encode_discrete_values(prepared.X, prepared.columns),
    }


def _bitwise(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("missing", [True, False])
@pytest.mark.parametrize("first", KINDS)
@pytest.mark.parametrize("needed", [None, {"numeric_imputed", "categorical"}, {"categorical"},
                                    {"numeric_imputed"}])
def test_every_kind_is_bitwise_the_old_encoding(missing, first, needed):
    prepared = prepare_features(_mixed(missing=missing), "y")
    old = _old_encodings(prepared, 3)
    enc = _Encodings(prepared, 3, needed=needed)
    order = [first] + [k for k in KINDS if k != first]
    for kind in order:
        assert _bitwise(enc.get(kind), old[kind]), kind
    for kind in KINDS:  # asking first for one kind never wrote over another
        assert _bitwise(enc.get(kind), old[kind]), kind


def test_blocks_of_columns_give_the_whole_table_encoding(monkeypatch):
    monkeypatch.setattr("featkit._encodings._BLOCK_COLUMNS", 2)
    prepared = prepare_features(_mixed(), "y")
    old = _old_encodings(prepared, 0)
    enc = _Encodings(prepared, 0)
    for kind in KINDS:
        assert _bitwise(enc.get(kind), old[kind]), kind


def test_coinciding_encodings_are_one_array():
    enc = _Encodings(prepare_features(_mixed(missing=False), "y"), 0)
    assert enc.get("numeric_imputed") is enc.get("numeric_nan")  # nothing to impute
    assert enc.get("categorical") is not enc.get("numeric_nan")
    plain = _Encodings(prepare_features(_mixed(missing=False, categorical=False), "y"), 0)
    assert plain.get("categorical") is plain.get("numeric_nan") is plain.get("numeric_imputed")
    gaps = _Encodings(prepare_features(_mixed(missing=True), "y"), 0)
    assert not np.shares_memory(gaps.get("numeric_imputed"), gaps.get("numeric_nan"))


def test_released_kind_is_dropped_unless_kept_and_comes_back_the_same():
    prepared = prepare_features(_mixed(), "y")
    enc = _Encodings(prepared, 0, keep={"numeric_imputed"})
    first = enc.get("categorical").copy()
    enc.get("numeric_imputed")
    enc.release("categorical")
    enc.release("numeric_imputed")
    assert "categorical" not in enc._cache and "numeric_imputed" in enc._cache
    assert _bitwise(enc.get("categorical"), first)


def test_default_scores_are_bitwise_those_of_a_direct_fit_on_the_old_encodings():
    frame = _mixed(n=300)
    seed = 7
    result = rank_features(frame, "y", random_state=seed)
    prepared = prepare_features(frame, "y")
    old = _old_encodings(prepared, seed)
    features = [str(c) for c in prepared.X.columns]
    assert set(result.methods) == set(default_methods(True))
    for name, method in result.methods.items():
        spec = get_method(name)
        est, _ = _fit_method(spec, old[_Encodings.kind_for(spec)], prepared.y, features,
                             prepared.task, seed, None, None)
        expected = np.asarray(est.scores_, dtype=np.float64)
        assert method.scores.tobytes() == expected.tobytes(), name


def test_a_serial_run_holds_only_the_encodings_still_to_be_used(monkeypatch):
    held = []
    run_job = _fitting._run_job

    def spy(job, data=None):
        outcome = run_job(job, data)
        cache = data["matrices"]._cache  # before its release
        held.append((job["spec"].name, set(cache), len({id(v) for v in cache.values()})))
        return outcome

    monkeypatch.setattr(_fitting, "_run_job", spy)
    rank_features(_mixed(), "y", methods=["mutual_info_binned", "f_test", "gradient_boosting"])
    # the codes are lent over the numeric matrix for their only method, and go
    # after it; the imputed matrix goes after f_test
    assert held == [("mutual_info_binned", {"numeric_nan", "categorical"}, 1),
                    ("f_test", {"numeric_nan", "numeric_imputed"}, 2),
                    ("gradient_boosting", {"numeric_nan"}, 1)]


@pytest.mark.parametrize("missing", [True, False])
def test_lent_codes_are_the_old_encoding_and_the_numbers_come_back(missing):
    prepared = prepare_features(_mixed(missing=missing), "y")
    old = _old_encodings(prepared, 0)
    enc = _Encodings(prepared, 0, needed=set(KINDS))
    numeric = enc.get("numeric_nan")
    with enc.lent("categorical") as codes:
        assert _bitwise(codes, old["categorical"])
        assert codes is numeric  # no second matrix
    assert "categorical" not in enc._cache
    assert _bitwise(enc.get("numeric_nan"), old["numeric_nan"])
    assert _bitwise(enc.get("numeric_imputed"), old["numeric_imputed"])


def test_lent_codes_are_written_back_when_the_fit_fails():
    prepared = prepare_features(_mixed(), "y")
    enc = _Encodings(prepared, 0, needed=set(KINDS))
    before = enc.get("numeric_nan").copy()
    with pytest.raises(RuntimeError), enc.lent("categorical"):
        raise RuntimeError("the fit failed")
    assert _bitwise(enc.get("numeric_nan"), before)


def test_kept_codes_are_their_own_matrix():
    prepared = prepare_features(_mixed(), "y")
    old = _old_encodings(prepared, 0)
    enc = _Encodings(prepared, 0, needed=set(KINDS), keep={"categorical"})
    numeric = enc.get("numeric_nan")
    with enc.lent("categorical") as codes:
        assert not np.shares_memory(codes, numeric)
    assert _bitwise(enc.get("categorical"), old["categorical"])
    assert _bitwise(numeric, old["numeric_nan"])


def test_codes_alone_are_encoded_once_without_a_copy():
    prepared = prepare_features(_mixed(), "y")
    old = _old_encodings(prepared, 0)
    enc = _Encodings(prepared, 0, needed={"categorical"})
    with enc.lent("categorical") as codes:
        assert _bitwise(codes, old["categorical"])
    assert set(enc._cache) == {"categorical"}


@pytest.mark.parametrize("methods", [
    ["f_test", "outrank", "mutual_info_binned", "outrank_3mr", "gradient_boosting", "l1"],
    ["mutual_info_binned", "outrank", "f_test"],
])
def test_methods_on_lent_codes_score_as_on_the_old_encodings(methods):
    frame = _mixed(n=300)
    result = rank_features(frame, "y", methods=methods, random_state=5)
    prepared = prepare_features(frame, "y")
    old = _old_encodings(prepared, 5)
    features = [str(c) for c in prepared.X.columns]
    for name, method in result.methods.items():
        spec = get_method(name)
        est, _ = _fit_method(spec, old[_Encodings.kind_for(spec)], prepared.y, features,
                             prepared.task, 5, None, None)
        assert method.scores.tobytes() == np.asarray(est.scores_, np.float64).tobytes(), name


def test_evaluation_keeps_what_it_reads(monkeypatch):
    result = rank_features(_mixed(), "y", methods=["mutual_info_binned", "f_test"], evaluate=True)
    assert result.sections.evaluation is not None


def test_the_method_sees_the_encoding_itself_not_a_copy(monkeypatch):
    prepared = prepare_features(_mixed(missing=False), "y")
    Xm = _Encodings(prepared, 0).get("numeric_imputed")
    spec = get_method("f_test")
    seen = {}
    cls = spec.estimator_class()
    fit_canonical = cls._fit_canonical

    def spy(self, X, y, X_host, take=None, **kw):
        seen["X"] = X
        return fit_canonical(self, X, y, X_host, take, **kw)

    monkeypatch.setattr(cls, "_fit_canonical", spy)
    _fit_method(spec, Xm, prepared.y, [str(c) for c in prepared.X.columns], prepared.task, 0,
                None, None)
    assert np.shares_memory(seen["X"], Xm)


@pytest.mark.parametrize("name", ["f_test", "l1", "random_forest"])
def test_column_major_input_in_canonical_order_is_not_copied(monkeypatch, name):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 6))
    y = (X[:, 2] + 0.3 * rng.normal(size=120) > 0).astype(int)
    Xc = np.asfortranarray(X[:, canonical_column_order(X)])
    before = Xc.copy()
    cls = get_method(name).estimator_class()
    seen = {}
    fit_scores = cls._fit_scores

    def spy(self, X, y, **kw):
        seen["X"] = X
        return fit_scores(self, X, y, **kw)

    monkeypatch.setattr(cls, "_fit_scores", spy)
    est = get_method(name).make(task="classification", random_state=0).fit(Xc, y)
    assert np.shares_memory(seen["X"], Xc)
    assert _bitwise(Xc, before)  # the method did not write over its input
    # the same scores as from a reordered copy (the input in another column order, row-major)
    perm = np.arange(6)[::-1]
    other = get_method(name).make(task="classification", random_state=0).fit(
        np.ascontiguousarray(Xc[:, perm]), y)
    assert est.scores_.tobytes() == other.scores_[np.argsort(perm)].tobytes()


def test_arrow_pages_are_handed_back_after_reading(tmp_path, monkeypatch):
    import pyarrow as pa

    path = tmp_path / "t.parquet"
    _mixed().to_parquet(path)
    pool = pa.default_memory_pool()
    calls = []

    class Pool:
        def release_unused(self):
            calls.append("released")
            pool.release_unused()

        def __getattr__(self, name):
            return getattr(pool, name)

    monkeypatch.setattr(pa, "default_memory_pool", lambda: Pool())
    result = rank_features(path, "y", methods=["f_test"])
    # after reading, and again once the encoded columns have left the frame
    assert calls == ["released", "released"] and result.n_rows == 240


def test_a_serial_run_trims_the_heap_after_each_method(monkeypatch):
    calls = []
    monkeypatch.setattr(_fitting, "_trim_heap", lambda: calls.append(1) or True)
    rank_features(_mixed(), "y", methods=["f_test", "mutual_info_binned", "l1"])
    assert len(calls) == 3


def test_trim_heap_runs_where_the_c_library_is_glibc():
    import platform

    trimmed = _fitting._trim_heap()
    assert trimmed is (platform.libc_ver()[0] == "glibc")


def test_workers_map_the_saved_encodings_copy_on_write(tmp_path):
    prepared = prepare_features(_mixed(), "y")
    enc = _Encodings(prepared, 0)
    paths = _fitting._saved_matrices(enc, ["numeric_nan", "categorical"], str(tmp_path))
    saved = dict(_fitting._WORKER_DATA)
    try:
        _fitting._init_worker({"matrices": paths, "y": prepared.y}, None)
        mapped = _fitting._WORKER_DATA["matrices"]
        for kind in ("numeric_nan", "categorical"):
            assert isinstance(mapped[kind], np.memmap)  # pages of the file, not a pickled copy
            assert _bitwise(np.asarray(mapped[kind]), enc.get(kind))
        mapped["numeric_nan"][0, 0] = 1e300  # a method writing over its input ...
        assert _bitwise(np.load(paths["numeric_nan"]), enc.get("numeric_nan"))  # ... not the file
    finally:
        _fitting._WORKER_DATA.clear()
        _fitting._WORKER_DATA.update(saved)


def test_parallel_fits_leave_no_saved_matrices(monkeypatch, tmp_path):
    from featkit import _plan as planning

    monkeypatch.setattr(planning, "PARALLEL_MIN_SECONDS", 0.0)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    methods = ["f_test", "mutual_info_binned"]
    parallel = rank_features(_mixed(), "y", methods=methods, n_jobs=2)
    serial = rank_features(_mixed(), "y", methods=methods)
    for name in methods:
        assert parallel.methods[name].scores.tobytes() == serial.methods[name].scores.tobytes()
    assert list(tmp_path.iterdir()) == []


def test_a_parallel_run_lets_go_of_the_saved_encodings_unless_kept(monkeypatch):
    from featkit import _plan as planning

    monkeypatch.setattr(planning, "PARALLEL_MIN_SECONDS", 0.0)
    held = {}
    save = _fitting._saved_matrices

    def spy(encodings, kinds, folder):
        paths = save(encodings, kinds, folder)
        held["encodings"] = encodings
        return paths

    monkeypatch.setattr(_fitting, "_saved_matrices", spy)
    rank_features(_mixed(), "y", methods=["f_test", "mutual_info_binned"], n_jobs=2)
    assert held["encodings"]._cache == {}
    rank_features(_mixed(), "y", methods=["f_test", "mutual_info_binned"], n_jobs=2, evaluate=True)
    assert set(held["encodings"]._cache) == {"numeric_imputed", "categorical"}


def test_the_weighted_consensus_reads_copies_of_its_rows_not_whole_matrices(monkeypatch):
    """The cv_weighted default keeps no whole encoding for its inner refits: it copies the
    rows its inner folds read as each encoding is let go, and scores exactly as if the
    whole matrices had been kept."""
    import featkit.evaluation._evidence as evidence
    from featkit.selection._consensus import weighted_consensus
    from featkit.utils._task import check_target

    monkeypatch.setattr(evidence, "INNER_MAX_ROWS", 120)  # fewer rows than the table
    frame = _mixed(n=300)
    methods = ["mutual_info_binned", "f_test", "gradient_boosting"]
    result = rank_features(frame, "y", methods=methods, random_state=3)
    assert result.aggregation == "cv_weighted"

    prepared = prepare_features(frame, "y")
    whole = _Encodings(prepared, 3)  # nothing released
    y = check_target(np.asarray(prepared.y), prepared.task)[0]

    def refit(name):
        spec = get_method(name)

        def fit_on(rows):
            est, _ = _fit_method(spec, whole.for_spec(spec)[rows], y[rows], result.features,
                                 prepared.task, 3, None, None)
            return est.ranking_
        return fit_on

    score = weighted_consensus({m: result.methods[m].ranking for m in methods},
                               {m: refit(m) for m in methods}, whole.get("numeric_imputed"), y,
                               task=prepared.task, cv=3, random_state=3)[0]
    assert np.asarray(result.consensus_score).tobytes() == np.asarray(score).tobytes()


def test_a_temp_folder_too_small_for_the_workers_runs_the_methods_one_at_a_time(monkeypatch, tmp_path):
    import errno

    from featkit import _plan as planning

    monkeypatch.setattr(planning, "PARALLEL_MIN_SECONDS", 0.0)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)

    def full_disk(encodings, kinds, folder):
        open(f"{folder}/numeric_nan.npy", "wb").write(b"half")  # a half-written file is removed
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_fitting, "_saved_matrices", full_disk)
    methods = ["f_test", "mutual_info_binned"]
    with pytest.warns(UserWarning, match="one at a time.*No space left on device"):
        fallback = rank_features(_mixed(), "y", methods=methods, n_jobs=2)
    serial = rank_features(_mixed(), "y", methods=methods)
    for name in methods:
        assert fallback.methods[name].scores.tobytes() == serial.methods[name].scores.tobytes()
    assert list(tmp_path.iterdir()) == []
