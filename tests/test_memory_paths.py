"""Tall-table memory (#13): methods copy only the rows they read, the frame goes once
encoded; every score stays bit for bit what the whole-table copies gave."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from featkit._encodings import _Encodings
from featkit.base import canonical_column_order
from featkit.io import prepare_features
from featkit.ranking import rank_features
from featkit.selection import BoostingPermutationRanker, FTestRanker, L1Ranker
from _engine_jobs import sampling_jobs


def _peak_bytes(fit):
    """Largest traced allocation (NumPy's buffers are traced) above the start, during ``fit()``."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        fit()
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def _tall(n, d, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=n) > 0).astype(int)
    return X, y


def _as_engine_gives(X):
    """The frame over the shared matrix that the engine hands a method (no copy); its
    input checks read it a column at a time."""
    return pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])], copy=False)


def test_l1_copies_only_its_sampled_rows():
    X, y = _tall(40_000, 40)
    ranker = L1Ranker(max_rows=1_000, random_state=0)
    peak = _peak_bytes(lambda: ranker.fit(_as_engine_gives(X), y))
    # before: the canonical reorder copied the whole table, and the split copied the
    # rows left out as well (about 2x the table)
    assert peak < 0.5 * X.nbytes
    assert ranker.n_rows_used_ == 1_000


