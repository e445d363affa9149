"""The store: atomic publishing, the run lock, passages round trip, corrections."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from textmine import store
from textmine.corrections import corrections_to_examples, latest_corrections, save_correction
from textmine.errors import BadInput
from textmine.labels import PASSAGE_COLUMNS, head_names
from textmine.run import correct_passages, publish_outputs

PASSAGE = {
    "id": "p1", "file": "a.pdf", "council": "A", "date": None, "timepoint": "12m", "doc_type": "follow_up",
    "page": 2, "section": "Impact", "kind": "table_cell", "text": "Re-referrals fell to 19%.",
    "lead_in": None, "table": 0, "row": 2, "col": 1, "row_header": "Practice", "col_header": "A year on",
    "boxed": False, "ocr": False, "ocr_confidence": None,
    "themes": ["practice_and_service_delivery"], "factors": [], "stage": "outcome", "recommendation": False,
    "audience": None, "scores": [0.91 if head == "outcome" else 0.123456 for head in head_names()], "label_source": "model",
}


def test_passages_round_trip_through_parquet(tmp_path):
    store.write_passages(tmp_path / "p.parquet", [PASSAGE])
    (back,) = store.read_passages(tmp_path / "p.parquet")
    scores = {head: 0.91 if head == "outcome" else 0.1235 for head in head_names()}  # rounded to 4 places
    model = {"themes": ["practice_and_service_delivery"], "factors": [], "stage": "outcome", "recommendation": False,
             "audience": None}  # the model's labels: its own, as no correction replaced them
    assert back == {**dict.fromkeys(PASSAGE_COLUMNS), **PASSAGE, "scores": scores, "model_labels": model}


def test_publish_switches_all_outputs_at_once_and_keeps_a_few_runs(tmp_path):
    for n in range(5):
        publish_outputs(tmp_path, [{**PASSAGE, "text": f"run {n}"}], [], record={"run_id": f"2026-{n}"})
    (current,) = store.read_passages(tmp_path / "passages.parquet")
    assert current["text"] == "run 4"
    assert (tmp_path / "passages.parquet").is_symlink()
    assert len(list((tmp_path / ".textmine" / "runs").iterdir())) == store.KEEP_RUNS
    assert (tmp_path / "errors.csv").read_text().splitlines() == ["file,step,error"]


def test_a_run_killed_before_publishing_leaves_the_previous_outputs(tmp_path):
    first = store.new_run_id()
    publish_outputs(tmp_path, [PASSAGE], [], record={"run_id": first})
    code = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from textmine import store
        run_dir = store.staging_dir(Path({str(tmp_path)!r}), store.new_run_id())
        (run_dir / "passages.parquet").write_bytes(b"half-written")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == -9
    (current,) = store.read_passages(tmp_path / "passages.parquet")
    assert current["id"] == "p1"
    assert len(list((tmp_path / ".textmine" / "runs").iterdir())) == 2
    store.clean_stale_runs(tmp_path)
    assert [p.name for p in (tmp_path / ".textmine" / "runs").iterdir()] == [first]


def test_a_second_writer_is_refused_with_a_clear_message(tmp_path):
    with store.run_lock(tmp_path):
        code = f"from textmine import store\nwith store.run_lock({str(tmp_path)!r}): pass"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert proc.returncode != 0
        assert "another textmine run" in proc.stderr and f"pid {os.getpid()}" in proc.stderr
    with store.run_lock(tmp_path):  # released: a later run gets it
        pass


def test_corrections_win_over_model_labels_and_survive_republishing(tmp_path):
    save_correction(tmp_path, PASSAGE, {"themes": ["voice_of_the_child"], "stage": "action"}, author="ana")
    save_correction(tmp_path, PASSAGE, {"recommendation": True}, author="ben")
    latest = latest_corrections(tmp_path / "corrections.sqlite")["p1"]
    assert latest["author"] == "ben"
    assert latest["labels"]["recommendation"] is True and latest["labels"]["audience"] == "council"
    assert latest["labels"]["themes"] == ["voice_of_the_child"], "a later correction builds on the earlier one"
    (applied,) = correct_passages([PASSAGE], tmp_path)
    assert applied["label_source"] == "human" and applied["recommendation"] is True
    assert PASSAGE["label_source"] == "model", "the passage given is left as it was"
    publish_outputs(tmp_path, [applied], [], record={"run_id": "r1"})
    (published,) = store.read_passages(tmp_path / "passages.parquet")
    assert published["label_source"] == "human" and published["themes"] == ["voice_of_the_child"]
    assert published["model_labels"]["themes"] == ["practice_and_service_delivery"], "the model's labels are kept"
    (again,) = correct_passages([published], tmp_path)  # the browser applies them again: the model's labels stay
    assert again["model_labels"] == published["model_labels"]
    (example,) = corrections_to_examples(tmp_path / "corrections.sqlite")
    assert example["text"] == PASSAGE["text"] and example["source"] == "correction"


@pytest.mark.parametrize(
    "changes, message",
    [({"themes": ["nope"]}, "unknown theme"), ({"colour": "red"}, "unknown field"), ({}, "at least one"), ({"stage": "done"}, "unknown stage")],
)
def test_bad_corrections_are_refused_and_nothing_is_written(tmp_path, changes, message):
    with pytest.raises(BadInput, match=message):
        save_correction(tmp_path, PASSAGE, changes)
    assert not (tmp_path / "corrections.sqlite").exists()


def test_errors_csv_neutralises_cells_that_could_start_a_formula(tmp_path):
    import csv

    store.write_errors(tmp_path / "errors.csv", [{"file": "=cmd.pdf", "step": "extract", "error": "@bad: +1"}])
    with open(tmp_path / "errors.csv", newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row == {"file": "'=cmd.pdf", "step": "extract", "error": "'@bad: +1"}
