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

from ..errors import BadInput
from ..labels import AUDIENCE_LGA, HEAD_AXES, RECOMMENDATION, Labels, head_names, indicator_matrix  # noqa: F401

# The context of a passage in its document that the classifier reads beside its text.
CONTEXT_FIELDS = ("section", "kind", "lead_in", "row_header", "col_header")
KINDS = ("paragraph", "bullet", "table_cell")


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
    """One labelled example checked (its label set by ``labels.Labels``) and returned normalised."""
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
        **Labels.from_dict(record, where).to_dict(),
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
    """Binary targets, one column per head (``labels.indicator_matrix``)."""
    return indicator_matrix(examples).astype(np.int8)


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
