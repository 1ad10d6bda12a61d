"""OutRank and OutRank 3MR: the score's definition, its properties, streaming, 3MR."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_selection import mutual_info_classif
from sklearn.utils._param_validation import InvalidParameterError

from featkit.exceptions import InputError, UnknownNameError
from featkit.registry import get_method
from featkit.selection import OutRank, OutRank3MR
from featkit.selection._outrank import (
    greedy_3mr,
    outrank_3mr_file,
    outrank_file,
)
from featkit.stats import DistinctCounter
from featkit.stats._contingency import chance_corrected_mi, factorize_columns, quantile_codes


def _entropy(values):
    _, counts = np.unique(values, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def _definition(f, y):
    """The score written out with loops, straight from the definition."""
    f, y = np.asarray(f), np.asarray(y)
    n = len(y)
    total = 0.0
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        n_c = len(rows)
        if n_c <= 1:
            continue
        noise = [f[(i + n_c) % n] for i in rows]
        total += n_c / n * (_entropy(noise) - _entropy(f[rows]))
    return total


def _definition_batched(X, y, batch_size):
    scores = []
    for start in range(0, len(y), batch_size):
        stop = min(start + batch_size, len(y))
        if start > 0 and stop - start <= 1024:
            break
        scores.append([_definition(X[start:stop, j], y[start:stop]) for j in range(X.shape[1])])
    return np.median(np.array(scores), axis=0)


def test_hand_computed_tiny_table():
    # y groups: class 0 = rows {0, 3} (n=2), class 1 = rows {1, 2, 4, 5} (n=4).
    # class 0: f = 0,0 -> H = 0; noise rows 2,5 -> f = 1,0 -> H~ = ln 2.
    # class 1: f = 1,1,1,0 -> H = h(1/4); noise rows 5,0,2,3 -> 0,0,1,0 -> H~ = h(1/4).
    # score = 2/6 * ln 2 + 4/6 * 0 = ln(2) / 3.
    y = np.array([0, 1, 1, 0, 1, 1])
    f = np.array([0, 1, 1, 0, 1, 0])
    est = OutRank().fit(f.reshape(-1, 1).astype(float), y)
    assert est.scores_[0] == pytest.approx(math.log(2) / 3, abs=1e-12)
    # label entropy: 2/6 and 4/6
    assert est.label_score_ == pytest.approx(-(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)))


def test_second_hand_computed_table_with_missing():
    # f has a missing value, which is a category of its own.
    # y = 0 0 0 1 1 1 1 1 (n_0 = 3, n_1 = 5), N = 8
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    f = np.array([1.0, 1.0, np.nan, 2.0, 2.0, 2.0, np.nan, 2.0])
    # class 0 rows 0..2: 1,1,nan -> H = h(1/3); noise rows 3,4,5 -> 2,2,2 -> 0
    # class 1 rows 3..7: 2,2,2,nan,2 -> H = h(1/5); noise rows (i+5)%8 = 0,1,2,3,4
    #   -> 1,1,nan,2,2 -> H~ = -(2/5 ln 2/5 * 2 + 1/5 ln 1/5)
    h = lambda p: -(p * math.log(p) + (1 - p) * math.log(1 - p))  # noqa: E731
    noise1 = -(2 * 0.4 * math.log(0.4) + 0.2 * math.log(0.2))
    expected = 3 / 8 * (0 - h(1 / 3)) + 5 / 8 * (noise1 - h(1 / 5))
    est = OutRank().fit(f.reshape(-1, 1), y)
    assert est.scores_[0] == pytest.approx(expected, abs=1e-12)
    assert est.coverage_[0] == pytest.approx(6 / 8)
    assert est.cardinality_[0] == 2


def test_matches_loop_definition_with_batches_and_median():
    rng = np.random.RandomState(3)
    n = 3500  # batches of 1200: 1200, 1200, 1100 (kept: > 1024 rows)
    y = rng.randint(0, 3, n)
    X = np.column_stack([
        np.where(rng.rand(n) < 0.6, y, rng.randint(0, 3, n)),
        rng.randint(0, 7, n),
        rng.randint(0, 400, n),
        (y + rng.randint(0, 2, n)) % 4,
    ]).astype(float)
    est = OutRank(batch_size=1200).fit(X, y)
    assert est.n_batches_ == 3
    np.testing.assert_allclose(est.scores_, _definition_batched(X, y, 1200), atol=1e-12)
    # a trailing batch of <= 1024 rows is ignored, as in the reference
    est2 = OutRank(batch_size=1200).fit(X[:2400 + 1000], y[:2400 + 1000])
    assert est2.n_batches_ == 2
    np.testing.assert_allclose(est2.scores_, _definition_batched(X[:3400], y[:3400], 1200), atol=1e-12)


def test_id_column_scores_zero_where_plain_mi_ranks_it_first():
    rng = np.random.RandomState(0)
    n = 3000
    y = rng.randint(0, 2, n)
    informative = np.where(rng.rand(n) < 0.75, y, 1 - y)
    X = np.column_stack([informative, np.arange(n), rng.randint(0, 10, n)]).astype(float)
    plain = mutual_info_classif(X, y, discrete_features=True)
    assert np.argmax(plain) == 1  # the ID column looks best to plain MI
    est = OutRank().fit(X, y)
    assert abs(est.scores_[1]) < 1e-9
    assert est.ranking_[0] == 1
    assert est.cardinality_.tolist()[1] == n


def test_invariant_to_relabelling_categories():
    rng = np.random.RandomState(1)
    n = 2000
    y = rng.randint(0, 4, n)
    X = np.column_stack([(y + rng.randint(0, 2, n)) % 5, rng.randint(0, 30, n),
                         np.where(rng.rand(n) < 0.1, np.nan, rng.randint(0, 3, n))]).astype(float)
    # Category semantics: the package's behaviour (raw values), since relabelled
    # values with fractions would count as continuous under n_bins="auto".
    base = OutRank(batch_size=700, n_bins=None).fit(X, y).scores_
    relabelled = X.copy()
    for j in range(X.shape[1]):
        values = np.unique(X[~np.isnan(X[:, j]), j])
        mapping = dict(zip(values, rng.permutation(values) * 17.5 - 3))
        relabelled[:, j] = [mapping.get(v, np.nan) for v in X[:, j]]
    y_relabelled = np.array(["d", "a", "c", "b"])[y]
    np.testing.assert_allclose(OutRank(batch_size=700, n_bins=None).fit(relabelled, y_relabelled).scores_, base,
                               atol=1e-12)


def _table(n=2600, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 3, n)
    frame = pd.DataFrame({
        "strong": np.where(rng.rand(n) < 0.7, y, rng.randint(0, 3, n)),
        "weak": np.where(rng.rand(n) < 0.2, y, rng.randint(0, 4, n)),
        "row_id": np.arange(n),
        "many": rng.randint(0, 300, n),
        "gappy": np.where(rng.rand(n) < 0.3, np.nan, rng.randint(0, 2, n) + (y == 1)),
        "y": y,
    })
    return frame


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("subsample", [None, 2])
def test_streaming_equals_in_memory(tmp_path, fmt, subsample):
    frame = _table()
    path = tmp_path / f"t.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    features, scores, extra = outrank_file(path, "y", batch_size=600, drop=("many",),
                                           subsample=subsample)
    X = frame.drop(columns=["y", "many"])
    est = OutRank(batch_size=600, subsample=subsample).fit(X, frame["y"])
    assert features == ["strong", "weak", "row_id", "gappy"]
    np.testing.assert_allclose(scores, est.scores_, atol=1e-12)
    np.testing.assert_allclose(extra["normalized_scores"], est.normalized_scores_, atol=1e-12)
    assert extra["n_batches"] == est.n_batches_
    assert extra["cardinality"] == est.cardinality_.tolist()
    np.testing.assert_allclose(extra["coverage"], est.coverage_)
    assert extra["n_rows"] == len(frame)
    assert [c["name"] for c in extra["columns"]] == features


def test_streaming_progress_reports_rows_read(tmp_path):
    frame = _table(3000)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    calls = []
    outrank_file(path, "y", batch_size=1000, progress=lambda *a: calls.append(a))
    assert calls[0] == ("1,000 rows", 1000, None) and calls[-1] == ("3,000 rows", 3000, None)
    assert all(label == f"{done:,} rows" and total is None for label, done, total in calls)
    calls.clear()
    outrank_3mr_file(path, "y", batch_size=1000, progress=lambda *a: calls.append(a))
    # each pass is half of the work; the rows read start again at the second pass
    assert calls[0] == ("pass 1 of 2: 1,000 rows", 0, 2)
    assert calls[-1] == ("pass 2 of 2: 3,000 rows", 1, 2)
    assert ("pass 1 of 2: 3,000 rows", 0, 2) in calls


def test_streaming_progress_reaches_the_engine_as_sub_steps(tmp_path):
    from featkit.ranking import rank_file_streaming

    path = tmp_path / "t.csv"
    _table(3000).to_csv(path, index=False)
    calls = []
    rank_file_streaming(path, "y", methods=["outrank", "outrank_3mr"], batch_size=1000,
                        progress=lambda *a: calls.append(a))
    assert ("outrank: 3,000 rows", 0, 2) in calls
    assert ("outrank_3mr: pass 2 of 2: 3,000 rows", 1.5, 2) in calls
    assert calls[-1] == ("done", 2, 2)


def test_streaming_errors(tmp_path):
    frame = _table(100)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(UnknownNameError, match="Did you mean 'y'"):
        outrank_file(path, "Y")
    with pytest.raises(UnknownNameError, match="nope"):
        outrank_file(path, "y", drop=("nope",))
    with pytest.raises(InvalidParameterError, match="batch_size"):
        outrank_file(path, "y", batch_size=0)
    with pytest.raises(InvalidParameterError, match="max_pairs"):
        outrank_3mr_file(path, "y", max_pairs=-1)


def test_registry_entries_and_streaming_hook():
    for name in ("outrank", "outrank_3mr"):
        spec = get_method(name)
        assert spec.input == "categorical" and spec.allow_nan and spec.needs_target
        assert spec.family == "information"
        module, func = spec.streaming.split(":")
        import importlib

        assert callable(getattr(importlib.import_module(module), func))


def test_normalized_view_puts_label_at_one():
    frame = _table()
    est = OutRank(batch_size=600).fit(frame.drop(columns="y"), frame["y"])
    raw = est.raw_scores_
    lo, hi = min(raw.min(), est.label_score_), max(raw.max(), est.label_score_)
    np.testing.assert_allclose(est.normalized_scores_, (raw - lo) / (hi - lo))
    assert est.label_score_ >= raw.max()
    norm = OutRank(batch_size=600, normalize=True).fit(frame.drop(columns="y"), frame["y"])
    np.testing.assert_allclose(norm.scores_, est.normalized_scores_)
    extra = {"label": est.labels_}
    assert extra["label"][2] == f"row_id-({est.cardinality_[2]}; 100)"
    gappy = frame["gappy"].iloc[:2400]  # the scored rows (a last batch of 200 is ignored)
    # the reference's label: mean of per-batch coverage %, rounded to 0.1, then truncated
    per_batch = [100 * gappy.iloc[s:s + 600].notna().mean() for s in range(0, 2400, 600)]
    assert extra["label"][4] == f"gappy-({gappy.nunique()}; {int(round(np.mean(per_batch), 1))})"
    assert est.coverage_[4] == pytest.approx(gappy.notna().mean())


def test_reference_numbers_from_outrank_package(tmp_path):
    """Scores that the `outrank` package (0.97.5, MI-numba-randomized, csv-raw,
    --minibatch_size 2048 --subsampling 1) wrote to pairwise_ranks.tsv for this table."""
    rng = np.random.RandomState(1)
    n = 5000
    y = rng.randint(0, 3, n)
    df = pd.DataFrame({
        "label": np.array(["c0", "c1", "c2"])[y],
        "f_inf": np.where(rng.rand(n) < 0.7, y, rng.randint(0, 3, n)),
        "f_weak": np.where(rng.rand(n) < 0.2, y, rng.randint(0, 4, n)),
        "f_id": np.arange(n),
        "f_hc": rng.randint(0, 500, n),
        "f_num": np.round(rng.normal(size=n) + 0.3 * y, 1),
        "f_miss": np.where(rng.rand(n) < 0.3, "",
                           np.array(["a", "b"])[(rng.rand(n) < 0.5 + 0.2 * (y == 1)).astype(int)]),
    })
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    reference = {"f_inf": 0.4587566703557968, "f_weak": 0.05376407504081726, "f_id": 0.0,
                 "f_hc": 0.014427661895751953, "f_num": 0.019031226634979248,
                 "f_miss": 0.011377662420272827}
    reference_singles = {"f_inf": 0.4177658450549416, "f_weak": 0.048960147490835285,
                         "f_num": 0.017330748502093696, "f_hc": 0.013138521472333364,
                         "f_miss": 0.01036104554527502, "f_id": 0.0}
    features, scores, extra = outrank_file(path, "label", batch_size=2048, n_bins=None)
    for name, score, norm in zip(features, scores, extra["normalized_scores"]):
        assert score == pytest.approx(reference[name], abs=2e-7)  # the reference is float32
        assert norm == pytest.approx(reference_singles[name], abs=2e-7)
    assert extra["label_score"] == pytest.approx(1.0981191396713257, abs=2e-7)
    assert extra["label"] == ["f_inf-(3; 100)", "f_weak-(4; 100)", "f_id-(4096; 100)",
                              "f_hc-(500; 100)", "f_num-(70; 100)", "f_miss-(2; 69)"]


def test_parallel_and_text_columns():
    frame = _table(5000)
    frame["text"] = np.array(["u", "v", "w"])[frame["y"].to_numpy()]
    frame.loc[::7, "text"] = None
    X, y = frame.drop(columns="y"), frame["y"]
    one = OutRank(batch_size=1500).fit(X, y)
    two = OutRank(batch_size=1500, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.scores_, two.scores_)
    assert one.ranking_[list(X.columns).index("text")] <= 2
    assert one.transform(X).shape[0] == 5000


def test_quantile_binning_option():
    rng = np.random.RandomState(0)
    n = 4000
    y = rng.randint(0, 2, n)
    cont = rng.normal(size=n) + y  # every value distinct: scores 0 as raw values
    X = cont.reshape(-1, 1)
    assert abs(OutRank(n_bins=None).fit(X, y).scores_[0]) < 1e-12
    binned = OutRank(n_bins=8).fit(X, y)
    assert binned.scores_[0] > 0.05
    codes = quantile_codes(cont, 8)
    assert codes.max() == 7 and np.bincount(codes).min() >= n // 8 - 1
    codes2, ks, _ = factorize_columns(np.column_stack([cont, np.round(cont)]), n_bins=8)
    assert ks[0] == 8 and codes2[:, 1].max() < ks[1]


def test_bad_parameters_raise_invalid_parameter_error():
    X, y = np.eye(4), np.array([0, 1, 0, 1])
    for params in ({"batch_size": 1}, {"subsample": 0}, {"subsample": 1.5}, {"n_bins": 1},
                   {"n_jobs": 0}):
        with pytest.raises(InvalidParameterError):
            OutRank(**params).fit(X, y)
    with pytest.raises(InvalidParameterError, match="max_pairs"):
        OutRank3MR(max_pairs=-1).fit(X, y)


def test_distinct_counter_exact_then_hyperloglog():
    counter = DistinctCounter()
    for start in range(0, 200_000, 20_000):
        counter.update(np.arange(start, start + 20_000).astype(str))
        counter.update(np.arange(start, start + 100).astype(str))  # repeats do not count
    assert not counter.exact
    assert abs(counter.count() - 200_000) / 200_000 < 0.03
    small = DistinctCounter()
    small.update(["a", "b"])
    small.update(["b", "c"])
    assert small.exact and small.count() == 3


# ----------------------------------------------------------------- 3MR
def _direct_3mr(rel, red, relation):
    d = len(rel)
    chosen = [int(np.argmax(rel))]
    while len(chosen) < d:
        best, best_val = None, -np.inf
        for f in range(d):
            if f in chosen:
                continue
            val = rel[f] - np.median([red[s, f] for s in chosen]) + np.median([relation[s, f] for s in chosen])
            if val > best_val:
                best, best_val = f, val
        chosen.append(best)
    return chosen


def test_3mr_greedy_matches_direct_loop():
    rng = np.random.RandomState(0)
    d = 7
    rel = rng.rand(d)
    pairs = np.array([(i, j) for i in range(d) for j in range(i + 1, d)])
    red = rng.rand(len(pairs))
    relation = rng.rand(len(pairs))
    R, L = np.zeros((d, d)), np.zeros((d, d))
    for (i, j), a, b in zip(pairs, red, relation):
        R[i, j] = R[j, i] = a
        L[i, j] = L[j, i] = b
    order, _ = greedy_3mr(rel, pairs, red, relation)
    assert order.tolist() == _direct_3mr(rel, R, L)


def test_3mr_scores_pairs_by_the_definition_and_drops_duplicates():
    rng = np.random.RandomState(0)
    n = 3000
    y = rng.randint(0, 2, n)
    a = np.where(rng.rand(n) < 0.8, y, 1 - y)
    b = np.where(rng.rand(n) < 0.7, y, 1 - y)
    X = np.column_stack([a, a, rng.randint(0, 3, n), b]).astype(float)
    est = OutRank3MR(batch_size=n).fit(X, y)
    assert est.order_[0] in (0, 1)
    assert set(est.order_[1:3].tolist()) != {0, 1}
    assert est.get_support().sum() == 3  # "auto": features scoring above 0 (a, a, b)
    # redundancy of pair (i, j) of features 0 and 3: i against j as the conditioning
    # column (pairs are in input indices, i < j in the canonical column order)
    k = next(k for k, p in enumerate(est.pairs_.tolist()) if sorted(p) == [0, 3])
    i, j = est.pairs_[k]
    assert est.redundancy_[k] == pytest.approx(_definition(X[:, i], X[:, j]), abs=1e-12)
    joint = X[:, i] * 10 + X[:, j]
    assert est.relation_[k] == pytest.approx(_definition(joint, y), abs=1e-12)
    assert est.relevance_[3] == pytest.approx(_definition(X[:, 3], y), abs=1e-12)
    assert not est.pairs_capped_ and "all 6" in est.note_
    assert sorted(est.ranking_.tolist()) == [1, 2, 3, 4]  # 3MR's order has no ties


def test_3mr_pair_cap_keeps_most_relevant_pairs_and_says_so(tmp_path):
    frame = _table(2600)
    X, y = frame.drop(columns="y"), frame["y"]
    est = OutRank3MR(batch_size=1300, max_pairs=3).fit(X, y)
    assert est.pairs_capped_ and "3 of 10" in est.note_
    from featkit.findings import collect_findings

    found = collect_findings(est)
    assert found["note_"].value == est.note_
    assert [X.columns[i] for i in found["order_"].value] == [X.columns[i] for i in est.order_]
    top3 = set(np.argsort(-est.relevance_)[:3].tolist())
    assert all(set(p) <= top3 for p in est.pairs_.tolist())
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    features, scores, extra = outrank_3mr_file(path, "y", batch_size=1300, max_pairs=3)
    np.testing.assert_allclose(scores, est.scores_)
    assert extra["order"] == [features[i] for i in est.order_]
    assert extra["notes"] == [est.note_]


def test_chance_corrected_mi_kernel_sort_path_equals_bincount_path(monkeypatch):
    import featkit.stats._contingency as mod

    rng = np.random.RandomState(0)
    y = rng.randint(0, 5, 800)
    codes = np.column_stack([rng.randint(0, 50, 800), rng.randint(0, 700, 800)])
    ks = codes.max(axis=0) + 1
    fast = chance_corrected_mi(y, 5, codes, ks)
    monkeypatch.setattr(mod, "_MAX_BINCOUNT_CELLS", 0)
    # a code space larger than 4 * n * d cells is counted by sorting
    slow = mod.chance_corrected_mi(y, 5, codes, ks * 10 + 1)
    np.testing.assert_allclose(fast, slow, atol=1e-12)
    np.testing.assert_allclose(fast, [_definition(codes[:, j], y) for j in range(2)], atol=1e-12)


# ------------------------------------------------- automatic binning (n_bins="auto")
_MIXED = __import__("pathlib").Path(__file__).resolve().parents[1] / "datasets" / "mixed.csv"
# Columns with signal in mixed.csv (red_2, a combination that nearly cancels, has almost none).
_SIGNAL = {"inf_0", "inf_1", "inf_2", "inf_3", "inf_4", "cat_inf_0", "cat_inf_1",
           "red_0", "red_1", "rep_0", "rep_1"}


def _order(features, scores):
    return [features[i] for i in np.argsort(-np.asarray(scores), kind="stable")]


def _signal_first(order):
    noise = [i for i, f in enumerate(order) if f.startswith(("noise_", "cat_noise_"))]
    signal = [i for i, f in enumerate(order) if f in _SIGNAL]
    return max(signal) < min(noise)


@pytest.mark.parametrize("method", ["outrank", "outrank_3mr"])
def test_default_bins_continuous_columns_so_signal_ranks_above_noise(method):
    from featkit.ranking import rank_features

    res = rank_features(_MIXED, "y", methods=[method])
    order = _order(res.features, -res.methods[method].ranking)
    assert _signal_first(order), order[:14]
    # The package's own behaviour (raw values as categories) stays available, and on
    # continuous columns it is what put noise among the informative columns.
    raw = rank_features(_MIXED, "y", methods=["outrank"], params={"outrank": {"n_bins": None}})
    assert not _signal_first(_order(raw.features, -raw.methods["outrank"].ranking))


def test_streaming_bins_per_batch_like_the_estimator():
    frame = pd.read_csv(_MIXED).drop(columns="id")
    features, scores, extra = outrank_file(_MIXED, "y", drop=("id",))
    assert _signal_first(_order(features, scores))
    _, raw, _ = outrank_file(_MIXED, "y", drop=("id",), n_bins=None)
    assert not _signal_first(_order(features, raw))
    # Bins come from each batch's own quantiles, in both drivers: the same numbers.
    for batch_size in (400, 16384):
        _, streamed, _ = outrank_file(_MIXED, "y", drop=("id",), batch_size=batch_size)
        est = OutRank(batch_size=batch_size).fit(frame.drop(columns="y"), frame["y"])
        assert list(est.feature_names_in_) == features
        np.testing.assert_allclose(streamed, est.scores_, atol=1e-12)


def test_auto_bins_only_continuous_columns_and_label():
    from featkit.stats._contingency import binned_codes

    rng = np.random.RandomState(0)
    n = 3000
    y = rng.randint(0, 3, n)
    cont = rng.normal(size=n) + y
    codes = rng.randint(0, 40, n).astype(float)  # whole numbers: category codes stay categories
    X = np.column_stack([cont, codes])
    auto = OutRank().fit(X, y)
    np.testing.assert_allclose(auto.scores_, OutRank(n_bins=10).fit(np.column_stack([cont, cont]), y)
                               .scores_[0] * np.array([1, 0]) + OutRank(n_bins=None).fit(X, y).scores_
                               * np.array([0, 1]), atol=1e-12)
    assert auto.scores_[0] > 0.1 and auto.cardinality_[0] == np.unique(cont).size
    assert binned_codes(codes, "auto") is None and binned_codes(codes, 10) is not None
    assert binned_codes(np.array(["a", "b"] * 20), "auto") is None
    # A continuous label (regression) is binned too, a class label is not.
    target = cont + 0.1 * rng.normal(size=n)
    assert OutRank().fit(cont.reshape(-1, 1), target).scores_[0] > 0.3
    assert abs(OutRank(n_bins=None).fit(cont.reshape(-1, 1), target).scores_[0]) < 1e-9
    with pytest.raises(InvalidParameterError, match="'auto'"):
        OutRank(n_bins="many").fit(X, y)


def _dense_greedy_3mr(relevance, pairs, redundancy, relation):
    """3MR as written in the reference: full d x d matrices, median over every chosen feature."""
    d = relevance.shape[0]
    red, rel = np.zeros((d, d)), np.zeros((d, d))
    red[pairs[:, 0], pairs[:, 1]] = red[pairs[:, 1], pairs[:, 0]] = redundancy
    rel[pairs[:, 0], pairs[:, 1]] = rel[pairs[:, 1], pairs[:, 0]] = relation
    chosen, gains = [int(np.argmax(relevance))], [float(np.max(relevance))]
    while len(chosen) < d:
        cand = np.array([j for j in range(d) if j not in chosen])
        objective = (relevance[cand] - np.median(red[np.ix_(chosen, cand)], axis=0)
                     + np.median(rel[np.ix_(chosen, cand)], axis=0))
        chosen.append(int(cand[np.argmax(objective)]))
        gains.append(float(np.max(objective)))
    return np.array(chosen), np.array(gains)


@pytest.mark.parametrize("seed", range(6))
def test_3mr_sparse_medians_equal_the_dense_greedy(seed):
    """Medians over the paired features plus zeros give the dense greedy's order and gains exactly,
    with ties in relevance and pair caps that leave most features unpaired."""
    from featkit.selection._outrank_batches import choose_pairs, minmax

    rng = np.random.default_rng(seed)
    d = 45
    relevance = np.round(rng.random(d), 1 if seed % 2 else 6)
    pairs, _ = choose_pairs(relevance, [3, 40, 200, 990, 0, 12][seed])
    redundancy = minmax(np.round(rng.random(pairs.shape[0]), 2))
    relation = minmax(rng.random(pairs.shape[0]))
    order, gains = greedy_3mr(relevance, pairs, redundancy, relation)
    ref_order, ref_gains = _dense_greedy_3mr(relevance, pairs, redundancy, relation)
    np.testing.assert_array_equal(order, ref_order)
    np.testing.assert_array_equal(gains, ref_gains)
