"""Sequential Attention and its variants (Sequential LASSO, Group LASSO, OMP)."""

import sys

import numpy as np
import pytest
from sklearn.linear_model import OrthogonalMatchingPursuit, orthogonal_mp

from featkit.exceptions import InputError, MissingExtraError
from featkit.registry import make_estimator
from featkit.selection import SequentialAttentionSelector

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.neural

FAST = dict(hidden_layer_sizes=(16,), epochs=40, random_state=0, n_threads=1)


def _unit_norm_design(n, d, seed):
    """Random design with centred, unit-norm columns (OMP's setting; BatchNorm keeps it)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    X -= X.mean(axis=0)
    return X / np.linalg.norm(X, axis=0), rng


def _sklearn_omp_order(X, y, k):
    path = orthogonal_mp(X, y - y.mean(), n_nonzero_coefs=k, return_path=True)
    order = []
    for i in range(path.shape[1]):
        new = set(np.flatnonzero(path[:, i])) - set(order)
        assert len(new) == 1
        order += list(new)
    return order


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("planted", [True, False])
def test_linear_omp_equals_sklearn_omp(seed, planted):
    n, d, k = 80, 25, 6
    X, rng = _unit_norm_design(n, d, seed)
    if planted:
        beta = np.zeros(d)
        beta[rng.choice(d, k, replace=False)] = rng.uniform(1, 3, k) * rng.choice([-1, 1], k)
        y = X @ beta + 0.05 * rng.normal(size=n)
    else:
        y = rng.normal(size=n)
    expected = _sklearn_omp_order(X, y, k)
    sk = OrthogonalMatchingPursuit(n_nonzero_coefs=k).fit(X, y)
    assert set(np.flatnonzero(sk.coef_)) == set(expected)
    ours = SequentialAttentionSelector(
        n_features_to_select=k, variant="omp", hidden_layer_sizes=(), optimizer="lbfgs",
        epochs=30, random_state=0, n_threads=1,
    ).fit(X, y)
    assert ours.selection_order_.tolist() == expected


def test_linear_sequential_attention_finds_the_omp_set():
    # The paper's equivalence is for the optimum of its regularised objective; a finite
    # Adam run selects the same *set* as OMP on a planted sparse problem, the order of
    # features with similar coefficients may differ.
    n, d, k = 100, 30, 5
    X, rng = _unit_norm_design(n, d, 7)
    beta = np.zeros(d)
    beta[rng.choice(d, k, replace=False)] = rng.uniform(1, 3, k) * rng.choice([-1, 1], k)
    y = X @ beta + 0.05 * rng.normal(size=n)
    sa = SequentialAttentionSelector(
        n_features_to_select=k, hidden_layer_sizes=(), batch_size=None, learning_rate=0.05,
        epochs=60, random_state=0, n_threads=1,
    ).fit(X, y)
    assert set(sa.selection_order_.tolist()) == set(_sklearn_omp_order(X, y, k))


def _nonlinear(task, seed=0, n=400, d=15):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    a, b, c = 3 % d, 8 % d, 11 % d
    if task == "regression":
        y = 2 * X[:, a] - 1.5 * X[:, b] + 2 * np.tanh(2 * X[:, c]) + X[:, 0] * np.abs(X[:, 0])
        y = y + 0.1 * rng.normal(size=n)
    else:
        score = X[:, a] - X[:, b] + 2 * np.tanh(2 * X[:, c]) + X[:, 0] * np.abs(X[:, 0])
        y = (score > 0).astype(int)
    return X, y, {0, a, b, c}


@pytest.mark.parametrize("variant", ["attention", "lasso", "group_lasso", "omp"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_informative_features_selected(variant, task):
    X, y, truth = _nonlinear(task)
    est = SequentialAttentionSelector(n_features_to_select=4, variant=variant, **FAST).fit(X, y)
    hits = len(truth & set(est.selection_order_.tolist()))
    # chance level is 4 * 4 / 15 ~ 1.1 hits
    assert hits >= 3, (variant, task, est.selection_order_)
    assert est.get_support().sum() == 4
    assert set(np.flatnonzero(est.get_support())) == set(est.selection_order_.tolist())
    assert est.ranking_[est.selection_order_].tolist() == [1, 2, 3, 4]


def test_deterministic_under_random_state():
    X, y, _ = _nonlinear("classification", n=150)
    a = SequentialAttentionSelector(n_features_to_select=3, **FAST).fit(X, y)
    b = SequentialAttentionSelector(n_features_to_select=3, **FAST).fit(X, y)
    np.testing.assert_array_equal(a.scores_, b.scores_)
    np.testing.assert_array_equal(a.attention_history_, b.attention_history_)


def test_schedules_and_history():
    X, y, _ = _nonlinear("regression", n=200)
    d = X.shape[1]
    default = SequentialAttentionSelector(n_features_to_select=3, **FAST).fit(X, y)
    ref = SequentialAttentionSelector(n_features_to_select=3, reference_schedule=True, **FAST).fit(X, y)
    for est in (default, ref):
        assert est.attention_history_.shape == (3, d)
        np.testing.assert_allclose(est.attention_history_[0].sum(), 1.0, rtol=1e-5)
    # the reference picks its first feature from untrained logits: near-uniform attention
    np.testing.assert_allclose(ref.attention_history_[0], 1.0 / d, rtol=1e-3)
    # train-then-select: the first pick has clearly concentrated attention
    assert default.attention_history_[0].max() > 2 * np.median(default.attention_history_[0])
    # a selected feature gets zero attention in the later steps
    first = default.selection_order_[0]
    assert np.all(default.attention_history_[1:, first] == 0)


def test_weight_decay_shrinks_the_network_but_not_the_attention(monkeypatch):
    X, y, truth = _nonlinear("classification", n=200)
    seen = {}
    real = torch.optim.AdamW

    def spy(groups, **kw):
        seen["groups"] = [(len(g["params"]), g["weight_decay"]) for g in groups]
        return real(groups, **kw)

    monkeypatch.setattr(torch.optim, "AdamW", spy)
    est = SequentialAttentionSelector(n_features_to_select=4, weight_decay=0.05, **FAST).fit(X, y)
    # network weights and biases decay, the attention logits (the last group, one tensor) do not
    assert seen["groups"][-1] == (1, 0.0) and seen["groups"][0][1] == 0.05
    assert len(truth & set(est.selection_order_.tolist())) >= 3
    plain = SequentialAttentionSelector(n_features_to_select=4, **FAST).fit(X, y)
    assert not np.array_equal(plain.attention_history_, est.attention_history_)


def test_attention_learning_rate_auto_and_explicit():
    X, y, _ = _nonlinear("classification", n=200)
    # full batch, 40 epochs: total = ceil(40 * 3 / 0.9) = 134 steps,
    # warm-up round(13.4) = 13, so 121 phase steps, 40 per phase -> 2 / 40
    auto = SequentialAttentionSelector(n_features_to_select=3, batch_size=None, **FAST).fit(X, y)
    assert auto.attention_learning_rate_ == pytest.approx(0.05)
    fixed = SequentialAttentionSelector(n_features_to_select=3, attention_learning_rate=0.01, batch_size=None,
                                        **FAST).fit(X, y)
    assert fixed.attention_learning_rate_ == 0.01
    assert not np.array_equal(auto.attention_history_, fixed.attention_history_)
    # long phases: never below the network's own step size
    long = SequentialAttentionSelector(n_features_to_select=1, learning_rate=0.05,
                                       **{**FAST, "epochs": 400}).fit(X, y)
    assert long.attention_learning_rate_ == 0.05
    assert SequentialAttentionSelector(variant="omp", n_features_to_select=2, **FAST).fit(
        X, y).attention_learning_rate_ is None


def test_features_per_step():
    X, y, truth = _nonlinear("regression", n=200)
    est = SequentialAttentionSelector(n_features_to_select=4, features_per_step=2, **FAST).fit(X, y)
    assert est.attention_history_.shape[0] == 2
    assert len(est.selection_order_) == 4
    assert len(truth & set(est.selection_order_.tolist())) >= 3


def test_registry_names_and_findings():
    from featkit.findings import collect_findings

    import pandas as pd

    X, y, _ = _nonlinear("classification", n=120, d=5)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    for name, variant in [("sequential_attention", "attention"), ("sequential_lasso", "lasso"),
                          ("group_lasso", "group_lasso"), ("omp", "omp")]:
        est = make_estimator(name, n_features_to_select=2, **FAST).fit(frame, y)
        assert est.variant == variant
        found = collect_findings(est)
        assert found["selection_order_"].value.tolist() == est.selection_order_.tolist()
        assert found["attention_history_"].kind == "feature_history"
        assert np.asarray(found["attention_history_"].value).shape[1] == 5


def test_bad_parameters_raise_input_error():
    X, y, _ = _nonlinear("classification", n=60, d=4)
    for params, match in [({"variant": "attn"}, "variant"), ({"optimizer": "sgd"}, "optimizer"),
                          ({"warmup": 1.5}, "warmup"), ({"hidden_layer_sizes": (0,)}, "hidden"),
                          ({"features_per_step": 0}, "features_per_step"),
                          ({"weight_decay": -1.0}, "weight_decay"),
                          ({"attention_learning_rate": 0.0}, "attention_learning_rate")]:
        with pytest.raises(InputError, match=match):
            SequentialAttentionSelector(**params).fit(X, y)


def test_missing_torch_is_a_clear_error(monkeypatch):
    X, y, _ = _nonlinear("classification", n=40, d=4)
    est = SequentialAttentionSelector(variant="omp")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtraError, match=r'pip install "featkit\[neural\]"'):
        est.fit(X, y)


# ------------------------------------------------------------ held-out check
def _noise_and_signal(task, seed=0, n=300, d=12):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    if task == "classification":
        return X, rng.randint(0, 2, n), (X[:, 3] + X[:, 5] > 0).astype(int)
    return X, rng.normal(size=n), 2 * X[:, 3] - X[:, 5] + 0.3 * rng.normal(size=n)


@pytest.mark.parametrize("variant", ["attention", "lasso", "group_lasso", "omp"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_noise_labels_flag_the_selector_and_signal_does_not(variant, task):
    X, noise, signal = _noise_and_signal(task)
    with pytest.warns(UserWarning, match="constant predictor.*the selection may be noise"):
        flagged = SequentialAttentionSelector(n_features_to_select=3, variant=variant, **FAST).fit(X, noise)
    assert "constant predictor" in flagged.degenerate_
    assert "60 held-out rows" in flagged.degenerate_
    kept = SequentialAttentionSelector(n_features_to_select=3, variant=variant, **FAST).fit(X, signal)
    assert kept.degenerate_ is None
    assert kept.heldout_loss_ < 0.2 * kept.baseline_loss_


def test_the_check_changes_no_selection(monkeypatch):
    X, y, _ = _nonlinear("classification", n=200)
    checked = SequentialAttentionSelector(n_features_to_select=3, **FAST).fit(X, y)
    monkeypatch.setattr(SequentialAttentionSelector, "_heldout_check", lambda self, *a: None)
    unchecked = SequentialAttentionSelector(n_features_to_select=3, **FAST).fit(X, y)
    np.testing.assert_array_equal(checked.scores_, unchecked.scores_)
    np.testing.assert_array_equal(checked.attention_history_, unchecked.attention_history_)


def test_too_few_rows_to_hold_out_leaves_the_check_unset():
    X, _, y = _noise_and_signal("regression", n=20, d=6)
    est = SequentialAttentionSelector(n_features_to_select=2, **FAST).fit(X, y)
    assert est.heldout_loss_ is None and est.baseline_loss_ is None and est.degenerate_ is None


def test_a_degenerate_selector_is_left_out_of_the_consensus():
    import pandas as pd

    from featkit import rank_features

    X, noise, _ = _noise_and_signal("classification", seed=1)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]).assign(y=noise)
    result = rank_features(frame, target="y", methods=["f_test", "sequential_attention"],
                           params={"sequential_attention": {**FAST, "n_features_to_select": 3}})
    note = result.methods["sequential_attention"].degenerate
    assert note and "constant predictor" in note
    assert any("sequential_attention gave degenerate scores" in n and "left out" in n
               for n in result.notes)


# ------------------------------------------------------ default network, ensemble, cap
def test_auto_network_is_logistic_when_rows_are_few_per_feature():
    from featkit.selection._sequential_attention import AUTO_ROWS_PER_FEATURE, auto_hidden_layer_sizes

    X, y, truth = _nonlinear("classification", n=200)
    wide = SequentialAttentionSelector(n_features_to_select=4, epochs=40, random_state=0, n_threads=1).fit(X, y)
    assert wide.hidden_layer_sizes_ == ()
    assert len(truth & set(wide.selection_order_.tolist())) >= 3
    d = 3
    assert auto_hidden_layer_sizes(AUTO_ROWS_PER_FEATURE * d - 1, d) == ()
    assert auto_hidden_layer_sizes(AUTO_ROWS_PER_FEATURE * d, d) == (64,)
    tall = SequentialAttentionSelector(n_features_to_select=1, epochs=2, random_state=0, n_threads=1).fit(
        np.random.RandomState(0).normal(size=(AUTO_ROWS_PER_FEATURE * d, d)), np.arange(AUTO_ROWS_PER_FEATURE * d) % 2)
    assert tall.hidden_layer_sizes_ == (64,)
    # an explicit network is kept as given
    assert SequentialAttentionSelector(n_features_to_select=2, **FAST).fit(X, y).hidden_layer_sizes_ == (16,)


@pytest.mark.parametrize("variant", ["attention", "omp", "lasso"])
def test_past_the_cap_the_final_scores_rank_the_rest(variant):
    X, y, truth = _nonlinear("classification", n=200, d=15)
    est = SequentialAttentionSelector(n_features_to_select=7, sequential_cap=3, variant=variant,
                                      **FAST).fit(X, y)
    assert est.n_selection_steps_ == 3 and est.attention_history_.shape == (3, 15)
    order = est.selection_order_
    assert order.shape == (3,) and est.get_support().sum() == 7
    # the rest of the kept set: the unselected features with the largest last-step scores
    last = est.attention_history_[-1].copy()
    last[order] = -np.inf
    rest = np.argsort(-last, kind="stable")[:4]
    assert set(np.flatnonzero(est.get_support())) == set(order.tolist()) | set(rest.tolist())
    ranked = np.argsort(est.ranking_, kind="stable")
    assert ranked[:3].tolist() == order.tolist() and set(ranked[3:7].tolist()) == set(rest.tolist())
    assert len(truth & set(np.flatnonzero(est.get_support()).tolist())) >= 3
    # under the cap nothing changes
    a, b = (SequentialAttentionSelector(n_features_to_select=3, sequential_cap=cap, variant=variant,
                                        **FAST).fit(X, y) for cap in (3, None))
    np.testing.assert_array_equal(a.scores_, b.scores_)


def test_the_default_cap_bounds_the_attention_phases_on_a_wide_table():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 300))
    y = (X[:, 7] - X[:, 100] > 0).astype(int)
    est = SequentialAttentionSelector(random_state=0, n_threads=1).fit(X, y)  # k = "auto": 150
    assert est.n_selection_steps_ == 64 and est.attention_history_.shape == (64, 300)
    assert est.selection_order_.shape == (64,) and est.get_support().sum() == 150


def test_an_ensemble_selects_by_its_mean_attention():
    X, y, truth = _nonlinear("classification", n=200)
    one = SequentialAttentionSelector(n_features_to_select=4, **FAST).fit(X, y)
    three = SequentialAttentionSelector(n_features_to_select=4, ensemble_size=3, **FAST).fit(X, y)
    again = SequentialAttentionSelector(n_features_to_select=4, ensemble_size=3, **FAST).fit(X, y)
    np.testing.assert_array_equal(three.attention_history_, again.attention_history_)
    assert not np.array_equal(one.attention_history_, three.attention_history_)
    # the mean of softmax distributions is a distribution over the unselected features
    np.testing.assert_allclose(three.attention_history_.sum(axis=1), 1.0, rtol=1e-5)
    assert len(truth & set(three.selection_order_.tolist())) >= 3
    # the other variants have no attention to average: the parameter leaves them alone
    omp = [SequentialAttentionSelector(n_features_to_select=3, variant="omp", ensemble_size=e, **FAST).fit(X, y)
           for e in (1, 3)]
    np.testing.assert_array_equal(omp[0].scores_, omp[1].scores_)


@pytest.mark.parametrize("batch_size", [None, 30])
def test_identical_ensemble_members_train_as_one_network(monkeypatch, batch_size):
    # The members' losses are summed, so each member's gradient is its own loss's and it
    # follows the trajectory it would follow alone: on full batches members that start
    # identical stay identical, and their mean attention is the single network's, step for
    # step. On mini-batches each member draws its own batch order, so they part ways.
    import copy

    from featkit.selection import _sequential_attention as sa

    X, y, _ = _nonlinear("classification", n=120)
    params = {**FAST, "n_features_to_select": 3, "batch_size": batch_size}
    single = SequentialAttentionSelector(**params).fit(X, y)

    real_build, real_fresh = SequentialAttentionSelector._build, sa._Engine._fresh_logits
    built = []

    def build_once(self, torch, d, *args):
        # the members (d inputs) are copies of the first; the held-out check's network is not
        if built and d == built[0][0].in_features:
            built.append(copy.deepcopy(built[0]))
            return built[-1]
        net = real_build(self, torch, d, *args)
        built.extend([] if built else [net])
        return net

    def same_rows(self):
        # one draw from the stream (as a single network makes), repeated for every member
        members, self.members = self.members, self.members[:1]
        row = real_fresh(self)
        self.members = members
        return row.repeat(len(members), 1)

    monkeypatch.setattr(SequentialAttentionSelector, "_build", build_once)
    monkeypatch.setattr(sa._Engine, "_fresh_logits", same_rows)
    pair = SequentialAttentionSelector(ensemble_size=2, **params).fit(X, y)
    assert len(built) >= 2
    first, second = (net[0].weight.detach() for net in built[:2])
    if batch_size is None:
        torch.testing.assert_close(first, second)
        np.testing.assert_allclose(pair.attention_history_, single.attention_history_, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(pair.selection_order_, single.selection_order_)
    else:
        assert not torch.allclose(first, second)


def test_cap_and_ensemble_keep_column_order_invariance():
    import pandas as pd

    X, y, _ = _nonlinear("classification", n=120, d=8)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    params = dict(FAST, n_features_to_select=5, sequential_cap=2, ensemble_size=2, epochs=10)
    first = SequentialAttentionSelector(**params).fit(frame, y)
    shuffled = list(np.random.RandomState(3).permutation(frame.columns))
    other = SequentialAttentionSelector(**params).fit(frame[shuffled], y)
    pos = [shuffled.index(c) for c in frame.columns]
    np.testing.assert_array_equal(other.scores_[pos], first.scores_)
    np.testing.assert_array_equal(other.get_support()[pos], first.get_support())


def test_linear_omp_capped_follows_sklearn_omp_up_to_the_cap():
    X, rng = _unit_norm_design(80, 25, 3)
    y = X[:, :8] @ rng.uniform(1, 3, 8) + 0.05 * rng.normal(size=80)
    ours = SequentialAttentionSelector(n_features_to_select=8, variant="omp", hidden_layer_sizes=(),
                                       optimizer="lbfgs", epochs=30, sequential_cap=4, random_state=0,
                                       n_threads=1).fit(X, y)
    assert ours.selection_order_.tolist() == _sklearn_omp_order(X, y, 4)


def test_auto_cap_of_each_variant(monkeypatch):
    import featkit.selection._sequential_attention as mod

    monkeypatch.setattr(mod, "_AUTO_GREEDY_CAP", 2)
    monkeypatch.setattr(mod, "_AUTO_ATTENTION_CAP", 3)
    X, y, _ = _nonlinear("regression", n=100)
    for variant, chosen in [("lasso", 2), ("omp", 2), ("attention", 3), ("group_lasso", 5)]:
        est = SequentialAttentionSelector(n_features_to_select=5, variant=variant, **FAST).fit(X, y)
        assert est.selection_order_.shape == (chosen,), variant
        assert est.get_support().sum() == 5


def test_group_lasso_training_does_not_depend_on_k():
    """group_lasso picks all k at the end of one run; a larger k must not lengthen the run."""
    X, y, _ = _nonlinear("classification", n=120)
    kw = dict(FAST, epochs=5)
    few = SequentialAttentionSelector(n_features_to_select=2, variant="group_lasso", **kw).fit(X, y)
    many = SequentialAttentionSelector(n_features_to_select=9, variant="group_lasso", **kw).fit(X, y)
    np.testing.assert_array_equal(few.attention_history_, many.attention_history_)
    assert many.selection_order_[:2].tolist() == few.selection_order_.tolist()


def _small_wide(seed=0, n=60, d=200):
    """A small, wide table: features 3 and 17 carry the label, 42 a little."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 3] - X[:, 17] + 0.5 * X[:, 42] + 0.8 * rng.normal(size=n) > 0).astype(int)
    return X, y


