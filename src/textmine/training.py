"""Train, cross-validate and document a passage classifier (the model folder and its card)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Sequence

from . import taxonomy
from .classify import PassageClassifier, data_hash, load_examples, now_iso, probs_to_labels
from .corrections import corrections_to_examples
from .errors import BadInput
from .evaluate import evaluate, format_report
from .labels import validate_example


DEFAULT_DATA = Path("corpus/training")


def training_data(default: Path = DEFAULT_DATA) -> tuple[Path, ...]:
    """The training data when none is named: the project's passages in a checkout, or a clear error."""
    if not default.is_dir():
        raise BadInput(
            f"no training data given and there is no {default} here: pass --data FILE_OR_FOLDER "
            "(JSON lines in the training format; a checkout of textmine has the project's own in corpus/training)"
        )
    return (default,)


def gather_examples(data: Sequence[Path], corrections: Sequence[Path] = ()) -> list[dict]:
    """Training examples from JSON-lines files/folders plus saved corrections (which win)."""
    examples = load_examples(data)
    fixed = [validate_example(ex, f"{path}: ") for path in corrections for ex in corrections_to_examples(path)]
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


def train_model(examples: Sequence[dict], tests: dict[str, Sequence[dict]] | None = None,
                **params) -> tuple[PassageClassifier, dict]:
    """Fit the classifier; return it with cross-validated metrics and one entry per held-out set.

    ``tests`` maps a name (usually the file's stem) to labelled examples the model never saw;
    each is scored as ``held_out_<name>``.
    """
    model = PassageClassifier(**params).fit(examples)
    metrics = {"cross_validated": evaluate(examples, probs_to_labels(model.oof_probs_, model.thresholds_))}
    for name, test in (tests or {}).items():
        predictions = model.predict([e["text"] for e in test], [e["section"] for e in test])
        metrics[f"held_out_{name}"] = evaluate(test, predictions)
    return model, metrics


def model_card(version: str, examples: Sequence[dict], metrics: dict, comparison: dict | None = None,
               params: dict | None = None) -> str:
    """A short model card in Markdown: data, method, scores, known weaknesses.

    ``comparison`` (from ``bench/compare.py``) adds a table of the approaches compared.
    """
    counts = label_counts(examples)
    params = params or {}
    lines = [
        f"# textmine passage classifier {version}",
        "",
        "## Data",
        f"{len(examples)} hand-written, hand-labelled passages (corpus/training; corrections where given).",
        "Passages per label: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".",
        "",
        "## Method",
        "One logistic-regression head per label over TF-IDF word 1-2-grams, character 3-5-grams, the section",
        "heading's words, cue-phrase counts and similarity to each label's definition; each head's features",
        f"are first scaled by naive Bayes log-count ratios (NBSVM-style, weight {params.get('nb_weight', 0)}), and a plain",
        f"logistic head over the word and character n-grams alone is averaged in (weight {params.get('plain_mix', 0)}).",
        "Both are folded into one weight matrix. Scores are calibrated",
        "with Platt scaling on 5-fold out-of-fold decision values; per-label thresholds maximise F1 on the same",
        "folds. Deterministic (fixed fold seed).",
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
        "- Stage depends on tense and attribution (planned vs done vs changed), which bag-of-words features",
        "  capture only partly.",
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

    code = b"".join(Path(module.__file__).read_bytes() for module in (classify, labels, taxonomy))
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
    model.save(
        tmp,
        card={
            "version": version,
            "trained_at": now_iso(),
            "data_hash": digest,
            "examples": len(examples),
            "labels": {axis: list(labels) for axis, labels in taxonomy.AXES.items()},
        },
    )
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (tmp / "MODEL_CARD.md").write_text(model_card(version, examples, metrics, params=model.params()), encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder
