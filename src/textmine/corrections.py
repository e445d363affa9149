"""Researchers' label corrections, kept durably in ``OUT/corrections.sqlite``.

Every save appends a row with the passage's full label set after the correction,
who made it and when; the latest row for a passage wins. A run applies the
corrections right after classifying (``label_source = human``), so every table
and the report count the corrected labels; runs never write to the file.
``textmine train --corrections`` learns from it.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from .errors import BadInput
from .labels import Labels, model_labels

FILENAME = "corrections.sqlite"

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


def connect(out: Path) -> sqlite3.Connection:
    """A connection to ``OUT/corrections.sqlite`` for writing (created, and its tables made, if missing)."""
    conn = sqlite3.connect(corrections_path(out), timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(corrections)")}
    if "context" not in columns:  # a file written before corrections kept their context
        conn.execute("ALTER TABLE corrections ADD COLUMN context TEXT")
    return conn


def save_correction(out: Path, passage: dict, changes: dict, author: str = "local") -> dict:
    """Store a correction of ``passage`` and return its full label set after the change.

    ``changes`` sets any of the label fields (``labels.LABEL_FIELDS``) over the
    passage's latest labels (an earlier correction, or the passage's own). A
    recommendation without an audience is taken to be for the council.
    """
    earlier = latest_corrections(corrections_path(out)).get(passage["id"])
    labels = full_labels(Labels.from_dict(earlier["labels"] if earlier else passage).updated(changes))
    with closing(connect(out)) as conn, conn:
        insert_correction(conn, passage, labels, sorted(changes), author)
    return labels.to_dict()


def full_labels(labels: Labels) -> Labels:
    """A label set as it is saved: a recommendation without an audience is taken to be for the council."""
    return replace(labels, audience="council") if labels.recommendation and labels.audience is None else labels


def insert_correction(conn: sqlite3.Connection, passage: dict, labels: Labels, changed: list[str], author: str) -> int:
    """Append one correction row (inside the caller's transaction on ``connect``); its ``seq``."""
    cursor = conn.execute(
        "INSERT INTO corrections (passage_id, text, section, labels, changed, author, at, context) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            passage["id"],
            passage["text"],
            passage.get("section"),
            json.dumps(labels.to_dict()),
            json.dumps(changed),
            author,
            now(),
            json.dumps({k: passage.get(k) for k in CONTEXT}),
        ),
    )
    return int(cursor.lastrowid)


def now() -> str:
    """The time a correction or audit label is saved: UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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


def apply_corrections(passages: list[dict], corrections: dict[str, dict]) -> list[dict]:
    """Passages with the label set of their latest correction (``latest_corrections``) over the model's.

    The one place corrections meet passages: a run applies them right after
    classification, so every output is built from the same labels, and the
    browser applies them again to show the corrections made since.
    The model's own labels stay beside them (``model_labels``), for measuring
    the model against an audit.
    """
    if not corrections:
        return passages
    return [
        {**p, **corrections[p["id"]]["labels"], "label_source": "human", "model_labels": model_labels(p)}
        if p["id"] in corrections else p
        for p in passages
    ]


def corrections_to_examples(path: Path) -> list[dict]:
    """Training examples (the training-file format) from a corrections file."""
    if not Path(path).exists():
        raise BadInput(f"corrections file {path} does not exist")
    return [
        {"text": c["text"], "section": c["section"] or "", **c["context"], **c["labels"], "source": "correction"}
        for c in latest_corrections(path).values()
    ]
