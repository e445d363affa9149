"""The audit: sampling, answers, accuracy against a hand-worked example, corrected shares against ppi-python."""

from __future__ import annotations

import io
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from textmine import aggregate as ag
from textmine import audit, store
from textmine.corrections import corrections_path, corrections_to_examples, latest_corrections, save_correction
from textmine.errors import BadInput
from textmine.evaluate import accuracy_table
from textmine.labels import head_names
from textmine.report import output_files
from textmine.run import audit_answers, correct_passages, publish_outputs

THEMES = ("working_together", "voice_of_the_child", "capacity_and_resources")


def passage(i: int, themes=(), factors=(), stage=None, file=None) -> dict:
    return {"id": f"p{i:02d}", "file": file or f"doc{i // 10}.pdf", "council": "AB"[i % 2], "timepoint": "3-6m",
            "date": "2014-06-01", "doc_type": "report", "page": 1 + i % 10, "section": "Findings", "kind": "paragraph",
            "text": f"Passage number {i} of the audit fixture.", "themes": list(themes), "factors": list(factors),
            "stage": stage, "recommendation": False, "audience": None, "scores": [0.5] * len(head_names()),
            "label_source": "model"}


# 30 passages: the model calls every third one working_together
PASSAGES = [passage(i, [THEMES[0]] if i % 3 == 0 else []) for i in range(30)]
NONE = {"themes": [], "factors": [], "stage": None, "recommendation": False}


@pytest.fixture
def out(tmp_path):
    publish_outputs(tmp_path, PASSAGES, [], record={"run_id": store.new_run_id()})
    return tmp_path


def ids(passages) -> list[str]:
    return [p["id"] for p in passages]


def test_a_sample_is_reproducible_and_grows_without_redrawing(out, tmp_path_factory):
    first, added = audit.draw_sample(out, ids(PASSAGES), 5, seed=11)
    assert added == first.ids and len(first.ids) == 5 and first.seed == 11
    other = tmp_path_factory.mktemp("other")
    again, _ = audit.draw_sample(other, list(reversed(ids(PASSAGES))), 5, seed=11)
    assert sorted(again.ids) == sorted(first.ids), "the same seed draws the same passages, whatever their order"
    grown, added = audit.draw_sample(out, ids(PASSAGES), 12)  # the kept seed
    assert set(first.ids) <= set(grown.ids) and len(grown.ids) == 12 and len(added) == 7
    assert not set(added) & set(first.ids)
    assert audit.draw_sample(tmp_path_factory.mktemp("third"), ids(PASSAGES), 5, seed=12)[0].ids != first.ids


@pytest.mark.parametrize("size, seed, message", [
    (0, None, "at least 1 passage"),
    (31, None, "only 30 passages"),
    (3, None, "only grows: give --size 5 or more"),
    (8, 99, "drawn with seed 11"),
])
def test_bad_sample_sizes_and_seeds_are_refused(out, size, seed, message):
    audit.draw_sample(out, ids(PASSAGES), 5, seed=11)
    with pytest.raises(BadInput, match=message):
        audit.draw_sample(out, ids(PASSAGES), size, seed)
    assert audit.load_audit(out, ids(PASSAGES)).size == 5


def test_answers_persist_across_runs_and_vanished_passages_are_reported(out):
    sample, _ = audit.draw_sample(out, ids(PASSAGES), 6, seed=3)
    run = audit.current_audit(out)[1]
    first, second = sample.ids[:2]
    audit.save_answer(out, sample, run, first, {**NONE, "themes": ["voice_of_the_child"]})
    audit.save_answer(out, sample, run, second, NONE)
    edited = [p for p in PASSAGES if p["id"] != second]  # its document changed: the passage is gone
    publish_outputs(out, correct_passages([dict(p) for p in edited], out), [], record={"run_id": store.new_run_id()})
    kept = audit.load_audit(out, ids(edited))
    assert kept.answers == {first: {**NONE, "themes": ["voice_of_the_child"], "audience": None}}
    assert kept.vanished == [second] and kept.size == 5
    assert "1 of 5 done; 1 passage of the sample is no longer in the run" in kept.progress()
    assert audit_answers(edited, out) == kept.answers
    assert latest_corrections(corrections_path(out))[first]["labels"]["themes"] == ["voice_of_the_child"], \
        "an audit answer is also a correction"
    examples = {e["text"]: e for e in corrections_to_examples(corrections_path(out))}  # and feeds training
    assert examples[audit.current_audit(out)[1][first]["text"]]["themes"] == ["voice_of_the_child"]
    with pytest.raises(BadInput, match="no longer in the current run"):
        audit.save_answer(out, kept, run, second, NONE)