def test_l1_sample_is_the_old_whole_table_split():
    """The scores are those of the old path: reorder the whole table, then split it."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from featkit.selection._l1 import _l1_logistic_cv

    X, y = _tall(3_000, 8, seed=1)
    ranker = L1Ranker(max_rows=600, random_state=0).fit(X, y)
    order = canonical_column_order(X)
    Xs, _, ys, _ = train_test_split(X[:, order], y, train_size=600, stratify=y, random_state=0)
    model = _l1_logistic_cv(2, 0).fit(StandardScaler().fit_transform(Xs), ys)
    expected = np.mean(np.abs(np.atleast_2d(model.coef_)), axis=0)[np.argsort(order)]
    assert ranker.scores_.tobytes() == expected.tobytes()


def test_f_test_reads_row_blocks_without_a_whole_table_copy(monkeypatch):
    monkeypatch.setattr("featkit.selection._univariate._BLOCK_ROWS", 4_096)
    X, y = _tall(100_000, 20)
    ranker = FTestRanker()
    peak = _peak_bytes(lambda: ranker.fit(_as_engine_gives(X), y))
    assert peak < 0.5 * X.nbytes  # before: the canonical reorder copied the table
    # the blocks are column-major, as slices of that copy were: the same bits
    order = canonical_column_order(X)
    copy = FTestRanker().fit(np.asfortranarray(X[:, order]), y)
    assert ranker.scores_.tobytes() == copy.scores_[np.argsort(order)].tobytes()
    assert ranker.pvalues_.tobytes() == copy.pvalues_[np.argsort(order)].tobytes()


def test_permutation_boosting_copies_only_the_rows_it_fits_and_scores():
    pytest.importorskip("lightgbm")
    X, y = _tall(40_000, 20)
    ranker = BoostingPermutationRanker(max_train_rows=2_000, max_eval_rows=500, n_estimators=5,
                                       random_state=0)
    peak = _peak_bytes(lambda: ranker.fit(_as_engine_gives(X), y))
    # the canonical copy (1x), the input checks and the rows used; before, the split also
    # copied every training and held-out row
    assert peak < 2 * X.nbytes  # before: 2.7x
    assert ranker.n_eval_rows_ == 500


def _frame(n=300, seed=0):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(4)})
    frame.loc[rng.rand(n) < 0.1, "x1"] = np.nan
    frame["colour"] = rng.choice(["red", "green", "blue"], n)
    frame["code"] = rng.randint(0, 5, n)
    frame["y"] = (frame["x0"] + (frame["colour"] == "red") + rng.normal(size=n) > 0.5).astype(int)
    return frame


def test_prepared_columns_are_not_copied_into_one_block():
    frame = _frame()
    prepared = prepare_features(frame, "y")
    # each column keeps its own array: no consolidated copy of the table
    assert np.shares_memory(prepared.X["x0"].to_numpy(), frame["x0"].to_numpy())


# gradient_boosting first: the NaN-kept matrix is let go before f_test's imputed
# matrix and the category codes are made, which must then come from it
@pytest.mark.parametrize("methods", [
    ["f_test", "mutual_info_binned", "gradient_boosting", "l1"],
    ["gradient_boosting", "f_test", "mutual_info_binned"],
    ["mutual_info_binned"],
    ["f_test"],
])
@pytest.mark.parametrize("aggregation", ["cv_weighted", "mean_rank"])
def test_letting_go_of_the_table_changes_no_score(methods, aggregation, monkeypatch):
    pytest.importorskip("lightgbm")
    frame = _frame()
    seen = []
    let_go = _Encodings.let_go_of_table

    def spy(self):
        done = let_go(self)
        seen.append((done, len(self._prepared.X)))
        return done

    monkeypatch.setattr(_Encodings, "let_go_of_table", spy)
    new = rank_features(frame, "y", methods=methods, aggregation=aggregation)
    monkeypatch.setattr(_Encodings, "let_go_of_table", lambda self: False)
    old = rank_features(frame, "y", methods=methods, aggregation=aggregation)
    assert seen == [(True, 0)]  # the rows went
    for name in methods:
        assert new.methods[name].scores.tobytes() == old.methods[name].scores.tobytes(), name
    assert np.array_equal(new.consensus_rank, old.consensus_rank)


def test_the_table_stays_for_a_model_attribution(monkeypatch):
    pytest.importorskip("lightgbm")
    calls = []
    monkeypatch.setattr(_Encodings, "let_go_of_table", lambda self: calls.append(1))
    rank_features(_frame(), "y", methods=["f_test"], model="lightgbm")
    assert calls == []  # the attribution refits on the frame's rows


def test_forest_takes_spare_cores_and_builds_the_same_trees(monkeypatch):
    from featkit.selection import RandomForestRanker

    cells = []
    monkeypatch.setattr("featkit.selection._boosting.lightgbm_threads",
                        lambda n_cells=None: cells.append(n_cells) or 2)
    X, y = _tall(600, 6)
    threaded = RandomForestRanker(n_estimators=20, random_state=0).fit(X, y)
    assert cells == [600 * 6] and threaded.estimator_.n_jobs == 2
    serial = RandomForestRanker(n_estimators=20, random_state=0, n_jobs=1).fit(X, y)
    assert threaded.scores_.tobytes() == serial.scores_.tobytes()


@pytest.mark.parametrize("aggregation", ["cv_weighted", "mean_rank"])
def test_sampled_fits_run_last_on_one_copy_of_their_rows(aggregation, monkeypatch):
    """Once only sampled fits are left, the largest sample (which holds the others) is
    copied and the whole matrix let go; every fit sees the same rows as before."""
    pytest.importorskip("lightgbm")
    from featkit import _fitting

    sizes = {"gradient_boosting": 150, "permutation_boosting": 220, "random_forest": 120}
    jobs = sampling_jobs(sizes)

    run_job, order, unions = _fitting._run_job, [], []
    union_of = _fitting._row_union
    monkeypatch.setattr(_fitting, "_jobs", jobs)
    monkeypatch.setattr(_fitting, "_run_job", lambda job, data=None: (
        order.append(job["spec"].name), run_job(job, data))[1])
    monkeypatch.setattr(_fitting, "_row_union", lambda samples: (
        unions.append(len(samples)), union_of(samples))[1])
    methods = ["gradient_boosting", "random_forest", "f_test", "permutation_boosting", "l1"]
    frame = _frame(n=400)
    new = rank_features(frame, "y", methods=methods, aggregation=aggregation)
    assert order[:5] == ["f_test", "l1", "gradient_boosting", "random_forest", "permutation_boosting"]
    assert sorted(unions) == [1, 2]  # the imputed kind's one sample, the NaN kind's two
    monkeypatch.setattr(_fitting, "_row_union", lambda samples: None)
    old = rank_features(frame, "y", methods=methods, aggregation=aggregation)
    assert list(new.methods) == methods  # the results stay in plan order
    for name in methods:
        assert new.methods[name].scores.tobytes() == old.methods[name].scores.tobytes(), name
        assert new.methods[name].params.get("sampled_rows") == sizes.get(name)
    assert np.array_equal(new.consensus_rank, old.consensus_rank)


def test_the_union_of_samples_is_every_row_once_sorted():
    from featkit._fitting import _row_union, sample_rows

    small, large = sample_rows(1_000, 100, 0), sample_rows(1_000, 300, 0)
    assert _row_union([small, large]) is large  # one seed's samples nest: no new array
    other = sample_rows(1_000, 100, 1)
    union = _row_union([other, large])
    assert np.array_equal(union, np.union1d(other, large))
    unsorted = np.array([9, 2, 5])  # a method's own rows come in its own order
    assert _row_union([unsorted, np.array([5, 1])]).tolist() == [1, 2, 5, 9]


def test_sampled_fits_in_workers_give_the_serial_scores(monkeypatch):
    """Workers gather a sampled method's rows into canonical order the same way."""
    pytest.importorskip("lightgbm")
    from featkit import _fitting, _plan

    monkeypatch.setattr(_plan, "PARALLEL_MIN_SECONDS", 0.0)
    sizes = {"gradient_boosting": 150, "random_forest": 120}
    jobs = sampling_jobs(sizes)

    monkeypatch.setattr(_fitting, "_jobs", jobs)
    methods, params = ["gradient_boosting", "random_forest", "f_test"], {"random_forest": {"n_estimators": 20}}
    plans = []
    parallel = rank_features(_frame(), "y", methods=methods, n_jobs=2, params=params,
                             aggregation="mean_rank", on_plan=plans.append)
    serial = rank_features(_frame(), "y", methods=methods, params=params, aggregation="mean_rank")
    assert plans[0].workers == 2
    for name in methods:
        assert parallel.methods[name].scores.tobytes() == serial.methods[name].scores.tobytes(), name


