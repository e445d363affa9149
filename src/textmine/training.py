"""Train, cross-validate and document a passage classifier (the model folder and its card)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from . import taxonomy
from .classify import (
    PassageClassifier,
    data_hash,
    document_groups,
    label_matrix,
    load_examples,
    now_iso,
    probs_to_labels,
    save_model,
    validate_example,
)
from .corrections import corrections_to_examples
from .errors import BadInput
from .evaluate import evaluate, format_report

DEFAULT_DATA = Path("corpus/training")


def training_data(default: Path = DEFAULT_DATA) -> tuple[Path, ...]:
    """The training data when none is named: the project's passages in a checkout, or a clear error."""
    if not default.is_dir():
        raise BadInput(
            f"no training data given and there is no {default} here: pass --data FILE_OR_FOLDER "
            "(JSON lines in the training format; a checkout of textmine has the project's own in corpus/training)"
        )
    return (default,)


# How much one researcher's correction counts against one of our own training passages. Corrections
# are few, come from the corpus being analysed and are written the way its documents are.
CORRECTION_WEIGHT = 5.0


def gather_examples(data: Sequence[Path], corrections: Sequence[Path] = (),
                    correction_weight: float = CORRECTION_WEIGHT) -> list[dict]:
    """Training examples from JSON-lines files/folders plus saved corrections (which win and weigh more)."""
    examples = load_examples(data)
    fixed = [
        {**validate_example(ex, f"{path}: "), "weight": correction_weight, "batch": "corrections",
         "doc": f"corrections/{ex.get('file') or ''}"}
        for path in corrections for ex in corrections_to_examples(path)
    ]
    if fixed:
        corrected_texts = {ex["text"] for ex in fixed}
        examples = [ex for ex in examples if ex["text"] not in corrected_texts] + fixed
    return examples


def label_counts(examples: Sequence[dict]) -> dict[str, int]:
    counts = {label: 0 for labels in taxonomy.AXES.values() for label in labels}
    counts.update(recommendation=0, lga=0, unlabelled=0)
    for ex in examples:
        for label in ex["themes"] + ex["factors"] + ([ex["stage"]] if ex["stage"] else []):
            counts[label] += 1
        counts["recommendation"] += int(ex["recommendation"])
        counts["lga"] += int(ex["audience"] == "lga")
        counts["unlabelled"] += int(not (ex["themes"] or ex["factors"] or ex["stage"]))
    return counts


def fit_model(examples: Sequence[dict], **params) -> PassageClassifier:
    """Fit a classifier on validated examples.

    The out-of-fold scores that calibration and thresholds are set on hold out whole
    batches (the files of examples, each one writer's voice; corrections are a batch
    of their own), so the cuts are chosen on text in a voice the model has not read.
    """
    weights = np.array([ex["weight"] for ex in examples])
    return PassageClassifier(**params).fit(examples, label_matrix(examples), sample_weight=weights,
                                           groups=document_groups(examples, by="batch"))


def predict_labels(model: PassageClassifier, passages: Sequence[dict]) -> list[dict]:
    """The model's labels (no scores) for passages with their context."""
    return probs_to_labels(model.predict_proba(list(passages)), model.thresholds_, with_scores=False)


def train_model(examples: Sequence[dict], tests: dict[str, Sequence[dict]] | None = None,
                **params) -> tuple[PassageClassifier, dict]:
    """Fit the classifier; return it with cross-validated metrics and one entry per held-out set.

    ``tests`` maps a name (usually the file's stem) to labelled examples the model never saw;
    each is scored as ``held_out_<name>``.
    """
    model = fit_model(examples, **params)
    metrics = {}
    if model.oof_decisions_ is not None:
        oof = model.calibrated(model.oof_decisions_)
        metrics["cross_validated"] = evaluate(examples, probs_to_labels(oof, model.thresholds_, with_scores=False))
    for name, test in (tests or {}).items():
        metrics[f"held_out_{name}"] = evaluate(test, predict_labels(model, test))
    return model, metrics


