"""Score predictions against hand labels: precision, recall, F1 and Cohen's kappa per label."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .labels import AUDIENCE_LGA, HEAD_AXES, RECOMMENDATION, head_names, indicator_matrix


def binary_scores(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1, Cohen's kappa and support of one binary label.

    >>> binary_scores(np.array([1, 0, 1, 0]), np.array([1, 0, 0, 0]))["precision"]
    1.0
    """
    truth = truth.astype(bool)
    pred = pred.astype(bool)
    n = len(truth)
    tp = float((truth & pred).sum())
    fp = float((~truth & pred).sum())
    fn = float((truth & ~pred).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    observed = float((truth == pred).mean()) if n else 0.0
    expected = (truth.mean() * pred.mean() + (1 - truth.mean()) * (1 - pred.mean())) if n else 0.0
    kappa = (observed - expected) / (1 - expected) if expected < 1 else (1.0 if observed == 1 else 0.0)
    return {"precision": precision, "recall": recall, "f1": f1, "kappa": kappa, "support": int(truth.sum())}


def evaluate(examples: Sequence[dict], predictions: Sequence[dict]) -> dict:
    """Per-label scores, macro averages per axis, and micro averages (every decision of an axis pooled).

    Macro averages count only labels present in ``examples``; on a small set a label
    with one or two passages sways them, and the micro averages show the steadier view.

    ``examples`` are validated hand-labelled records; ``predictions`` carry the same
    fields as the classifier's output. The audience is scored on the passages that
    are recommendations by hand.
    """
    truth = indicator_matrix(examples)
    pred = indicator_matrix(predictions)
    names = head_names()
    is_rec = truth[:, names.index(RECOMMENDATION)]
    per_label = {}
    for j, name in enumerate(names):
        rows = is_rec if name == AUDIENCE_LGA else slice(None)
        per_label[name] = {"axis": HEAD_AXES[name], **binary_scores(truth[rows, j], pred[rows, j])}
    macro = {}
    for axis in ("theme", "factor", "stage"):
        labels = [v for v in per_label.values() if v["axis"] == axis and v["support"] > 0]
        macro[axis] = {
            k: float(np.mean([v[k] for v in labels])) if labels else 0.0 for k in ("precision", "recall", "f1", "kappa")
        }
    outcome_action = [per_label[s] for s in ("action", "outcome")]
    macro["stage_action_outcome"] = {
        k: float(np.mean([v[k] for v in outcome_action])) for k in ("precision", "recall", "f1", "kappa")
    }
    macro["recommendation"] = {k: per_label[RECOMMENDATION][k] for k in ("precision", "recall", "f1", "kappa")}
    micro = {}
    for axis in ("theme", "factor", "stage"):
        cols = [j for j, name in enumerate(names) if HEAD_AXES[name] == axis]
        t, p = truth[:, cols], pred[:, cols]
        tp, fp, fn = float((t & p).sum()), float((~t & p).sum()), float((t & ~p).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        micro[axis] = {"precision": precision, "recall": recall, "f1": f1, "support": int(t.sum())}
    return {"n": len(examples), "labels": per_label, "macro": macro, "micro": micro}


def format_report(result: dict) -> str:
    """A plain-text table of an ``evaluate`` result."""
    lines = [f"{'label':34} {'axis':14} {'P':>6} {'R':>6} {'F1':>6} {'kappa':>6} {'n':>5}"]
    for name, s in result["labels"].items():
        lines.append(
            f"{name:34} {s['axis']:14} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['kappa']:6.3f} {s['support']:5d}"
        )
    lines.append("")
    for axis, s in result["macro"].items():
        lines.append(f"macro {axis:28} {'':14} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['kappa']:6.3f}")
    for axis, s in result.get("micro", {}).items():
        lines.append(f"micro {axis:28} {'':14} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {'':6} {s['support']:5d}")
    lines.append(f"passages: {result['n']}")
    return "\n".join(lines)
