"""The networks' cost models follow their capped sequential selection (#13, #15)."""

import pytest

from featkit._cost import TableShape, estimate_cost
from featkit.registry import get_method

NETWORKS = ["sequential_attention", "sequential_lasso", "omp", "group_lasso", "kan_l1"]


@pytest.mark.parametrize("name", NETWORKS)
def test_a_wide_table_is_seconds_not_minutes(name):
    # measured at load 4.4 on 40 x 3,000: 0.2 s (group_lasso) to 3.6 s (attention);
    # the old n * d^2 model said 147 s
    seconds = estimate_cost(get_method(name), TableShape(40, 3000)).seconds
    assert 0.2 < seconds < 12


@pytest.mark.parametrize("name", NETWORKS)
def test_cost_grows_with_the_features_not_their_square(name):
    spec = get_method(name)
    narrow = estimate_cost(spec, TableShape(40, 1000)).seconds
    wide = estimate_cost(spec, TableShape(40, 3000)).seconds
    assert wide < 3.5 * narrow


def test_attention_costs_more_than_the_capped_greedy_variants():
    # attention: 64 phases with softmax masks; lasso / omp: 32 phases (9.0 vs 2.9 / 2.6 s)
    shape = TableShape(4000, 40)
    attention = estimate_cost(get_method("sequential_attention"), shape).seconds
    for name in ("sequential_lasso", "omp"):
        assert attention > 2 * estimate_cost(get_method(name), shape).seconds