def test_network_without_hidden_layer_starts_at_zero():
    # With random initial weights the full-batch logistic network picked a different second
    # feature for each seed (and never feature 17); from zero the attention's signal comes
    # from the data, so only the 1e-5 logit draws differ between seeds.
    X, y = _small_wide()
    orders = [SequentialAttentionSelector(n_features_to_select=3, hidden_layer_sizes=(), batch_size=None,
                                          random_state=rs, n_threads=1).fit(X, y).selection_order_.tolist()
              for rs in range(3)]
    assert orders[0] == orders[1] == orders[2]
    assert {3, 17} <= set(orders[0])


def test_auto_batch_size():
    from featkit.selection._sequential_attention import auto_batch_size

    assert ([auto_batch_size(n) for n in (10, 50, 51, 113, 151, 768, 800, 100_000)]
            == [16, 16, 17, 37, 50, 256, 256, 256])
    X, y = _small_wide()
    auto = SequentialAttentionSelector(n_features_to_select=2, random_state=0, n_threads=1).fit(X, y)
    assert auto.batch_size_ == 20  # 60 rows: three mini-batches per epoch
    full = SequentialAttentionSelector(n_features_to_select=2, batch_size=None, random_state=0,
                                       n_threads=1).fit(X, y)
    assert full.batch_size_ is None
    assert not np.array_equal(auto.attention_history_, full.attention_history_)
    assert SequentialAttentionSelector(batch_size=32, n_features_to_select=2, random_state=0,
                                       n_threads=1).fit(X, y).batch_size_ == 32


