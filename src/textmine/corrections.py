"""Researchers' label corrections, kept durably in ``OUT/corrections.sqlite``.

Every save appends a row with the passage's full label set after the correction,
who made it and when; the latest row for a passage wins. Runs apply the
corrections to their outputs (``label_source = human``) and never write to the
file; ``textmine train --corrections`` learns from it.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from . import taxonomy
from .errors import BadInput

FILENAME = "corrections.sqlite"
FIELDS = ("themes", "factors", "stage", "recommendation", "audience")

SCHEMA = """
CREATE TABLE IF NOT EXISTS corrections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id TEXT NOT NULL,
    text TEXT NOT NULL,
    section TEXT,
    labels TEXT NOT NULL,
    changed TEXT NOT NULL,
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    context TEXT
);
CREATE INDEX IF NOT EXISTS corrections_passage ON corrections (passage_id, seq);
"""
# What a correction keeps of the passage besides its text and section: its file and its
# context in the document, so that training on corrections sees what the classifier sees.
CONTEXT = ("file", "kind", "lead_in", "row_header", "col_header")


def corrections_path(out: Path) -> Path:
    return Path(out) / FILENAME


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(corrections)")}
    if "context" not in columns:  # a file written before corrections kept their context
        conn.execute("ALTER TABLE corrections ADD COLUMN context TEXT")
    return conn


def validate_changes(changes: dict) -> dict:
    """Check a correction (any subset of the label fields) against the taxonomy."""
    if not isinstance(changes, dict) or not changes:
        raise BadInput("a correction must be an object with at least one of: " + ", ".join(FIELDS))
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise BadInput(f"unknown field(s) {', '.join(sorted(unknown))}: a correction may set {', '.join(FIELDS)}")
    clean: dict = {}
    for axis, labels in (("themes", taxonomy.THEMES), ("factors", taxonomy.FACTORS)):
        if axis in changes:
            values = changes[axis]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise BadInput(f"{axis} must be a list of label ids")
            bad = [v for v in values if v not in labels]
            if bad:
                raise BadInput(f"unknown {axis[:-1]} {bad[0]!r}: use one of {', '.join(labels)}")
            clean[axis] = sorted(set(values))
    if "stage" in changes:
        if changes["stage"] is not None and (not isinstance(changes["stage"], str) or changes["stage"] not in taxonomy.STAGES):
            raise BadInput(f"unknown stage {changes['stage']!r}: use one of {', '.join(taxonomy.STAGES)} or null")
        clean["stage"] = changes["stage"]
    if "recommendation" in changes:
        if not isinstance(changes["recommendation"], bool):
            raise BadInput("recommendation must be true or false")
        clean["recommendation"] = changes["recommendation"]
    if "audience" in changes:
        if changes["audience"] is not None and (not isinstance(changes["audience"], str) or changes["audience"] not in taxonomy.AUDIENCES):
            raise BadInput(f"unknown audience {changes['audience']!r}: use council, lga or null")
        clean["audience"] = changes["audience"]
    return clean


def save_correction(out: Path, passage: dict, changes: dict, author: str = "local") -> dict:
    """Store a correction of ``passage`` and return its full label set after the change."""
    clean = validate_changes(changes)
    earlier = latest_corrections(corrections_path(out)).get(passage["id"])
    labels = dict(earlier["labels"]) if earlier else {f: passage.get(f) for f in FIELDS}
    labels.update(clean)
    if not labels.get("recommendation"):
        labels["audience"] = None
    elif labels.get("audience") is None:
        labels["audience"] = "council"
    with closing(_connect(corrections_path(out))) as conn, conn:
        conn.execute(
            "INSERT INTO corrections (passage_id, text, section, labels, changed, author, at, context) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                passage["id"],
                passage["text"],
                passage.get("section"),
                json.dumps(labels),
                json.dumps(sorted(clean)),
                author,
                datetime.now(timezone.utc).isoformat(timespec="seconds"),
                json.dumps({k: passage.get(k) for k in CONTEXT}),
            ),
        )
    return labels


def latest_corrections(path: Path) -> dict[str, dict]:
    """The latest correction of each passage in a corrections file, by passage id."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(corrections)")}
            context = "context" if "context" in columns else "NULL"
            rows = conn.execute(
                f"SELECT passage_id, text, section, labels, author, at, {context} FROM corrections c "
                "WHERE seq = (SELECT MAX(seq) FROM corrections WHERE passage_id = c.passage_id)"
            ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise BadInput(f"{path} is not a textmine corrections file ({exc})") from exc
    return {
        pid: {"text": text, "section": section, "labels": json.loads(labels), "author": author, "at": at,
              "context": json.loads(ctx) if ctx else {}}
        for pid, text, section, labels, author, at, ctx in rows
    }


def apply_corrections(out: Path, passages: list[dict]) -> list[dict]:
    """Passages with human corrections applied over the model's labels."""
    corrections = latest_corrections(corrections_path(out))
    if not corrections:
        return passages
    result = []
    for p in passages:
        c = corrections.get(p["id"])
        result.append({**p, **c["labels"], "label_source": "human"} if c else p)
    return result


def corrections_to_examples(path: Path) -> list[dict]:
    """Training examples (the training-file format) from a corrections file."""
    if not Path(path).exists():
        raise BadInput(f"corrections file {path} does not exist")
    return [
        {"text": c["text"], "section": c["section"] or "", **c["context"], **c["labels"], "source": "correction"}
        for c in latest_corrections(path).values()
    ]
