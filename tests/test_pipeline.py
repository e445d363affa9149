"""The Prefect flow end to end on real files: outputs, errors, caching, deletions."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from textmine import store

ROOT = Path(__file__).resolve().parent.parent


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
    assert again["status"] == "unchanged" and again["published_run"] == first["run_id"]
    assert again["extracted"] == 0 and again["cached"] == 3 and again["classified"] == 0
    assert {p["id"] for p in store.read_passages(out / "passages.parquet")} == ids_first
    # change one file, delete another
    shutil.copy(fixtures["page_break-formal"], corpus / "features-formal.pdf")
    (corpus / "long_table-plain.pdf").unlink()
    third = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=2, timeout=60)
    assert third["status"] == "completed"
    assert third["extracted"] == 1 and third["cached"] == 1
    files = {p["file"] for p in store.read_passages(out / "passages.parquet")}
    assert files == {"features-formal.pdf", "page_break-modern.pdf"}
    assert first["passages"] != third["passages"]


def test_a_new_model_reclassifies_without_reextracting(pipeline, corpus, tmp_path, tiny_model_dir, tiny_examples):
    from textmine.training import train_model, write_model

    out = tmp_path / "out"
    pipeline(str(corpus), str(out), str(tiny_model_dir), workers=1, timeout=60)
    model, metrics = train_model(tiny_examples[:-2], folds=3)
    other = write_model(model, tmp_path / "other-model", tiny_examples[:-2], metrics)
    rerun = pipeline(str(corpus), str(out), str(other), workers=1, timeout=60)
    assert rerun["status"] == "completed" and rerun["extracted"] == 0 and rerun["cached"] == 3
    from textmine.run import text_key

    passages = store.read_passages(out / "passages.parquet")
    distinct = {text_key(p) for p in passages}
    assert rerun["classified"] == len(distinct) > 0  # each distinct text-and-context classified once
    assert len(distinct) > len({p["text"] for p in passages}), "the same text in another context is classified again"


def _margin(out, name: str, count: str, **keys) -> int:
    """The count of one row of a prevalence table; group columns not named are the 'all' margin."""
    import pandas as pd

    table = pd.read_csv(out / name, keep_default_na=False)
    keys = {"council": "all", "timepoint": "all", "period": "all", "doc_type": "all", **keys}
    mask = True
    for column, value in keys.items():
        mask &= table[column] == value
    (value,) = table.loc[mask, count]
    return int(value)


def test_a_correction_reaches_every_table_the_report_and_the_exports(pipeline, corpus, tmp_path, tiny_model_dir):
    """Regression: corrections reached passages.parquet only; the tables and the report counted model labels."""
    import io

    import pandas as pd
    from fastapi.testclient import TestClient

    from textmine.corrections import save_correction
    from textmine.web import create_app

    out = tmp_path / "out"
    pipeline(str(corpus), str(out), str(tiny_model_dir), workers=1, timeout=60)
    # The tiny model never learnt performance_management, flexibility or an LGA audience: only the correction gives them.
    assert _margin(out, "prevalence.csv", "passages", axis="theme", label="performance_management") == 0
    target = next(p for p in store.read_passages(out / "passages.parquet")
                  if p["file"] == "page_break-modern.pdf" and not p["recommendation"])
    save_correction(out, target, {"themes": ["performance_management"], "factors": ["flexibility"], "stage": "outcome",
                                  "recommendation": True, "audience": "lga"}, author="ana")
    record = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=1, timeout=60)
    assert record["status"] == "completed"  # corrections changed: not an unchanged re-run

    fixed = next(p for p in store.read_passages(out / "passages.parquet") if p["id"] == target["id"])
    assert (fixed["themes"], fixed["label_source"]) == (["performance_management"], "human")
    assert _margin(out, "prevalence.csv", "passages", axis="theme", label="performance_management") == 1
    assert _margin(out, "prevalence.csv", "passages", axis="factor", label="flexibility", council="Fixture", timepoint="3-6m") == 1
    assert _margin(out, "document_prevalence.csv", "documents", axis="factor", label="flexibility") == 1
    recs = pd.read_csv(out / "recommendations.csv", keep_default_na=False)
    assert recs.loc[recs["id"] == target["id"], ["themes", "factors", "audience"]].values.tolist() == [
        ["performance_management", "flexibility", "lga"]
    ]
    comparison = pd.read_csv(out / "recommendation_comparison.csv", keep_default_na=False)
    assert comparison.loc[comparison["theme"] == "performance_management", "recommendations"].sum() == 1
    shift = pd.read_csv(out / "stage_shift.csv", keep_default_na=False)
    outcome = shift[(shift["theme"] == "performance_management") & (shift["stage"] == "outcome")]
    assert outcome[["timepoint", "passages", "staged_total"]].values.tolist() == [["3-6m", 1, 1]]
    cooccurrence = pd.read_csv(out / "cooccurrence.csv")
    pair = cooccurrence[(cooccurrence["theme"] == "performance_management") & (cooccurrence["factor"] == "flexibility")]
    assert pair["passages"].tolist() == [1]
    assert "except for 1 passage corrected by a researcher" in (out / "report.html").read_text()

    client = TestClient(create_app(out), base_url="http://127.0.0.1:8765")
    exported = pd.read_csv(io.StringIO(client.get("/export.csv", params={"theme": "performance_management"}).text))
    assert exported[["id", "label_source", "stage"]].values.tolist() == [[target["id"], "human", "outcome"]]
    assert client.get("/api/passages", params={"factor": "flexibility"}).json()["count"] == 1


def test_a_dask_run_gives_the_same_outputs_as_a_local_run(prefect_api, corpus, tmp_path, tiny_model_dir):
    from textmine.flows.pipeline import with_dask

    local = asyncio.run(with_dask(None)(str(corpus), str(tmp_path / "local"), str(tiny_model_dir), workers=1, timeout=60))
    dask = asyncio.run(with_dask("local")(str(corpus), str(tmp_path / "dask"), str(tiny_model_dir), workers=1, timeout=60))
    assert (local["passages"], local["errors"]) == (dask["passages"], dask["errors"])
    strip = lambda rows: sorted((p["id"], p["text"], tuple(p["themes"]), p["stage"]) for p in rows)  # noqa: E731
    assert strip(store.read_passages(tmp_path / "local" / "passages.parquet")) == strip(
        store.read_passages(tmp_path / "dask" / "passages.parquet")
    )


def test_serve_builds_a_deployment_with_the_given_cron(corpus, tmp_path):
    from textmine.flows.pipeline import build_deployment

    deployment = build_deployment(str(corpus), str(tmp_path / "out"), "30 1 * * 1-5", name="nightly")
    assert deployment.name == "nightly"
    assert deployment.schedules[0].schedule.cron == "30 1 * * 1-5"
    assert deployment.parameters["corpus"] == str(corpus.resolve())
    assert deployment.parameters["out"] == str((tmp_path / "out").resolve())


def test_a_run_killed_midway_leaves_the_previous_outputs_and_the_next_run_completes(
    pipeline, corpus, tmp_path, tiny_model_dir, fixtures
):
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    pipeline(str(corpus), str(out), str(tiny_model_dir), workers=1, timeout=60)
    before = (out / "passages.parquet").read_bytes()
    files_before = {p["file"] for p in store.read_passages(out / "passages.parquet")}
    shutil.copy(fixtures["page_break-plain"], corpus / "extra.pdf")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    cmd = [sys.executable, "-m", "textmine.cli", "run", str(corpus), "--out", str(out), "--model", str(tiny_model_dir)]
    for delay in (1.5, 3.0):  # while starting, then while extracting (a run on a found server takes about 5 s)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        files_now = {p["file"] for p in store.read_passages(out / "passages.parquet")}  # readable, never torn
        assert (out / "passages.parquet").read_bytes() == before or files_now == files_before | {"extra.pdf"}
    record = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=1, timeout=60)
    # "unchanged" only if a killed run had published whole before the kill (on a fast machine)
    assert record["status"] == ("unchanged" if files_now == files_before | {"extra.pdf"} else "completed")
    assert record["documents"] == 5
    assert "extra.pdf" in {p["file"] for p in store.read_passages(out / "passages.parquet")}


# Any import of Prefect or scikit-learn now fails: an unchanged corpus must be settled without either.
BLOCK_PREFECT = "import sys; sys.modules.update(prefect=None, sklearn=None); "


def test_an_unchanged_corpus_is_settled_without_importing_prefect_or_the_classifier(pipeline, corpus, tmp_path, tiny_model_dir):
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    first = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=1, timeout=60)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    cli = BLOCK_PREFECT + "from textmine.cli import main; main()"
    script = BLOCK_PREFECT + "import runpy; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    for command in (
        [sys.executable, "-c", cli, "run", str(corpus), "--out", str(out), "--model", str(tiny_model_dir)],
        [sys.executable, "-c", script, str(ROOT / "flows" / "pipeline.py"), str(corpus), str(out), "--model", str(tiny_model_dir)],
    ):
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert f"nothing changed since run {first['run_id']}" in result.stdout
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [r["status"] for r in runs] == ["completed", "unchanged", "unchanged"]
    (corpus / "truncated.pdf").unlink()  # a change: now the run needs Prefect, and says so by failing here
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "prefect" in result.stderr


def test_the_reported_time_counts_from_the_start_of_the_process():
    import subprocess
    import sys

    code = "import time; time.sleep(1.0); from textmine.run import process_start_time; print(time.time() - process_start_time())"
    waited = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert 1.0 <= waited < 60


def test_a_command_finds_a_running_prefect_server_or_starts_a_temporary_one(tmp_path, monkeypatch):
    from textmine.flows.server import PrefectServer, healthy, local_api_url

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    monkeypatch.setenv("PREFECT_SERVER_API_PORT", "9")  # nothing listens there
    with PrefectServer() as started:
        assert started.starting and not healthy(started.api_url)
        with started.ready():
            assert healthy(started.api_url)
        port = started.api_url.split(":")[2].split("/")[0]
        monkeypatch.setenv("PREFECT_SERVER_API_PORT", port)  # as if it were a `prefect server start` here
        assert local_api_url() == started.api_url
        monkeypatch.delenv("PREFECT_API_URL")
        with PrefectServer() as found:
            assert found.api_url == started.api_url and not found.starting
    assert not healthy(started.api_url) and started.process.returncode is not None, "the temporary server is stopped"
    assert "PREFECT_API_URL" not in os.environ


def test_a_configured_prefect_api_is_read_from_the_environment_or_the_active_profile(tmp_path):
    from textmine.flows.server import configured_api_url

    (tmp_path / "profiles.toml").write_text(
        'active = "team"\n[profiles.team]\nPREFECT_API_URL = "http://prefect.example:4200/api"\n[profiles.ephemeral]\n'
    )
    home = {"PREFECT_HOME": str(tmp_path)}
    assert configured_api_url({**home, "PREFECT_API_URL": "http://here:1/api"}) == "http://here:1/api"
    assert configured_api_url(home) == "http://prefect.example:4200/api"
    assert configured_api_url({**home, "PREFECT_PROFILE": "ephemeral"}) is None
    assert configured_api_url({"PREFECT_HOME": str(tmp_path / "nowhere")}) is None


def test_an_audit_reaches_accuracy_csv_the_prevalence_and_the_report(pipeline, corpus, tmp_path, tiny_model_dir):
    import pandas as pd

    from textmine import audit

    out = tmp_path / "out"
    pipeline(str(corpus), str(out), str(tiny_model_dir), workers=1, timeout=60)
    assert "No accuracy has been measured on this corpus" in (out / "report.html").read_text()
    assert not (out / "accuracy.csv").exists()
    sample, _ = audit.draw_sample(out, audit.run_ids(out), 8, seed=4)
    passages = audit.current_audit(out)[1]
    for pid in sample.ids:  # the researcher finds performance_management, which the tiny model never learnt, in each
        model = passages[pid]["model_labels"]
        audit.save_answer(out, sample, passages, pid, {**model, "themes": [*model["themes"], "performance_management"]})
    record = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=1, timeout=60)
    assert record["status"] == "completed"

    accuracy = pd.read_csv(out / "accuracy.csv").set_index("label")
    assert accuracy.loc["performance_management", ["audited", "tp", "fn"]].tolist() == [8, 0, 8]
    prevalence = pd.read_csv(out / "prevalence.csv", keep_default_na=False)
    overall = prevalence[(prevalence.council == "all") & (prevalence.timepoint == "all") & (prevalence.period == "all")
                         & (prevalence.doc_type == "all")].set_index("label")
    # raw: the 8 audited passages, now corrected; corrected: the model's 0 plus its error on the audit, 1 per passage
    assert overall.loc["performance_management", "passages"] == 8
    assert overall.loc["performance_management", "share_corrected"] == 1.0
    assert overall.loc["performance_management", "audited"] == 8
    assert (prevalence.note != "").any() and prevalence.share_corrected.notna().all()
    assert "Accuracy on this corpus" in (out / "report.html").read_text()