# ------------------------------------------------------------------ n_init
def _few_rows_per_feature(seed=0):
    """120 x 60, three informative columns: the default is a logistic network with 3 runs."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(120, 60))
    y = (X[:, 3] + X[:, 7] - X[:, 11] + 0.8 * rng.normal(size=120) > 0).astype(int)
    return X, y


def test_n_init_auto_resolves_from_the_variant_and_the_network():
    X, y = _few_rows_per_feature()
    common = dict(n_features_to_select=3, epochs=20, random_state=0, n_threads=1)
    assert SequentialAttentionSelector(**common).fit(X, y).n_init_ == 3
    # one run where the picks do not vary with the seed, or where one run is reproduced
    assert SequentialAttentionSelector(variant="omp", **common).fit(X, y).n_init_ == 1
    assert SequentialAttentionSelector(hidden_layer_sizes=(8,), **common).fit(X, y).n_init_ == 1
    assert SequentialAttentionSelector(reference_schedule=True, **common).fit(X, y).n_init_ == 1
    # an explicit value is kept, also for other variants
    assert SequentialAttentionSelector(variant="omp", n_init=2, **common).fit(X, y).n_init_ == 2
    # too few rows to cross-validate the runs' picks: one run
    assert SequentialAttentionSelector(n_init=3, **common).fit(X[:5], y[:5]).n_init_ == 1


def test_n_init_scores_each_run_by_cross_validation_and_keeps_the_best():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _few_rows_per_feature(1)
    sel = SequentialAttentionSelector(n_features_to_select=4, epochs=30, random_state=0, n_threads=1).fit(X, y)
    assert sel.init_random_states_[0] == 0 and len(set(sel.init_random_states_)) == 3
    # each run's score by hand: the light model on that run's picks, 3 stratified folds
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    for score, rs in zip(sel.init_scores_, sel.init_random_states_):
        run = SequentialAttentionSelector(n_features_to_select=4, epochs=30, random_state=rs, n_init=1,
                                          n_threads=1).fit(X, y)
        expected = cross_val_score(model, X[:, run.selection_order_], y, cv=folds,
                                   scoring="balanced_accuracy").mean()
        assert score == pytest.approx(expected, abs=1e-12)
    assert sel.best_init_ == int(np.argmax(sel.init_scores_))


def test_the_kept_run_is_the_single_fit_with_its_seed(monkeypatch):
    """Whichever run wins, the fitted selector is that run's single fit, bit for bit (held-out
    check included)."""
    X, y = _few_rows_per_feature(2)
    monkeypatch.setattr(SequentialAttentionSelector, "_score_runs",
                        lambda self, X, y, orders, seed: np.array([0.2, 0.9, 0.5]))
    sel = SequentialAttentionSelector(n_features_to_select=4, epochs=30, random_state=0, n_threads=1).fit(X, y)
    assert sel.best_init_ == 1
    monkeypatch.undo()
    alone = SequentialAttentionSelector(n_features_to_select=4, epochs=30, n_init=1, n_threads=1,
                                        random_state=sel.init_random_states_[1]).fit(X, y)
    assert sel.selection_order_.tolist() == alone.selection_order_.tolist()
    assert sel.scores_.tobytes() == alone.scores_.tobytes()
    np.testing.assert_array_equal(sel.attention_history_, alone.attention_history_)
    assert sel.heldout_loss_ == alone.heldout_loss_
    # one run is the plain fit of the estimator's own seed
    first = SequentialAttentionSelector(n_features_to_select=4, epochs=30, n_init=1, n_threads=1,
                                        random_state=0).fit(X, y)
    assert first.init_scores_ is None and first.best_init_ == 0 and first.init_random_states_ == [0]


def test_n_init_ties_keep_the_earliest_run_and_the_order_invariance():
    X, y = _few_rows_per_feature(3)
    params = dict(n_features_to_select=3, epochs=30, random_state=0, n_threads=1)
    sel = SequentialAttentionSelector(**params).fit(X, y)
    best = sel.init_scores_.max()
    assert sel.best_init_ == int(np.flatnonzero(sel.init_scores_ == best)[0])
    perm = np.random.RandomState(0).permutation(X.shape[1])
    moved = SequentialAttentionSelector(**params).fit(X[:, perm], y)
    assert perm[moved.selection_order_].tolist() == sel.selection_order_.tolist()
    np.testing.assert_array_equal(moved.init_scores_, sel.init_scores_)


def test_n_init_regression_scores_by_ridge_r2():
    rng = np.random.RandomState(4)
    X = rng.normal(size=(90, 40))
    y = 2 * X[:, 5] - X[:, 9] + 0.3 * rng.normal(size=90)
    sel = SequentialAttentionSelector(n_features_to_select=2, epochs=30, random_state=0, n_threads=1).fit(X, y)
    assert sel.task_ == "regression" and sel.n_init_ == 3
    assert np.all(sel.init_scores_ > 0.5) and sorted(sel.selection_order_.tolist()) == [5, 9]


def test_runs_that_cannot_be_cross_validated_keep_the_first_quietly():
    """One row of the second class: some folds' fits fail; no warning of the internal CV escapes."""
    import warnings

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(12, 30)), np.array([0] * 11 + [1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sel = SequentialAttentionSelector(n_features_to_select=3, epochs=10, random_state=0, n_threads=1).fit(X, y)
    assert sel.n_init_ == 3 and np.all(np.isneginf(sel.init_scores_)) and sel.best_init_ == 0
    # only the held-out check may speak (about the selection); nothing from scikit-learn's CV
    assert all("SequentialAttentionSelector" in str(w.message) for w in caught), [str(w.message) for w in caught]
