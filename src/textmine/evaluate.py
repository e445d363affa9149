"""Score predictions against hand labels: precision, recall, F1 and Cohen's kappa per label.

``evaluate`` scores the model on a labelled file; ``accuracy_table`` scores it on
the audit of a run, with 95% intervals (``accuracy.csv``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .aggregate import wilson
from .labels import AUDIENCE_LGA, HEAD_AXES, RECOMMENDATION, head_names, indicator_matrix

BOOTSTRAP_RESAMPLES = 2000
ACCURACY_COLUMNS = [
    "axis", "label", "audited", "truth_positive", "model_positive", "tp", "fp", "fn", "tn",
    "precision", "precision_low", "precision_high", "recall", "recall_low", "recall_high",
    "f1", "f1_low", "f1_high", "kappa", "kappa_low", "kappa_high", "note",
]


def scores_from_counts(tp, fp, fn, tn) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and Cohen's kappa from confusion counts (numbers or arrays); nan where undefined.

    Precision is undefined without predicted positives, recall without true
    positives, F1 without either, and kappa when truth and prediction are one
    constant value (or there is nothing to score).

    >>> {k: round(float(v), 3) for k, v in scores_from_counts(2, 1, 1, 6).items()}
    {'precision': 0.667, 'recall': 0.667, 'f1': 0.667, 'kappa': 0.524}
    """
    tp, fp, fn, tn = (np.asarray(x, dtype=float) for x in (tp, fp, fn, tn))
    n = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        truth_share, pred_share = (tp + fn) / n, (tp + fp) / n
        expected = truth_share * pred_share + (1 - truth_share) * (1 - pred_share)
        kappa = np.where(expected < 1, ((tp + tn) / n - expected) / (1 - expected), np.nan)
        return {"precision": tp / (tp + fp), "recall": tp / (tp + fn), "f1": 2 * tp / (2 * tp + fp + fn), "kappa": kappa}


def confusion(truth: np.ndarray, pred: np.ndarray, axis: int = 0) -> tuple[np.ndarray, ...]:
    """True and false positives, false and true negatives of boolean ``pred`` against ``truth``, summed along ``axis``."""
    return ((truth & pred).sum(axis), (~truth & pred).sum(axis), (truth & ~pred).sum(axis), (~truth & ~pred).sum(axis))


def binary_scores(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1, Cohen's kappa and support of one binary label.

    An undefined precision, recall or F1 counts as 0; kappa is 1 when truth and
    prediction agree on one constant value, 0 when there is nothing to score.

    >>> binary_scores(np.array([1, 0, 1, 0]), np.array([1, 0, 0, 0]))["precision"]
    1.0
    """
    truth = truth.astype(bool)
    pred = pred.astype(bool)
    scores = {k: float(v) for k, v in scores_from_counts(*confusion(truth, pred)).items()}
    if np.isnan(scores["kappa"]):
        scores["kappa"] = 1.0 if len(truth) else 0.0
    return {**{k: 0.0 if np.isnan(v) else v for k, v in scores.items()}, "support": int(truth.sum())}


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


def _percentile_interval(values: np.ndarray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of bootstrap values, over the draws where the score is defined."""
    defined = values[~np.isnan(values)]
    if not len(defined):
        return (np.nan, np.nan)
    low, high = np.percentile(defined, [2.5, 97.5])
    return (float(low), float(high))


def _accuracy_note(truth_positive: int, model_positive: int, audited: int) -> str:
    if not audited:
        return "no audited passage to score this label on"
    if not truth_positive and not model_positive:
        return "neither the audit nor the model gives this label to any audited passage: nothing to score yet"
    if not model_positive:
        return "the model gives no audited passage this label: precision is undefined, and the model misses all of them"
    if not truth_positive:
        return "no audited passage carries this label: recall is undefined, and every model label is a false positive"
    return ""


def accuracy_table(truth: Sequence[dict], model: Sequence[dict], resamples: int = BOOTSTRAP_RESAMPLES,
                   seed: int = 0) -> pd.DataFrame:
    """The model's precision, recall, F1 and Cohen's kappa per label against an audit, with 95% intervals.

    ``truth`` and ``model`` are the audit's and the model's label sets of the same
    audited passages, in the same order. Precision and recall are proportions
    with Wilson intervals; F1 and kappa get percentile intervals of a bootstrap
    over the audited passages (``resamples`` draws, seeded; a draw in which the
    score is undefined is left out). ``audience_lga`` is
    scored on the passages the audit calls recommendations. Undefined scores are
    left empty, and ``note`` says why.
    """
    truth_m, pred_m = indicator_matrix(truth), indicator_matrix(model)
    names = head_names()
    rng = np.random.default_rng(seed)
    rows = []
    for j, name in enumerate(names):
        keep = truth_m[:, names.index(RECOMMENDATION)] if name == AUDIENCE_LGA else np.ones(len(truth_m), bool)
        t, p = truth_m[keep, j], pred_m[keep, j]
        tp, fp, fn, tn = (int(x) for x in confusion(t, p))
        point = scores_from_counts(tp, fp, fn, tn)
        draws = rng.integers(0, len(t), size=(resamples, len(t))) if len(t) else np.zeros((resamples, 0), int)
        boot = scores_from_counts(*confusion(t[draws], p[draws], axis=1))
        precision_ci, recall_ci = wilson(tp, tp + fp), wilson(tp, tp + fn)
        f1_low, f1_high = _percentile_interval(boot["f1"])
        kappa_low, kappa_high = _percentile_interval(boot["kappa"])
        rows.append({
            "axis": HEAD_AXES[name], "label": name, "audited": len(t), "truth_positive": tp + fn,
            "model_positive": tp + fp, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": float(point["precision"]), "precision_low": precision_ci[0], "precision_high": precision_ci[1],
            "recall": float(point["recall"]), "recall_low": recall_ci[0], "recall_high": recall_ci[1],
            "f1": float(point["f1"]), "f1_low": f1_low, "f1_high": f1_high,
            "kappa": float(point["kappa"]), "kappa_low": kappa_low, "kappa_high": kappa_high,
            "note": _accuracy_note(tp + fn, tp + fp, len(t)),
        })
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)
