"""Registry one-line summaries say what the default estimator does."""

from featkit.registry import get_method
from featkit.selection._sequential_attention import AUTO_N_INIT, AUTO_ROWS_PER_FEATURE, auto_hidden_layer_sizes


def test_sequential_attention_summary_names_the_auto_network():
    summary = get_method("sequential_attention").summary
    # the default network is logistic / linear below the threshold, an MLP from it
    assert auto_hidden_layer_sizes(AUTO_ROWS_PER_FEATURE - 1, 1) == ()
    assert auto_hidden_layer_sizes(AUTO_ROWS_PER_FEATURE, 1) != ()
    assert "logistic / linear" in summary
    assert f"MLP, one run, from {AUTO_ROWS_PER_FEATURE} rows per feature" in summary
    # and the runs of n_init="auto"
    assert f"best of {AUTO_N_INIT} runs" in summary


def test_readme_method_table_row_is_the_registry_summary():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `sequential_attention` |"))
    assert get_method("sequential_attention").summary in row
