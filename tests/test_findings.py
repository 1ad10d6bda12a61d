"""The findings contract: declared kinds, collection, JSON round trip, rendering by kind,
typed sections and the Decomposition section the engine feeds."""

import json

import numpy as np
import pandas as pd
import pytest

from featkit.findings import KINDS, Finding, FindingValue, align_findings, collect_findings
from featkit.ranking import rank_features
from featkit.registry import REGISTRY, make_estimator
from featkit.report import render_report
from featkit.results import RankingResult
from featkit.sections import DecompositionSection, EvaluationSection, Sections

FAST = {name: {"epochs": 5} for name, spec in REGISTRY.items() if spec.family == "neural"}
FAST.update({"random_forest": {"n_estimators": 10}, "permutation": {"n_estimators": 10, "n_repeats": 2},
             "consensus": {"methods": ("f_test", "mutual_info")}})
DECLARING = sorted(name for name, spec in REGISTRY.items()
                   if spec.is_installed() and getattr(spec.estimator_class(), "_findings", {}))


def _table(n=60, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    frame = pd.DataFrame({"signal": rng.normal(size=n) + 1.5 * y, "noise": rng.normal(size=n),
                          "codes": rng.randint(0, 3, n).astype(float),
                          "weak": rng.normal(size=n) + 0.5 * y})
    return frame, y


def test_the_methods_that_had_report_extra_declare_findings_and_none_keeps_it():
    expected = {"inffs_s", "ecfs", "pca_loadings", "pfa", "outrank", "outrank_3mr", "kan_l1",
                "sequential_attention"}
    assert {n for n in expected if REGISTRY[n].is_installed()} <= set(DECLARING)
    for spec in REGISTRY.values():
        if spec.is_installed():
            assert not hasattr(spec.estimator_class(), "report_extra"), spec.name


@pytest.mark.parametrize("name", DECLARING)
def test_declared_findings_exist_after_fit_with_their_kind_and_shape(name):
    spec = REGISTRY[name]
    frame, y = _table()
    X = frame.round(1) if spec.input == "categorical" else frame
    est = make_estimator(name, random_state=0, **FAST.get(name, {}))
    est.fit(X, y if spec.needs_target else None)
    declared = type(est)._findings
    found = collect_findings(est)
    d = frame.shape[1]
    for attr, decl in declared.items():
        assert decl.kind in KINDS
        if getattr(est, attr, None) is None:
            # only an affinity matrix too large to keep may be absent
            assert decl.kind == "feature_matrix", (name, attr)
            continue
        f = found[attr]
        assert (f.kind, f.title) == (decl.kind, decl.title)
        layout = KINDS[f.kind]
        if layout == "vector":
            assert len(f.value) == d
        elif layout == "matrix":
            assert f.value.shape == (d, d)
        elif layout == "columns":
            assert f.value.shape[1] == d
        elif layout == "indices":
            assert set(f.value.tolist()) <= set(range(d))
        elif layout == "dict":
            assert all(v.shape == (d,) for v in f.value.values())
    # the collected values are the fitted attributes themselves, in input order
    for attr, f in found.items():
        if f.kind in ("feature_vector", "feature_matrix", "feature_history"):
            np.testing.assert_array_equal(f.value, np.asarray(getattr(est, attr), dtype=float))


def test_a_wrong_shape_is_reported_as_a_broken_declaration():
    class Broken:
        _findings = {"relevance_": Finding("feature_vector", "relevance")}
        n_features_in_ = 3
        relevance_ = np.zeros(2)

    with pytest.raises(RuntimeError, match="feature_vector"):
        collect_findings(Broken())
    with pytest.raises(ValueError, match="unknown finding kind"):
        Finding("heatmap", "x")


def test_findings_over_features_follow_the_input_order():
    frame, y = _table()
    names = list(frame.columns)
    shuffled = names[::-1]
    pos = [shuffled.index(c) for c in names]
    a = make_estimator("outrank", random_state=0).fit(frame.round(1), y)
    b = make_estimator("outrank", random_state=0).fit(frame[shuffled].round(1), y)
    assert [b.labels_[i] for i in pos] == a.labels_
    np.testing.assert_array_equal(b.cardinality_[pos], a.cardinality_)


def test_align_findings_relays_every_layout():
    take = np.array([2, 0, 1])  # new feature i was old feature take[i]
    found = {
        "v": FindingValue("feature_vector", "v", np.array([0.0, 1.0, 2.0])),
        "t": FindingValue("feature_text", "t", ["a", "b", "c"]),
        "m": FindingValue("feature_matrix", "m", np.arange(9.0).reshape(3, 3)),
        "o": FindingValue("feature_order", "o", np.array([2, 1])),
        "s": FindingValue("scalar", "s", 4.0),
    }
    out = align_findings(found, take)
    assert out["v"].value.tolist() == [2.0, 0.0, 1.0]
    assert out["t"].value == ["c", "a", "b"]
    assert out["m"].value[0, 1] == found["m"].value[2, 0]
    assert out["o"].value.tolist() == [0, 2]  # old 2 is new 0, old 1 is new 2
    assert out["s"].value == 4.0


def test_findings_and_sections_survive_a_json_round_trip(tmp_path):
    frame, y = _table()
    frame["y"] = y
    result = rank_features(frame, "y", methods=["ecfs", "pca_loadings", "f_test"], evaluate=True)
    path = result.save(tmp_path / "r.json")
    back = RankingResult.from_dict(json.loads(path.read_text()))
    for name, m in result.methods.items():
        assert back.methods[name].findings.keys() == m.findings.keys()
        for key, f in m.findings.items():
            g = back.methods[name].findings[key]
            assert (g.kind, g.title) == (f.kind, f.title)
            np.testing.assert_array_equal(np.asarray(g.value), np.asarray(f.value))
    assert isinstance(back.sections.evaluation, EvaluationSection)
    assert back.sections.evaluation.curves == result.sections.evaluation.curves
    assert back.sections.decomposition == result.sections.decomposition
    assert back.sections.to_dict() == json.loads(json.dumps(result.to_dict()))["sections"]


def test_old_json_with_dict_sections_and_untyped_extra_still_loads():
    frame, y = _table()
    frame["y"] = y
    d = json.loads(json.dumps(rank_features(frame, "y", methods=["f_test"]).to_dict()))
    d["methods"]["f_test"].pop("findings")
    d["methods"]["f_test"]["extra"] = {"order": [0, 1]}
    d["sections"] = {"decomposition": {"explained_variance_ratio": [0.6, 0.4],
                                       "loadings": [[1, 0, 0, 0], [0, 1, 0, 0]], "method": "pca"}}
    back = RankingResult.from_dict(d)
    assert back.methods["f_test"].findings == {}
    assert back.sections.decomposition.explained_variance_ratio == [0.6, 0.4]
    assert "Explained variance ratio per component" in render_report(back)
    # a result built with the dict form is typed on construction
    res = RankingResult(back.features, back.columns, "y", "classification", 3, back.methods,
                        back.consensus_score, back.consensus_rank, sections={"evaluation": {"top_k": 2}})
    assert res.sections.evaluation.top_k == 2 and res.sections.attribution is None


def test_the_report_renders_each_kind_with_its_values_escaped():
    frame, y = _table()
    frame["y"] = y
    result = rank_features(frame, "y", methods=["f_test"])
    evil = "<i>x</i>"
    result.methods["f_test"].findings = {
        "s": FindingValue("scalar", "The scalar " + evil, 0.123456),
        "n": FindingValue("note", "A note", "note " + evil),
        "v": FindingValue("values", "Some values", np.array([1.5, 2.5])),
        "o": FindingValue("feature_order", "The order", np.array([3, 0])),
        "t": FindingValue("feature_text", "Labels", [f"label-{f}" for f in result.features]),
        "g": FindingValue("feature_groups", "Groups", np.array([1, 0, 1, 0])),
        "vec": FindingValue("feature_vector", "Relevance", np.array([0.5, 0.25, 0.125, 9.75])),
        "mat": FindingValue("feature_matrix", "Kernel", np.eye(4)),
    }
    html = render_report(result)
    assert "<b>The scalar &lt;i&gt;x&lt;/i&gt;</b>: 0.1235" in html
    assert "note &lt;i&gt;x&lt;/i&gt;" in html and "<i>x</i>" not in html
    assert "<b>Some values</b>: 1.5, 2.5" in html
    assert '<ol class="order"><li>weak</li><li>signal</li></ol>' in html
    assert "<li>label-signal</li>" in html
    assert "<li>0: noise, weak</li>" in html and "<li>1: signal, codes</li>" in html
    assert "f_test: Relevance" in html and "9.75" in html
    assert "f_test: Kernel" in html


def test_the_decomposition_section_is_fed_by_a_pca_method():
    frame, y = _table()
    frame["y"] = y
    without = rank_features(frame, "y", methods=["f_test"])
    assert without.sections.decomposition is None
    assert "No decomposition was asked for" in render_report(without)
    result = rank_features(frame, "y", methods=["f_test", "pca_loadings"])
    dec = result.sections.decomposition
    est = make_estimator("pca_loadings").fit(frame.drop(columns="y"))
    assert dec.method == "pca_loadings" and dec.features == result.features
    np.testing.assert_allclose(dec.explained_variance_ratio, est.explained_variance_ratio_)
    np.testing.assert_allclose(dec.loadings, est.components_)
    html = render_report(result)
    section = html[html.index('<section id="decomposition">'):html.index('<footer')]
    assert "Explained variance ratio per component" in section
    assert "Loadings of the first components" in section
    assert f"{100 * dec.explained_variance_ratio[0]:.1f}%" in section
    assert "No decomposition" not in section


def test_sections_dict_form_is_the_saved_form():
    s = Sections(decomposition=DecompositionSection("pfa", ["a"], [1.0], [1.0], [[1.0]], other={"k": 2}))
    assert s.to_dict() == {"decomposition": {"method": "pfa", "features": ["a"], "explained_variance": [1.0],
                                             "explained_variance_ratio": [1.0], "loadings": [[1.0]], "k": 2}}
    assert Sections.from_dict(s.to_dict()) == s