def model_card(version: str, examples: Sequence[dict], metrics: dict, comparison: dict | None = None,
               params: dict | None = None) -> str:
    """A short model card in Markdown: data, method, scores, known weaknesses.

    ``comparison`` (from ``bench/compare.py``) adds a table of the approaches compared.
    """
    from .classify.model import RECALL_WEIGHTS

    counts = label_counts(examples)
    params = params or {}
    recall_weights = {**RECALL_WEIGHTS, **(params.get("recall_weights") or {})}
    lines = [
        f"# textmine passage classifier {version}",
        "",
        "## Data",
        f"{len(examples)} hand-written, hand-labelled passages in {len({e.get('batch') for e in examples})} batches "
        "(corpus/training: single passages and whole documents with their context; corrections where given).",
        "Passages per label: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".",
        "",
        "## Method",
        "One logistic-regression head per label over sparse features of the passage and of its context in the",
        "document (a scikit-learn ColumnTransformer): TF-IDF word 1-2-grams and character 3-5-grams of the text,",
        "cue-phrase counts and similarity to each label's definition; the words and cue phrases of its heading path,",
        "of the lead-in of the list it belongs to and of a table cell's row and column headers; and layout features",
        "(kind, imperative mood, modal verbs, list punctuation, time markers of the lead-in, the first word of a list",
        f"item). Each head's features are scaled by naive Bayes log-count ratios (NBSVM-style, weight {params.get('nb_weight', 0)})",
        f"and a plain logistic head over the text's n-grams is averaged in (weight {params.get('plain_mix', 0)}); both fold into",
        "one weight matrix. Scores are calibrated (sigmoid, scikit-learn's CalibratedClassifierCV) and cut",
        "(TunedThresholdClassifierCV) on out-of-fold scores from folds that hold out whole batches of training data,",
        "each one writer's voice, so the cuts are set on text in a voice the model has not read. Each cut maximises",
        "F-beta with recall weighted per axis (" + ", ".join(f"{axis} {beta:g}" for axis, beta in recall_weights.items())
        + "): on real reports precision holds and recall falls, most for factors. Deterministic (fixed fold seed).",
        "",
        "## Scores",
    ]
    for name, result in metrics.items():
        lines += [f"### {name.replace('_', ' ')} ({result['n']} passages)", "", "```", format_report(result), "```", ""]
    if comparison:
        lines += comparison_section(comparison)
    lines += [
        "## Known weaknesses",
        "- Trained on text the team wrote; real reports use other wording. Cross-validated scores on our own",
        "  text flatter the model: trust the held-out file more, and check passages before quoting numbers.",
        "- Factors are rare in review reports and are mostly found in follow-up and research text.",
        "- Stage depends on tense, attribution and the lead-in of a list; passages given without their context",
        "  (`textmine classify` on bare text) lose most of what tells action from outcome.",
        "- The figures on real text below come from one real report (87 passages, bench/real_text.py); they are",
        "  the honest measure, and they are lower than those on our own held-out files.",
    ]
    return "\n".join(lines) + "\n"


def comparison_section(comparison: dict) -> list[str]:
    """The model card's lines on compared approaches: one table of macro F1 per evaluation set."""
    lines = ["## Comparison", "",
             "Every approach is scored on the same cross-validation folds, and trained once on all the data",
             "for the held-out files. Macro F1; stage is action vs outcome.", ""]
    for evaluation in next(iter(comparison.values())):
        lines += [f"### {evaluation.replace('_', ' ')}", "",
                  "| approach | themes | factors | stage | recommendation |", "|---|---|---|---|---|"]
        for name, by_set in comparison.items():
            m = by_set[evaluation]
            lines.append(f"| {name} | {m['theme']['f1']:.3f} | {m['factor']['f1']:.3f} | "
                         f"{m['stage_action_outcome']['f1']:.3f} | {m['recommendation']['f1']:.3f} |")
        lines.append("")
    return lines


def model_version_name(examples: Sequence[dict], params: dict) -> str:
    """The version of a model: a hash of its training data, its settings and the classifier code.

    Two models share a version only if they were trained the same way on the same data, so
    caches keyed by version never mix labels from different models.
    """
    import hashlib

    from . import classify, labels

    package = Path(classify.__file__).parent
    code = b"".join(f.read_bytes() for f in sorted(package.glob("*.py")))
    code += b"".join(Path(module.__file__).read_bytes() for module in (labels, taxonomy))
    digest = hashlib.sha256()
    for part in (data_hash(examples).encode(), json.dumps(params, sort_keys=True).encode(), code):
        digest.update(part)
    return "tm-" + digest.hexdigest()[:10]


def write_model(model: PassageClassifier, folder: Path, examples: Sequence[dict], metrics: dict) -> Path:
    """Save a model folder: weights, label set, data hash, thresholds, metrics.json, MODEL_CARD.md."""
    folder = Path(folder)
    digest = data_hash(examples)
    version = folder.name
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    save_model(
        model, tmp,
        card={
            "version": version,
            "trained_at": now_iso(),
            "data_hash": digest,
            "examples": len(examples),
            "labels": {axis: list(labels) for axis, labels in taxonomy.AXES.items()},
        },
    )
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (tmp / "MODEL_CARD.md").write_text(model_card(version, examples, metrics, params=model.get_params()), encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder
