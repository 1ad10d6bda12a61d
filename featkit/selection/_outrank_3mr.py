"""OutRank 3MR's two passes and its greedy order, shared by the in-memory, streamed and Dask fits.

Pass 1 scores each feature against the label (OutRank's relevance), pass 2 the
feature pairs chosen from it (:func:`~._outrank_batches.choose_pairs`); both take
medians over the same row batches, and :func:`finish_3mr` turns them into the 3MR
order. A Dask fit runs the passes on the workers and calls :func:`finish_3mr` on
the client, so the three fits share every number.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from ..progress import sub_steps
from ._outrank_batches import choose_pairs, greedy_3mr, minmax, pair_batch_scores, run_batches, score_batch

__all__ = ["fit_3mr", "finish_3mr"]


def fit_3mr(source, max_pairs, n_jobs, progress=None, later=None) -> dict:
    """3MR from per-batch codes, in two passes over ``source``: relevance first,
    then the pairs it selects (``later``: see :func:`choose_pairs`). With
    ``progress``, each pass is a sub-step of it."""

    def one_pass(k):
        if progress is not None:
            source.progress = sub_steps(progress, f"pass {k} of 2", k - 1, 2)
        return source

    relevance_runs = run_batches(one_pass(1), score_batch, n_jobs)
    if not relevance_runs:
        raise InputError("3MR needs at least 2 data rows.")
    relevance = np.median(np.vstack([r[0] for r in relevance_runs]), axis=0)
    pairs, capped = choose_pairs(relevance, max_pairs, later)

    def pair_func(codes, ks, y_codes, k_y):
        return pair_batch_scores(codes, ks, y_codes, k_y, pairs)

    runs = run_batches(one_pass(2), pair_func, n_jobs)
    return finish_3mr(relevance, pairs, capped, runs, max_pairs, len(relevance_runs))


def finish_3mr(relevance, pairs, capped, runs, max_pairs, n_batches) -> dict:
    """The medians over batches of the pair scores, and the greedy 3MR order on them.

    ``runs`` are the batches' :func:`pair_batch_scores`; with no pair to score (one
    feature) the distributed fit skips that pass, and each feature's entropy is then
    not needed (no redundancy to normalise).
    """
    d = relevance.shape[0]
    red = np.median(np.vstack([r[0] for r in runs]), axis=0) if pairs.size else np.zeros(0)
    rel = np.median(np.vstack([r[1] for r in runs]), axis=0) if pairs.size else np.zeros(0)
    self_ent = np.median(np.vstack([r[2] for r in runs]), axis=0) if runs else np.zeros(0)
    order, gains = greedy_3mr(minmax(relevance), pairs, minmax(red, self_ent), minmax(rel))
    gain = np.empty(d)
    gain[order] = gains
    total = d * (d - 1) // 2
    note = (f"3MR scored {pairs.shape[0]:,} of {total:,} feature pairs (max_pairs={max_pairs:,}, "
            "pairs among the most relevant features first; the others count as 0)."
            if capped else f"3MR scored all {total:,} feature pairs.")
    return {
        "relevance_": relevance, "pairs_": pairs, "redundancy_": red, "relation_": rel,
        "order_": order, "gain_": gain, "pairs_capped_": bool(capped), "note_": note,
        "n_batches_": n_batches,
    }
