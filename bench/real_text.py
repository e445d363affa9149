"""The classifier on real text: the hand-labelled real report beside our own held-out files.

Reads ../shared/real-dev/review_study_dev.jsonl (87 passages of a published evaluation
report, labelled by hand; it is not part of the project and is never copied into
it) and prints, for the shipped model (or --model):

- macro and micro F1 per axis on the real passages given as text alone, and with
  their context in the document (heading, list lead-in, table headers), beside the
  same figures on each of our own held-out files (corpus/test/*.jsonl);
- with --pipeline, the same after a real `textmine run` over PDFs typeset from the
  real passages in each house style (extraction, context and classification together);
- calibration on the real passages: expected calibration error per axis and a
  reliability table (predicted probability against observed frequency, by bin);
- with --corrections, what corrections teach: half of the real passages saved as a
  researcher's corrections (corrections.sqlite, as the browser writes them), a model
  trained with `textmine train --corrections`, scored on the other half, both ways round;
- with --audit N, what an audit of N real passages corrects: the model's labels (with
  context) on all of them, N drawn as `textmine audit` draws them and taken as audited
  (their hand labels), the prediction-powered shares against the true shares over many
  draws (bench/audit_sim.py's simulation, on real labels and the real model's errors);
- with --card FILE, the figures written into a model card's "On real text" section.

The real passages come without their layout; it is rebuilt from the report's own
structure: a passage after one ending in ":" is a list item of that lead-in when it
reads like one (lower case, ends with ";" or short); each recommendation of the
"How to ensure ..." section is a cell of the report's recommendations table, whose
columns are the audiences and whose rows are the factors (the coding conventions in
real-dev/README.md); the appendix's short lines are cells of its table.

Usage: python bench/real_text.py [--real PATH] [--model PATH] [--pipeline] [--audit N] [--corrections] [--card FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "real-dev" / "review_study_dev.jsonl"
HELD_OUT = sorted((ROOT / "corpus" / "test").glob("*.jsonl"))
TRAINING = ROOT / "corpus" / "training"
COLUMNS = {"council": "How can councils enhance the impact?", "lga": "How can the LGA enhance the impact?"}
ROW_NAMES = {  # a recommendations table's rows, named as domain.md lists the eight influencing factors
    "team_composition": "Review team composition", "staff_and_partner_involvement": "Involvement of staff and partners",
    "flexibility": "Flexibility of the method", "focus_and_depth": "Focus and depth", "engagement": "Engagement",
    "recommendations": "The quality of findings and recommendations", "monitoring": "Ongoing monitoring",
    "local_context_and_timing": "Local context and timing",
}
AXES = ("theme", "factor", "stage_action_outcome", "recommendation")


def load_real(path: Path) -> list[dict]:
    """The real passages as labelled examples with their layout rebuilt (see the module docstring)."""
    from textmine.classify import validate_example

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out, lead = [], None
    for r in rows:
        text = r["text"].strip()
        example = {**validate_example({**r, "section": r["heading"]}), "id": r["id"], "kind": "paragraph"}
        if r["heading"].startswith("How to ensure") and r["recommendation"]:
            example.update(kind="table_cell", col_header=COLUMNS[r["audience"] or "council"],
                           row_header=ROW_NAMES[r["factors"][0]] if r["factors"] else "")
            lead = None
        elif r["heading"].startswith("Appendix") and len(text.split()) <= 20:
            example["kind"] = "table_cell"
            lead = None
        elif lead and not text.endswith(":") and (text[:1].islower() or text.endswith(";") or len(text.split()) <= 20):
            example.update(kind="bullet", lead_in=" ".join(lead.split()[-60:]))
        else:
            lead = text if text.endswith(":") else None
        out.append(example)
    return out


def text_alone(examples: list[dict]) -> list[dict]:
    return [{**e, "section": "", "kind": "", "lead_in": "", "row_header": "", "col_header": ""} for e in examples]


def scores(examples: list[dict], predictions: list[dict]) -> dict:
    from textmine.evaluate import evaluate

    result = evaluate(examples, predictions)
    return {
        "n": result["n"],
        **{f"macro_{a}": result["macro"][a]["f1"] for a in AXES},
        **{f"micro_{a}": result["micro"][a]["f1"] for a in ("theme", "factor", "stage")},
    }


def row(name: str, s: dict) -> str:
    return (f"| {name} | {s['n']} | " + " | ".join(f"{s[f'macro_{a}']:.3f}" for a in AXES)
            + " | " + " | ".join(f"{s[f'micro_{a}']:.3f}" for a in ("theme", "factor", "stage")) + " |")


HEADER = ("| evaluation | passages | themes | factors | stage (action vs outcome) | recommendation "
          "| micro themes | micro factors | micro stage |\n|---|---|---|---|---|---|---|---|---|")


def predict(model, passages: list[dict]) -> list[dict]:
    from textmine.classify import probs_to_labels

    return probs_to_labels(model.predict_proba(passages), model.thresholds_, with_scores=False)


def calibration(model, examples: list[dict], bins: int = 10) -> tuple[dict[str, float], list[str]]:
    """Expected calibration error per axis, and a reliability table over every theme and factor decision."""
    from textmine import taxonomy
    from textmine.classify import head_names, label_matrix

    probs = model.predict_proba(examples)
    truth = label_matrix(examples).astype(float)
    names = head_names()
    axes = {"theme": list(taxonomy.THEMES), "factor": list(taxonomy.FACTORS), "stage": list(taxonomy.STAGES),
            "recommendation": ["recommendation"]}
    ece, table = {}, ["| predicted | decisions | mean predicted | observed |", "|---|---|---|---|"]
    edges = np.linspace(0, 1, bins + 1)
    for axis, labels in axes.items():
        cols = [names.index(label) for label in labels]
        p, y = probs[:, cols].ravel(), truth[:, cols].ravel()
        which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
        ece[axis] = float(sum(abs(p[which == b].mean() - y[which == b].mean()) * (which == b).sum()
                              for b in range(bins) if (which == b).any()) / len(p))
    cols = [names.index(label) for label in (*taxonomy.THEMES, *taxonomy.FACTORS)]
    p, y = probs[:, cols].ravel(), truth[:, cols].ravel()
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    for b in range(bins):
        if (which == b).any():
            table.append(f"| {edges[b]:.1f}-{edges[b + 1]:.1f} | {(which == b).sum()} | {p[which == b].mean():.3f} | "
                         f"{y[which == b].mean():.3f} |")
    return ece, table


def corrections_simulation(real: list[dict], weight: float | None) -> list[str]:
    """Half the real passages as corrections, a model trained with them, scored on the other half; both ways."""
    from textmine.classify import load_model
    from textmine.corrections import save_correction
    from textmine.training import CORRECTION_WEIGHT, fit_model, gather_examples

    weight = CORRECTION_WEIGHT if weight is None else weight
    shipped = load_model()
    halves = [real[0::2], real[1::2]]
    lines = [f"Corrections at weight {weight:g}: half of the real passages (alternate ones) saved as corrections, "
             "the model retrained on corpus/training plus them, scored on the other half.", "", HEADER]
    for k, (taught, scored) in enumerate((halves, halves[::-1])):
        with tempfile.TemporaryDirectory() as tmp:
            for e in taught:
                passage = {**e, "file": "real-report.pdf", "themes": [], "factors": [], "stage": None,
                           "recommendation": False, "audience": None}
                save_correction(Path(tmp), passage, {f: e[f] for f in ("themes", "factors", "stage", "recommendation", "audience")},
                                author="bench")
            started = time.perf_counter()
            model = fit_model(gather_examples([TRAINING], [Path(tmp) / "corrections.sqlite"], weight))
            seconds = time.perf_counter() - started
        lines.append(row(f"half {k + 1}: shipped model", scores(scored, predict(shipped, scored))))
        lines.append(row(f"half {k + 1}: after {len(taught)} corrections (trained in {seconds:.0f} s)",
                         scores(scored, predict(model, scored))))
    return lines


def audit_simulation(real: list[dict], predictions: list[dict], size: int, draws: int = 1000) -> list[str]:
    """Raw and audit-corrected shares of the real passages against their true shares (issue 12's measure)."""
    from audit_sim import LABELS, simulate  # bench/audit_sim.py

    def matrix(rows: list[dict]) -> np.ndarray:
        return np.array([[label in r["themes"] or label in r["factors"] or label == r["stage"] for label in LABELS]
                         for r in rows])

    result = simulate(matrix(real), matrix(predictions), size, draws, seed=0)
    axes = slice(0, len(LABELS) - 3)  # the 14 themes and factors
    raw, corrected = result["raw_error"][axes].mean(), result["error"][axes].mean()
    return [f"Audit of {size} of the {len(real)} real passages, {draws} draws: mean absolute error of the 14 theme and "
            f"factor shares raw {raw:.4f}, corrected {corrected:.4f} (corrected / raw {corrected / raw:.2f}); the 95% "
            f"interval covers the true share in {result['coverage'][axes].mean():.3f} of labels x draws, and in at least "
            f"90% of draws for {int((result['coverage'][axes] >= 0.9).sum())} of 14 labels."]


def write_card(card: Path, section: list[str]) -> None:
    """Replace (or add) the card's "## On real text" section."""
    text = card.read_text(encoding="utf-8")
    text = re.sub(r"\n## On real text\n.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip() + "\n"
    card.write_text(text + "\n## On real text\n" + "\n".join(section) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, default=REAL, help="the real-dev JSON-lines file")
    parser.add_argument("--model", type=Path, default=None, help="model folder; default: the shipped model")
    parser.add_argument("--pipeline", action="store_true", help="also typeset the real passages and run textmine on them")
    parser.add_argument("--corrections", action="store_true", help="also simulate learning from corrections (trains twice)")
    parser.add_argument("--weight", type=float, default=None, help="weight of a correction in the simulation")
    parser.add_argument("--audit", type=int, default=None, help="also simulate an audit of this many real passages")
    parser.add_argument("--card", type=Path, default=None, help="write the figures into this model card")
    args = parser.parse_args()
    if not args.real.exists():
        sys.exit(f"{args.real} not found: this bench needs the hand-labelled real report (../shared/real-dev)")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from textmine.classify import load_examples, load_model, model_version

    model = load_model(args.model)
    real = load_real(args.real)
    out = [f"Model {model_version(model)}; `python bench/real_text.py{' --pipeline' if args.pipeline else ''}"
           f"{' --corrections' if args.corrections else ''}`. Macro F1 per axis (labels present only) and micro F1.", "", HEADER,
           row("real report, text alone", scores(real, predict(model, text_alone(real)))),
           row("real report, text and context", scores(real, predict(model, real)))]
    if args.pipeline:
        from pipeline_real import pipeline_rows  # bench/pipeline_real.py: typesets and runs the report

        out += [row(name, s) for name, s in pipeline_rows(real, args.model)]
    for path in HELD_OUT:
        examples = load_examples([path])
        out.append(row(f"own held-out: {path.name}", scores(examples, predict(model, examples))))
    ece, table = calibration(model, real)
    out += ["", "Calibration on the real report (with context): expected calibration error "
            + ", ".join(f"{axis} {value:.3f}" for axis, value in ece.items()) + ".", "",
            "Reliability of theme and factor decisions:", "", *table]
    if args.audit:
        out += ["", *audit_simulation(real, predict(model, real), args.audit)]
    if args.corrections:
        out += ["", *corrections_simulation(real, args.weight)]
    print("\n".join(out))
    if args.card:
        write_card(args.card, out)


if __name__ == "__main__":
    main()
