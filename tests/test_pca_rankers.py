"""pca_loadings and pfa rankers: direct dense reference computations and planted structure."""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from featkit.exceptions import InputError
from featkit.registry import get_method, make_estimator
from featkit.selection import PCALoadingsRanker, PFARanker


def _groups(n=400, n_groups=3, per_group=3, noise=0.1, seed=0):
    """n_groups latent factors, each copied (with noise) into per_group columns."""
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n, n_groups)) * np.arange(n_groups, 0, -1)
    cols = [latent[:, [g]] + noise * rng.normal(size=(n, 1)) for g in range(n_groups) for _ in range(per_group)]
    return np.hstack(cols), np.repeat(np.arange(n_groups), per_group)


def _eig(X, standardize=True):
    C = np.corrcoef(X, rowvar=False) if standardize else np.cov(X, rowvar=False)
    w, v = np.linalg.eigh(C)
    return w[::-1], v[:, ::-1]


def test_pca_loadings_equal_direct_formula():
    X, _ = _groups()
    X[:, 4] *= 100.0  # scale must not matter when standardizing
    est = PCALoadingsRanker(n_components=2).fit(X)
    w, v = _eig(X)
    expected = (w[:2] * v[:, :2] ** 2).sum(axis=1) / w[:2].sum()
    np.testing.assert_allclose(est.scores_, expected, rtol=1e-8)
    assert est.scores_.sum() == pytest.approx(1.0)
    assert est.n_components_ == 2 and est.get_support().sum() == 2
    # unstandardized: the rescaled column dominates the first component
    raw = PCALoadingsRanker(n_components=1, standardize=False).fit(X)
    assert raw.ranking_[4] == 1


def test_pca_loadings_variance_share_components():
    X, _ = _groups(noise=0.3)
    est = PCALoadingsRanker(n_components=0.9).fit(X)
    w, _ = _eig(X)
    assert est.n_components_ == int(np.searchsorted(np.cumsum(w) / w.sum(), 0.9, side="right") + 1)


def test_pfa_matches_direct_implementation():
    X, _ = _groups(n_groups=4, per_group=3, noise=0.3)
    q, p = 3, 4
    est = PFARanker(n_features_to_select=p, n_components=q, random_state=0).fit(X)
    _, v = _eig(X)
    rows = v[:, :q]
    # same signs as the estimator's axes (k-means is sign-sensitive)
    signs = np.sign(rows[np.argmax(np.abs(rows), axis=0), np.arange(q)])
    rows = rows * signs
    km = KMeans(n_clusters=p, n_init=10, random_state=0).fit(rows)
    dist = np.linalg.norm(rows - km.cluster_centers_[km.labels_], axis=1)
    reps = {int(np.flatnonzero(km.labels_ == c)[np.argmin(dist[km.labels_ == c])]) for c in range(p)}
    assert set(np.flatnonzero(est.get_support()).tolist()) == reps
    assert set(est.representatives_.tolist()) == reps


def test_pfa_keeps_one_feature_per_redundant_group():
    X, group = _groups(n_groups=3, per_group=4)
    est = PFARanker(n_components=3, random_state=0).fit(X)
    assert est.n_clusters_ == 3
    kept = np.flatnonzero(est.get_support())
    assert sorted(group[kept].tolist()) == [0, 1, 2]
    assert sorted(est.ranking_.tolist()) == list(range(1, 13))
    # the representatives rank above every other feature
    assert set(est.ranking_[kept].tolist()) == {1, 2, 3}


def test_pfa_duplicate_columns_and_bad_params():
    X, _ = _groups(n_groups=2, per_group=1)
    X = np.hstack([X, X])  # exact duplicates: only 2 distinct loading rows
    est = PFARanker(n_features_to_select=3, n_components=2, random_state=0).fit(X)
    assert est.n_clusters_ == 2
    with pytest.raises(InputError, match="n_clusters"):
        PFARanker(n_clusters=10).fit(X)
    with pytest.raises(InputError, match="n_components"):
        PCALoadingsRanker(n_components=-1).fit(X)


def test_registered_and_unsupervised():
    for name in ("pca_loadings", "pfa"):
        spec = get_method(name)
        assert spec.family == "decomposition" and not spec.needs_target
    X, _ = _groups()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = make_estimator("pfa", random_state=0, n_features_to_select=3).fit(frame)
    assert list(est.get_feature_names_out()) == list(frame.columns[est.get_support()])
    from featkit.findings import collect_findings

    found = collect_findings(est)
    assert found["n_clusters_"].value == 3
    assert found["labels_"].kind == "feature_groups" and found["labels_"].value.tolist() == est.labels_.tolist()


@pytest.mark.parametrize("n_components", [0.9, 0.5, 3, 12, None])
@pytest.mark.parametrize("standardize", [True, False])
def test_wide_gram_path_gives_the_covariance_axes(n_components, standardize):
    """Fewer rows than columns: the n x n Gram route must give the covariance route's axes, signs included."""
    from featkit.selection._pca_rankers import _pca_axes_from_moments, _pca_axes_from_rows
    from featkit.stats._reduction import ScatterMoments

    rng = np.random.RandomState(1)
    X = rng.normal(size=(12, 5)) @ rng.normal(size=(5, 150)) + 0.05 * rng.normal(size=(12, 150)) + 3.0
    X[:, 7] = 2.5  # a constant column stays without loading
    X[:, 9] *= 1e3
    wide = _pca_axes_from_rows(X, n_components, standardize)
    reference = _pca_axes_from_moments(ScatterMoments().partial(X), n_components, standardize)
    assert wide[0].shape == reference[0].shape
    for a, b in zip(wide, reference):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_wide_rankers_match_the_covariance_route(monkeypatch):
    """Whole estimators on a wide table: same scores, clusters and representatives either way."""
    import featkit.selection._pca_rankers as mod

    rng = np.random.RandomState(2)
    X = rng.normal(size=(30, 6)) @ rng.normal(size=(6, 400)) + 0.1 * rng.normal(size=(30, 400))
    wide = [PCALoadingsRanker().fit(X), PFARanker(random_state=0).fit(X)]
    monkeypatch.setattr(mod, "_pca_axes_from_rows", lambda X, k, s: mod._pca_axes_from_moments(
        mod.ScatterMoments().partial(np.asarray(X, dtype=np.float64)), k, s))
    tall = [PCALoadingsRanker().fit(X), PFARanker(random_state=0).fit(X)]
    np.testing.assert_allclose(wide[0].scores_, tall[0].scores_, atol=1e-10)
    np.testing.assert_allclose(wide[1].scores_, tall[1].scores_, atol=1e-8)
    np.testing.assert_array_equal(wide[1].labels_, tall[1].labels_)
    np.testing.assert_array_equal(wide[1].representatives_, tall[1].representatives_)


def test_pfa_small_kmeans_on_one_thread_same_answer(monkeypatch):
    """The one-thread k-means of small problems is the same clustering as the threaded one."""
    import featkit.selection._pca_rankers as mod

    X, _ = _groups(n=200, n_groups=4, per_group=5)
    small = PFARanker(n_components=3, random_state=0).fit(X)
    monkeypatch.setattr(mod, "_SMALL_KMEANS", 0)
    threaded = PFARanker(n_components=3, random_state=0).fit(X)
    np.testing.assert_array_equal(small.labels_, threaded.labels_)
    np.testing.assert_allclose(small.scores_, threaded.scores_)