def test_a_review_queue_correction_is_never_an_audit_answer(out):
    sample, _ = audit.draw_sample(out, ids(PASSAGES), 4, seed=5)
    run = audit.current_audit(out)[1]
    save_correction(out, run[sample.ids[0]], {"themes": ["voice_of_the_child"]})
    assert audit.load_audit(out, ids(PASSAGES)).answers == {}


def audit_rows(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM audit_labels").fetchone()[0]


@pytest.mark.parametrize("lines, message", [
    (['{"id": "IN", "themes": [], "factors": [], "stage": null}'], "line 1: .*recommendation is missing"),
    (['{"id": "IN", "themes": ["teamwork"], "factors": [], "stage": null, "recommendation": false}'], "line 1: .*teamwork"),
    (['{"id": "p99", "themes": [], "factors": [], "stage": null, "recommendation": false}'], "line 1: passage 'p99' is not in the audit sample"),
    (['{"id": "IN", "themes": [], "factors": [], "stage": null, "recommendation": false}', "{oops"], "line 2: not valid JSON"),
    (['{"id": "IN", "themes": [], "factors": [], "stage": null, "recommendation": false}'] * 2, "line 2: passage 'IN' is answered again"),
    (['{"id": "IN", "themes": [], "factors": [], "stage": null, "recommendation": false, "colour": "red"}'], "unknown field"),
    ([""], "holds no audit answers"),
])
def test_a_bad_import_is_refused_with_its_line_and_writes_nothing(out, lines, message):
    sample, _ = audit.draw_sample(out, ids(PASSAGES), 4, seed=5)
    inside = sample.ids[0]
    outside = next(pid for pid in ids(PASSAGES) if pid not in sample.ids)
    path = out / "audit.jsonl"
    path.write_text("\n".join(lines).replace('"IN"', json.dumps(inside)).replace("p99", outside), encoding="utf-8")
    with pytest.raises(BadInput, match=message.replace("p99", outside).replace("'IN'", repr(inside))) as error:
        audit.import_answers(out, path, sample, audit.current_audit(out)[1])
    assert str(path) in str(error.value)
    assert audit_rows(corrections_path(out)) == 0 and latest_corrections(corrections_path(out)) == {}


def test_an_import_takes_every_line_as_an_answer_and_a_correction(out):
    sample, _ = audit.draw_sample(out, ids(PASSAGES), 4, seed=5)
    printed = audit.sample_records(sample, audit.current_audit(out)[1], with_model=False)
    assert "model_labels" not in printed[0] and printed[0]["audit_labels"] is None  # blind
    lines = [json.dumps({**r, **NONE, "factors": ["monitoring"]}) for r in printed[:3]]  # the printed fields are ignored
    (out / "audit.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert audit.import_answers(out, out / "audit.jsonl", sample, audit.current_audit(out)[1]) == 3
    kept = audit.load_audit(out, ids(PASSAGES))
    assert kept.done == 3 and all(a["factors"] == ["monitoring"] for a in kept.answers.values())
    assert kept.next_unanswered() == sample.ids[3]
    assert len(latest_corrections(corrections_path(out))) == 3


def test_accuracy_agrees_with_a_hand_worked_example():
    # working_together on 10 audited passages: the model is right on 2 (tp), wrong on 1 (fp), misses 1 (fn), 6 tn
    truth = [{"themes": [THEMES[0]] if i in (0, 1, 2) else []} for i in range(10)]
    model = [{"themes": [THEMES[0]] if i in (0, 1, 3) else []} for i in range(10)]
    table = accuracy_table(truth, model, resamples=500).set_index("label")
    wt = table.loc["working_together"]
    assert (wt.tp, wt.fp, wt.fn, wt.tn, wt.audited, wt.truth_positive) == (2, 1, 1, 6, 10, 3)
    assert wt.precision == pytest.approx(2 / 3) and wt.recall == pytest.approx(2 / 3) and wt.f1 == pytest.approx(2 / 3)
    # kappa: observed agreement 0.8, chance 0.3 * 0.3 + 0.7 * 0.7 = 0.58
    assert wt.kappa == pytest.approx((0.8 - 0.58) / (1 - 0.58))
    # Wilson interval for 2 of 3, worked by hand with z = 1.96
    assert (wt.precision_low, wt.precision_high) == pytest.approx((0.2077, 0.9385), abs=1e-3)
    assert wt.f1_low <= wt.f1 <= wt.f1_high and wt.kappa_low <= wt.kappa <= wt.kappa_high
    voc = table.loc["voice_of_the_child"]
    assert np.isnan(voc.precision) and "nothing to score" in voc.note  # neither gives it: undefined, and said so


def ppi_reference(truth: np.ndarray, model_audited: np.ndarray, model_all: np.ndarray):
    ppi_py = pytest.importorskip("ppi_py")
    estimate = ppi_py.ppi_mean_pointestimate(truth, model_audited, model_all, lam=1)
    low, high = ppi_py.ppi_mean_ci(truth, model_audited, model_all, alpha=0.05, lam=1)
    return np.asarray(estimate), np.asarray(low), np.asarray(high)


def test_the_corrected_mean_agrees_with_ppi_python():
    rng = np.random.default_rng(4)
    truth_all = rng.random((400, 5)) < [0.1, 0.2, 0.05, 0.3, 0.15]
    model_all = (truth_all & (rng.random(truth_all.shape) < 0.5)) | (rng.random(truth_all.shape) < 0.03)
    audited = rng.choice(400, 60, replace=False)
    ours = ag.ppi_mean(model_all, truth_all[audited], model_all[audited])
    reference = ppi_reference(truth_all[audited].astype(float), model_all[audited].astype(float), model_all.astype(float))
    for mine, theirs in zip(ours, reference):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6)


def test_an_audit_that_catches_no_error_still_gives_an_honest_interval():
    model = (np.arange(1000) % 50 == 0).astype(float)[:, None]  # the model gives a rare label to 2% of passages
    audited = np.arange(0, 1000, 16)[:60]
    plain = ag.ppi_mean(model, model[audited], model[audited])  # the audit agrees on every passage it holds
    _, low, high = ag.ppi_mean(model, model[audited], model[audited], pseudo=1)
    assert plain[2][0] - plain[1][0] < 0.02, "plain PPI trusts the model when the audit saw no error"
    # one pseudo-error each way: about the 3/n that 60 passages without an error can rule out
    assert high[0] - low[0] == pytest.approx(2 * 1.96 * np.sqrt(0.02 * 0.98 / 1000 + 2 / 62 / 60), rel=1e-4)


def test_corrected_shares_use_the_models_labels_not_the_corrections(out):
    sample, _ = audit.draw_sample(out, ids(PASSAGES), 12, seed=8)
    run = audit.current_audit(out)[1]
    for pid in sample.ids:  # the truth: every audited passage is voice_of_the_child only
        audit.save_answer(out, sample, run, pid, {**NONE, "themes": ["voice_of_the_child"]})
    corrected = correct_passages([dict(p) for p in PASSAGES], out)
    answers = audit_answers(corrected, out)
    prev = ag.prevalence(pd.DataFrame(corrected), answers)
    overall = prev[(prev.council == "all") & (prev.timepoint == "all") & (prev.period == "all") & (prev.doc_type == "all")]
    wt = overall.set_index("label").loc["working_together"]
    model = np.array([[1.0 if p["themes"] else 0.0] for p in PASSAGES])  # the model's own labels, before corrections
    audited = [int(pid[1:]) for pid in sample.ids]
    estimate, low, high = ppi_reference(np.zeros((12, 1)), model[audited], model)
    assert wt.share_corrected == pytest.approx(max(0.0, float(estimate[0])))
    _, our_low, our_high = ag.ppi_mean(model, np.zeros((12, 1)), model[audited], pseudo=ag.PSEUDO_ERRORS)
    assert (wt.corrected_low, wt.corrected_high) == pytest.approx((max(0.0, our_low[0]), min(1.0, our_high[0])))
    assert our_low[0] < low[0] and high[0] < our_high[0], "the pseudo-errors widen ppi-python's interval"
    assert wt.audited == 12 and wt.note == ""
    # the raw share counts the corrected labels, so it differs from the model's share
    assert wt.share == pytest.approx(sum(THEMES[0] in p["themes"] for p in corrected) / 30)
    by_council = prev[(prev.council == "A") & (prev.timepoint == "all") & (prev.period == "all") & (prev.doc_type == "all")]
    row = by_council.set_index("label").loc["working_together"]
    assert row.audited < ag.MIN_GROUP_AUDIT and "corrected by the model's error on the whole audit (12 passages)" in row.note
    assert not np.isnan(row.share_corrected)


def test_a_run_with_an_audit_writes_accuracy_and_shows_both_shares(out):
    sample, _ = audit.draw_sample(out, ids(PASSAGES), 10, seed=2)
    run = audit.current_audit(out)[1]
    for pid in sample.ids:  # the audit agrees with the model on working_together, and adds voice_of_the_child
        audit.save_answer(out, sample, run, pid, {**NONE, "themes": [*run[pid]["model_labels"]["themes"], "voice_of_the_child"]})
    corrected = correct_passages([dict(p) for p in PASSAGES], out)
    files, tables, summary = output_files(corrected, audit=audit_answers(corrected, out), out=str(out))
    accuracy = pd.read_csv(io.BytesIO(files["accuracy.csv"])).set_index("label")
    assert accuracy.loc["voice_of_the_child", "fn"] == 10 and accuracy.loc["voice_of_the_child", "recall"] == 0
    assert (accuracy.loc["working_together", "fp"], accuracy.loc["working_together", "fn"]) == (0, 0)
    prevalence = pd.read_csv(io.BytesIO(files["prevalence.csv"]))
    assert {"share_corrected", "corrected_low", "corrected_high", "audited", "note"} <= set(prevalence.columns)
    assert prevalence.share_corrected.notna().all()
    page = files["report.html"].decode()
    assert "Accuracy on this corpus" in page and "corrected share (95% PPI)" in page and "raw share (95% Wilson)" in page
    assert "No accuracy has been measured" not in page
    assert any("Theme shares are about" in s for s in summary), summary


def test_a_run_without_an_audit_says_how_to_start_one():
    files, tables, _ = output_files(PASSAGES, out="outputs/x")
    page = files["report.html"].decode()
    assert "No accuracy has been measured on this corpus" in page and "textmine audit outputs/x --size 60" in page
    assert "accuracy.csv" not in files and "share_corrected" not in tables["prevalence"].columns


def test_the_simulation_bench_meets_its_targets_with_fixed_seeds():
    """bench/audit_sim.py's statistical claims, on fewer draws: corrected error and coverage (never its timings)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("audit_sim", Path(__file__).parent.parent / "bench" / "audit_sim.py")
    sim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sim)
    biased = sim.simulate(*sim.biased(np.random.default_rng(0)), audit_size=60, draws=200, seed=0)
    focus = [sim.LABELS.index(label) for label in sim.BIASED]
    assert biased["error"][focus].mean() <= 0.5 * biased["raw_error"][focus].mean()
    report = sim.simulate(*sim.one_report(np.random.default_rng(0)), audit_size=60, draws=200, seed=0)
    assert report["error"].mean() <= 0.5 * report["raw_error"].mean()
    for result in (biased, report):
        assert (result["coverage"] >= 0.9).mean() >= 0.9, "95% intervals cover the truth for at least 90% of labels"