def test_a_wide_table_lets_go_of_its_columns_in_few_drops(monkeypatch):
    # one drop per 8-column block cost a pass over every column's block: 626 drops of a
    # 20 x 5,000 frame took 20 s; a tall table still drops each block as it is encoded
    import featkit._encodings as encodings

    pytest.importorskip("lightgbm")
    drops = []
    drop = pd.DataFrame.drop

    def counting(self, *args, **kwargs):
        drops.append(len(kwargs.get("columns", [])))
        return drop(self, *args, **kwargs)

    rng = np.random.RandomState(0)
    wide = pd.DataFrame(rng.normal(size=(20, 400)), columns=[f"f{j}" for j in range(400)])
    wide["y"] = np.arange(20) % 2
    monkeypatch.setattr(pd.DataFrame, "drop", counting)
    new = rank_features(wide, "y", methods=["gradient_boosting"], aggregation="mean_rank")
    assert sum(drops) >= 400 and max(drops) == 400  # every column went, in one drop
    drops.clear()
    monkeypatch.setattr(encodings, "_DROP_BYTES", 20 * 8 * 8)  # one block's bytes: drop every block
    old = rank_features(wide, "y", methods=["gradient_boosting"], aggregation="mean_rank")
    assert drops.count(8) >= 50
    assert new.methods["gradient_boosting"].scores.tobytes() == old.methods["gradient_boosting"].scores.tobytes()


def test_zero_weights_say_the_choice_once():
    from featkit._engine import _zero_weights_text

    why = "inner cross-validation chose b alone (0.966 +- 0.006; equal vote 0.954)"
    dropped = {"a": f"{why}; its own 0.947", "c": f"{why}; its own 0.950"}
    text = _zero_weights_text(dropped, {})
    assert text.lower().count("inner cross-validation chose") == 1
    assert text.endswith("weighing 0: a (its own 0.947); c (its own 0.950).")
    small = {"a": {"score": None, "error_message": "not refitted: inner folds too small to choose (x)"}}
    assert _zero_weights_text({}, small) == " Equal vote: inner folds too small to choose (x)."
    assert _zero_weights_text({"a": "could not be refitted"}, {}) == " a weighs 0: could not be refitted."
