"""Aggregate tables on a small fixture whose answers are worked out by hand."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from textmine import aggregate as ag
from textmine.labels import head_names
from textmine.report import output_files


def p(file, council, timepoint, date, themes=(), factors=(), stage=None, rec=False, audience=None, text="x"):
    return {"id": f"{file}-{text}", "file": file, "council": council, "timepoint": timepoint, "date": date,
            "doc_type": "follow_up", "page": 1, "section": None, "kind": "paragraph", "text": text,
            "themes": list(themes), "factors": list(factors), "stage": stage, "recommendation": rec,
            "audience": audience, "scores": [0.7] * len(head_names()), "label_source": "model"}


PASSAGES = pd.DataFrame([
    p("a1.pdf", "A", "3-6m", "2014-03-01", ["working_together"], ["monitoring"], "action", text="1"),
    p("a1.pdf", "A", "3-6m", "2014-03-01", ["working_together", "voice_of_the_child"], [], "action", text="2"),
    p("a1.pdf", "A", "3-6m", "2014-03-01", [], [], None, text="3"),
    p("a1.pdf", "A", "3-6m", "2014-03-01", ["performance_management"], [], "insight", text="4"),
    p("a2.pdf", "A", "12m", "2015-01-10", ["voice_of_the_child"], [], "outcome", text="5"),
    p("a2.pdf", "A", "12m", "2015-01-10", ["working_together"], ["monitoring"], "outcome", text="6"),
    p("b1.pdf", "B", "3-6m", "2014-05-01", ["working_together"], [], "action", text="7"),
    p("b1.pdf", "B", "3-6m", "2014-05-01", [], [], None, text="8"),
    p("b2.pdf", "B", None, None, ["voice_of_the_child"], [], None, text="9"),
])


def row(table, **keys):
    mask = np.ones(len(table), bool)
    for k, v in keys.items():
        mask &= table[k] == v
    (index,) = np.flatnonzero(mask)
    return table.iloc[index]


def test_wilson_interval_by_hand():
    low, high = ag.wilson(2, 4)
    assert (round(low, 4), round(high, 4)) == (0.15, 0.85)
    assert ag.wilson(0, 5)[0] == 0.0 and all(math.isnan(v) for v in ag.wilson(0, 0))


def test_prevalence_counts_shares_and_margins():
    prev = ag.prevalence(PASSAGES)
    cell = row(prev, axis="theme", label="working_together", council="A", timepoint="3-6m", period="all", doc_type="all")
    assert (cell.passages, cell.total, cell.share) == (2, 4, 0.5)
    assert (round(cell.ci_low, 4), round(cell.ci_high, 4)) == (0.15, 0.85)
    overall = row(prev, axis="theme", label="working_together", council="all", timepoint="all", period="all", doc_type="all")
    assert (overall.passages, overall.total) == (4, 9)
    by_council = row(prev, axis="theme", label="voice_of_the_child", council="B", timepoint="all", period="all", doc_type="all")
    assert (by_council.passages, by_council.total) == (1, 3)
    missing_tp = row(prev, axis="theme", label="voice_of_the_child", council="all", timepoint="", period="all", doc_type="all")
    assert (missing_tp.passages, missing_tp.total) == (1, 1)
    year = row(prev, axis="stage", label="outcome", council="all", timepoint="all", period="2015", doc_type="all")
    assert (year.passages, year.total) == (2, 2)
    factor = row(prev, axis="factor", label="monitoring", council="A", timepoint="12m", period="all", doc_type="all")
    assert (factor.passages, factor.total) == (1, 2)
    assert set(prev.axis) == {"theme", "factor", "stage"}


def test_document_prevalence_counts_documents_not_passages():
    docs = ag.document_prevalence(PASSAGES)
    cell = row(docs, axis="theme", label="working_together", council="all", timepoint="all", period="all", doc_type="all")
    assert (cell.documents, cell.total) == (3, 4)  # a1, a2, b1 mention it; b2 does not


def test_recommendation_comparison_matches_scipy():
    recs = pd.DataFrame([
        p("a", "A", "review", None, [t], rec=True, audience="council", text=str(i))
        for i, t in enumerate(["working_together"] * 6 + ["voice_of_the_child"] * 2)
    ] + [
        p("b", "B", "review", None, [t], rec=True, audience="council", text=f"b{i}")
        for i, t in enumerate(["working_together"] * 2 + ["voice_of_the_child"] * 7)
    ])
    comp = ag.recommendation_comparison(recs)
    table = np.array([[6, 2], [2, 7]])
    stat, pvalue, dof, expected = chi2_contingency(table, correction=False)
    first = comp.iloc[0]
    assert first.chi2 == pytest.approx(stat) and first.p_value == pytest.approx(pvalue) and first.dof == dof
    a_voc = row(comp, council="A", theme="voice_of_the_child")
    assert a_voc.recommendations == 2 and a_voc.expected == pytest.approx(expected[0, 1])
    n = table.sum()
    adj = (2 - expected[0, 1]) / math.sqrt(expected[0, 1] * (1 - 8 / n) * (1 - 9 / n))
    assert a_voc.std_residual == pytest.approx(adj)
    assert math.isnan(row(comp, council="A", theme="capacity_and_resources").std_residual)  # an empty column


def test_a_single_council_says_the_test_is_not_possible():
    comp = ag.recommendation_comparison(pd.DataFrame([p("a", "A", None, None, ["working_together"], rec=True, audience="council")]))
    assert comp.note.iloc[0].startswith("needs recommendations from at least two councils")
    assert any("Only one council" in n for n in ag.data_gaps(pd.DataFrame([p("a", "A", None, None)])))


def test_stage_shift_uses_staged_passages_of_the_theme():
    shift = ag.stage_shift(PASSAGES)
    wt_36 = row(shift, theme="working_together", timepoint="3-6m", stage="action")
    assert (wt_36.passages, wt_36.staged_total, wt_36.share) == (3, 3, 1.0)
    wt_12 = row(shift, theme="working_together", timepoint="12m", stage="outcome")
    assert (wt_12.passages, wt_12.staged_total) == (1, 1)
    stat, pvalue, _, _ = chi2_contingency(np.array([[3, 0], [0, 1]]), correction=False)  # action/outcome columns
    assert wt_36.shift_chi2 == pytest.approx(stat) and wt_36.shift_p == pytest.approx(pvalue)


def test_cooccurrence_counts_pairs():
    co = ag.cooccurrence(PASSAGES)
    cell = row(co, theme="working_together", factor="monitoring")
    assert (cell.passages, cell.theme_passages, cell.factor_passages) == (2, 4, 2)
    assert cell.jaccard == pytest.approx(0.5)


def test_missing_dates_and_timepoints_are_reported_not_fatal():
    bare = pd.DataFrame([p("x.pdf", None, None, None, ["working_together"], text="1")])
    notes = ag.data_gaps(bare)
    assert any("No passage has a council" in n for n in notes)
    assert any("No documents at 3-6m, 12m" in n for n in notes)
    files, tables, _ = output_files(bare.to_dict("records"))
    assert b"What the data lacks" in files["report.html"]


def test_empty_input_still_gives_tables_and_a_report():
    files, tables, summary = output_files([])
    assert tables["prevalence"].passages.sum() == 0
    assert b"no passages" in files["report.html"].lower()
    assert summary == []


def test_report_is_self_contained_with_charts_and_evidence():
    files, _, summary = output_files(PASSAGES.to_dict("records"))
    page = files["report.html"].decode()
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.count("data:image/png;base64,") == 4  # no recommendations: no recommendations chart
    assert "charts/recommendations_by_council.png" not in files
    assert "No passage was classified as a recommendation" in page
    assert {"charts/council_theme_heatmap.png", "charts/theme_by_timepoint.png", "charts/stage_shift.png",
            "charts/theme_by_year.png"} <= set(files)
    assert "a2.pdf, page 1" in page  # evidence names file and page
    assert any("Outcomes make up" in s for s in summary)
    assert "Outcomes rise most on Voice of the child (0% to 100% of its staged passages)" in " ".join(summary)


def test_report_gives_the_true_reason_when_labelled_passages_lack_metadata():
    """Regression: 'no labelled passages to count' when nearly every passage was labelled but had no council or timepoint."""
    labelled = [p(f"f{i % 7}.pdf", None, None, None, ["working_together"], [], "action", text=str(i)) for i in range(60)]
    files, _, _ = output_files(labelled + [p("f0.pdf", None, None, None, text="unlabelled")])
    page = files["report.html"].decode()
    assert "no labelled passages" not in page
    assert "No chart could be drawn, although 60 of 61 passages carry a theme, factor or stage" in page
    assert "Themes by council: no passage has a council" in page
    assert "Themes over the impact journey: no passage has a timepoint" in page
    assert "Themes over calendar time: needs documents dated in at least two years; no passage has a date." in page
    assert "The impact journey by theme: no documents at 3-6m or 12m." in page
    assert "Recommendations by council: no passage was classified as a recommendation." in page


def test_report_names_each_missing_chart_beside_the_charts_it_could_draw():
    one_year = PASSAGES.assign(date="2014-03-01")
    files, _, _ = output_files(one_year.to_dict("records"))
    page = files["report.html"].decode()
    assert page.count("data:image/png;base64,") == 3  # heatmap, timepoints, stage shift
    assert "Themes over calendar time: needs documents dated in at least two years; all dated passages are from 2014." in page
    assert "Recommendations by council: no passage was classified as a recommendation." in page
    assert "Themes by council:" not in page.split("Charts not drawn")[1] and "No chart could be drawn" not in page


def test_a_run_with_no_labels_at_all_says_so():
    files, _, _ = output_files([p("a.pdf", "A", "3-6m", "2014-01-01", text="1"), p("b.pdf", "B", "review", "2015-01-01", text="2")])
    page = files["report.html"].decode()
    assert "None of the 2 passages carries a theme, factor or stage." in page


def test_pipeline_csvs_neutralise_cells_that_could_start_a_formula():
    hostile = PASSAGES.assign(council=["=HYPERLINK(\"http://evil.example\")"] * 4 + ["A"] * 2 + ["@B"] * 3)
    hostile.loc[0, "recommendation"] = True
    hostile.loc[0, "text"] = "-1 is a fine start for a recommendation"
    files, _, _ = output_files(hostile.to_dict("records"))
    prevalence = pd.read_csv(io.BytesIO(files["prevalence.csv"]), keep_default_na=False)
    assert "'=HYPERLINK(\"http://evil.example\")" in set(prevalence.council) and "'@B" in set(prevalence.council)
    assert not any(str(v).startswith(("=", "@", "+", "-")) for v in prevalence.council)
    assert (prevalence.share >= 0).all()  # numbers stay numbers
    recommendations = pd.read_csv(io.BytesIO(files["recommendations.csv"]))
    assert recommendations.text.tolist() == ["'-1 is a fine start for a recommendation"]
