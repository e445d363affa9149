"""The Prefect flow end to end on real files: outputs, errors, caching, deletions."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from textmine import store


@pytest.fixture(scope="module")
def pipeline():
    from flows.pipeline import pipeline

    return pipeline


def test_a_run_writes_passages_and_errors_and_a_run_record(pipeline, corpus, tmp_path, tiny_model_dir):
    out = tmp_path / "out"
    record = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=2, timeout=60)
    assert record["status"] == "completed" and record["documents"] == 4 and record["errors"] == 1
    passages = store.read_passages(out / "passages.parquet")
    files = {p["file"] for p in passages}
    assert files == {"features-formal.pdf", "page_break-modern.pdf", "long_table-plain.pdf"}
    assert {p["kind"] for p in passages} == {"paragraph", "bullet", "table_cell"}
    one = next(p for p in passages if p["file"] == "page_break-modern.pdf")
    assert (one["council"], one["timepoint"], one["doc_type"], one["date"]) == ("Fixture", "3-6m", "follow_up", "2014-09-15")
    assert next(p for p in passages if p["file"] == "long_table-plain.pdf")["council"] is None
    assert all(p["label_source"] == "model" and p["scores"] for p in passages)
    assert len({p["id"] for p in passages}) == len(passages)
    with open(out / "errors.csv", newline="") as fh:
        errors = list(csv.DictReader(fh))
    assert [(e["file"], e["step"]) for e in errors] == [("truncated.pdf", "extract")]
    assert "truncated" in errors[0]["error"]
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert runs[-1]["passages"] == len(passages)


def test_the_tables_agree_with_passages_parquet(pipeline, corpus, tmp_path, tiny_model_dir):
    import pandas as pd

    out = tmp_path / "out"
    pipeline(str(corpus), str(out), str(tiny_model_dir), workers=1, timeout=60)
    passages = store.read_passages(out / "passages.parquet")
    prev = pd.read_csv(out / "prevalence.csv", keep_default_na=False)
    overall = prev[(prev.council == "all") & (prev.timepoint == "all") & (prev.period == "all") & (prev.doc_type == "all")]
    for _, r in overall.iterrows():
        if r.axis == "theme":
            expected = sum(r.label in p["themes"] for p in passages)
        elif r.axis == "factor":
            expected = sum(r.label in p["factors"] for p in passages)
        else:
            expected = sum(p["stage"] == r.label for p in passages)
        assert (r.passages, r.total) == (expected, len(passages))
    recs = pd.read_csv(out / "recommendations.csv")
    assert len(recs) == sum(p["recommendation"] for p in passages)
    assert (out / "report.html").read_text().startswith("<!doctype html>")


def test_a_rerun_uses_the_cache_and_follows_changes(pipeline, corpus, tmp_path, tiny_model_dir, fixtures):
    out = tmp_path / "out"
    first = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=2, timeout=60)
    ids_first = {p["id"] for p in store.read_passages(out / "passages.parquet")}
    again = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=2, timeout=60)
    assert again["extracted"] == 0 and again["cached"] == 3 and again["classified"] == 0
    assert {p["id"] for p in store.read_passages(out / "passages.parquet")} == ids_first
    # change one file, delete another
    shutil.copy(fixtures["page_break-formal"], corpus / "features-formal.pdf")
    (corpus / "long_table-plain.pdf").unlink()
    third = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=2, timeout=60)
    assert third["extracted"] == 1 and third["cached"] == 1
    files = {p["file"] for p in store.read_passages(out / "passages.parquet")}
    assert files == {"features-formal.pdf", "page_break-modern.pdf"}
    assert first["passages"] != third["passages"]
