"""Labelled examples: read JSON lines, validate them against the taxonomy, turn them into targets.

An example is a passage (its ``text`` and its context in the document: ``section``,
``kind``, ``lead_in``, ``row_header``, ``col_header``) with its hand labels
(``themes``, ``factors``, ``stage``, ``recommendation``, ``audience``). Examples
may also carry ``doc`` (the document they come from), ``batch`` (the file of
examples, one writer's voice, they come from; set when they are loaded) and
``weight``. Cross-validation holds out whole batches, so its scores show how the
model does on a voice it has not read - which is what real documents are.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .. import taxonomy
from ..errors import BadInput

RECOMMENDATION = "recommendation"
AUDIENCE_LGA = "audience_lga"
# The context of a passage in its document that the classifier reads beside its text.
CONTEXT_FIELDS = ("section", "kind", "lead_in", "row_header", "col_header")
KINDS = ("paragraph", "bullet", "table_cell")
NOT_APPLICABLE = -1  # a target that does not apply (the audience of a passage that recommends nothing)


HEAD_AXES = {
    **{label: axis for axis, labels in taxonomy.AXES.items() for label in labels},
    RECOMMENDATION: "recommendation",
    AUDIENCE_LGA: "audience",
}


def head_names() -> list[str]:
    """Every binary head of the model, in a fixed order."""
    return [*taxonomy.THEMES, *taxonomy.FACTORS, *taxonomy.STAGES, RECOMMENDATION, AUDIENCE_LGA]


def parse_jsonl(lines: Iterable[str], source: str) -> list[dict]:
    """Records with a ``text`` string from JSON lines, naming ``source`` and the line of any bad one."""
    records = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{source}: line {n} is not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise BadInput(f"{source}: line {n} has no 'text' string")
        for name in CONTEXT_FIELDS:
            if record.get(name) is not None and not isinstance(record[name], str):
                raise BadInput(f"{source}: line {n}: {name} must be a string or null, not {record[name]!r}")
        records.append(record)
    return records


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSON-lines file of passages."""
    with open(path, encoding="utf-8") as fh:
        return parse_jsonl(fh, str(path))


def context_of(record: dict) -> dict[str, str]:
    """The context fields of a passage or example, missing ones as empty strings."""
    return {name: record.get(name) or "" for name in CONTEXT_FIELDS}


def validate_example(record: dict, where: str = "") -> dict:
    """Check one labelled example against the taxonomy and return it normalised."""
    themes = record.get("themes") or []
    factors = record.get("factors") or []
    stage = record.get("stage") or None
    for label in themes:
        if label not in taxonomy.THEMES:
            raise BadInput(f"{where}unknown theme {label!r}: use one of {', '.join(taxonomy.THEMES)}")
    for label in factors:
        if label not in taxonomy.FACTORS:
            raise BadInput(f"{where}unknown factor {label!r}: use one of {', '.join(taxonomy.FACTORS)}")
    if stage is not None and stage not in taxonomy.STAGES:
        raise BadInput(f"{where}unknown stage {stage!r}: use one of {', '.join(taxonomy.STAGES)} or null")
    recommendation = bool(record.get("recommendation"))
    audience = record.get("audience") if recommendation else None
    if audience is not None and audience not in taxonomy.AUDIENCES:
        raise BadInput(f"{where}unknown audience {audience!r}: use 'council', 'lga' or null")
    kind = record.get("kind") or ""
    if kind and kind not in KINDS:
        raise BadInput(f"{where}unknown kind {kind!r}: use one of {', '.join(KINDS)} or leave it out")
    weight = record.get("weight", 1.0)
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not weight > 0:
        raise BadInput(f"{where}weight must be a positive number, not {weight!r}")
    return {
        "text": record["text"],
        **context_of(record),
        "doc": str(record.get("doc") or ""),
        "batch": str(record.get("batch") or ""),
        "weight": float(weight),
        "themes": sorted(set(themes)),
        "factors": sorted(set(factors)),
        "stage": stage,
        "recommendation": recommendation,
        "audience": audience,
    }


def load_examples(paths: Iterable[Path]) -> list[dict]:
    """Labelled examples from JSON-lines files or folders of them, validated; ``batch`` is the file's stem."""
    examples = []
    for path in paths:
        path = Path(path)
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        if not files:
            raise BadInput(f"{path} has no .jsonl files")
        for file in files:
            for n, record in enumerate(read_jsonl(file), start=1):
                example = validate_example(record, f"{file}: example {n}: ")
                example["batch"] = example["batch"] or file.stem
                if example["doc"]:
                    example["doc"] = f"{example['batch']}/{example['doc']}"
                examples.append(example)
    return examples


def label_matrix(examples: Sequence[dict]) -> np.ndarray:
    """Binary targets, one column per head; the audience is ``NOT_APPLICABLE`` unless a recommendation."""
    names = head_names()
    y = np.zeros((len(examples), len(names)), dtype=np.int8)
    index = {name: i for i, name in enumerate(names)}
    for r, ex in enumerate(examples):
        for label in ex["themes"] + ex["factors"]:
            y[r, index[label]] = 1
        if ex["stage"]:
            y[r, index[ex["stage"]]] = 1
        y[r, index[RECOMMENDATION]] = int(ex["recommendation"])
        y[r, index[AUDIENCE_LGA]] = int(ex["audience"] == "lga") if ex["recommendation"] else NOT_APPLICABLE
    return y


def document_groups(examples: Sequence[dict], by: str = "doc") -> np.ndarray:
    """A group number per example: its ``doc`` (or ``batch``), or itself when it names none."""
    if by not in ("doc", "batch"):
        raise ValueError(f"group examples by 'doc' or 'batch', not {by!r}")
    ids: dict[str, int] = {}
    groups = np.empty(len(examples), dtype=np.int64)
    for i, ex in enumerate(examples):
        key = ex.get(by) or f"\x00{i}"
        groups[i] = ids.setdefault(key, len(ids))
    return groups


def data_hash(examples: Sequence[dict]) -> str:
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(json.dumps(ex, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()
