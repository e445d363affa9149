"""The audit: a simple random sample of a run's passages, labelled blind by a researcher.

The audit measures the classifier on the user's own corpus (``evaluate.accuracy_table``)
and corrects the prevalence for its errors (``aggregate.corrected_shares``). It is kept
in ``OUT/corrections.sqlite`` beside the corrections, and never written by a run:

- ``audit_sample``: the sample's passage ids. Each passage has a permanent random
  number, a hash of the sample's seed and its id; the sample is the passages with
  the smallest numbers, so drawing is reproducible, and growing the sample to N
  adds the next smallest without redrawing any. A passage whose document changed
  (its id is gone from the run) stays in the table and is reported as vanished.
- ``audit_labels``: every audit answer, the passage's full label set, with who,
  when and how (``browser``, ``api`` or ``import:FILE``); the latest answer wins.

Every answer is also saved as a correction, so the passage shows its human labels
and feeds ``textmine train --corrections``; a correction made anywhere else (the
review queue, a passage page) is never an audit answer, because those passages
were not drawn at random.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .corrections import connect, corrections_path, full_labels, insert_correction, now
from .errors import BadInput
from .explore import load_run, records
from .labels import LABEL_FIELDS, Labels

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_sample (
    passage_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    seed INTEGER NOT NULL,
    drawn_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_labels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id TEXT NOT NULL,
    labels TEXT NOT NULL,
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    origin TEXT NOT NULL,
    correction_seq INTEGER NOT NULL
);
"""
# An answer must say, for each of these, what the passage carries ([] or null where nothing applies);
# the audience is asked only of a recommendation (the council when not given).
REQUIRED_FIELDS = ("themes", "factors", "stage", "recommendation")
START = "textmine audit {out} --size 60"
# The fields ``textmine audit`` prints beside the labels, which an imported line may keep.
PRINTED_FIELDS = ("id", "position", "file", "page", "section", "text", "model_labels", "audit_labels")
# The answer an audit form starts from: nothing ticked.
BLANK = {"themes": [], "factors": [], "stage": None, "recommendation": False, "audience": None}


def sample_key(seed: int, passage_id: str) -> str:
    """The permanent random number of a passage in a sample drawn with ``seed`` (a hex digest).

    >>> sample_key(7, "p1") == sample_key(7, "p1") != sample_key(8, "p1")
    True
    """
    return hashlib.sha256(f"{seed}:{passage_id}".encode("utf-8")).hexdigest()


def passages_to_add(sample: Iterable[str], population: Iterable[str], size: int, seed: int) -> list[str]:
    """The passages that grow ``sample`` to ``size`` passages of ``population``: those with the smallest keys.

    Passages already in the sample stay, whether or not they are still in the
    population; only those still in it count towards ``size``.

    >>> passages_to_add([], ["a", "b", "c", "d"], 2, seed=1) == passages_to_add([], ["d", "c", "b", "a"], 2, seed=1)
    True
    """
    sample = set(sample)
    population = list(dict.fromkeys(population))
    present = sum(1 for pid in population if pid in sample)
    if size < 1:
        raise BadInput(f"an audit sample needs at least 1 passage, not {size}")
    if size > len(population):
        raise BadInput(f"the run has only {len(population)} passages: an audit sample cannot hold {size}")
    if size < present:
        raise BadInput(f"the audit sample already holds {present} passages of this run and only grows: "
                       f"give --size {present} or more")
    others = sorted((pid for pid in population if pid not in sample), key=lambda pid: sample_key(seed, pid))
    return others[:size - present]


@dataclass
class Audit:
    """The audit sample of one output folder, read against the passages of the current run.

    ``ids`` are the sample's passages in the run, in sample order; ``vanished``
    the sample's passages the run no longer has; ``answers`` the latest audit
    label set of each answered passage of ``ids``.
    """

    seed: int | None = None
    ids: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    answers: dict[str, dict] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def done(self) -> int:
        return len(self.answers)

    def next_unanswered(self) -> str | None:
        """The first passage of the sample, in sample order, without an answer (None when all are done)."""
        return next((pid for pid in self.ids if pid not in self.answers), None)

    def progress(self) -> str:
        """How far the audit has got, in words.

        >>> Audit(1, ["a", "b", "c"], ["z"], {"a": {}}).progress()
        '1 of 3 done; 1 passage of the sample is no longer in the run (its document changed)'
        """
        text = f"{self.done} of {self.size} done"
        if self.vanished:
            many = len(self.vanished) != 1
            text += (f"; {len(self.vanished)} passage{'s' if many else ''} of the sample {'are' if many else 'is'} "
                     f"no longer in the run ({'their documents' if many else 'its document'} changed)")
        return text


def _connect(out: Path) -> sqlite3.Connection:
    conn = connect(out)
    conn.executescript(SCHEMA)
    return conn


def _read(conn: sqlite3.Connection, population: Iterable[str]) -> Audit:
    rows = conn.execute("SELECT passage_id, seed FROM audit_sample ORDER BY key").fetchall()
    if not rows:
        return Audit()
    present = set(population)
    answers = {
        pid: json.loads(labels)
        for pid, labels in conn.execute(
            "SELECT passage_id, labels FROM audit_labels a "
            "WHERE seq = (SELECT MAX(seq) FROM audit_labels WHERE passage_id = a.passage_id)"
        )
        if pid in present
    }
    return Audit(rows[0][1], [pid for pid, _ in rows if pid in present], [pid for pid, _ in rows if pid not in present],
                 answers)


def load_audit(out: Path, population: Iterable[str]) -> Audit:
    """The audit sample and answers kept in ``out``, against the passage ids of the current run (empty when none)."""
    path = corrections_path(out)
    if not path.exists():
        return Audit()
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return _read(conn, population) if "audit_sample" in tables else Audit()
    except sqlite3.DatabaseError as exc:
        raise BadInput(f"{path} is not a textmine corrections file ({exc})") from exc


def draw_sample(out: Path, population: list[str], size: int, seed: int | None = None) -> tuple[Audit, list[str]]:
    """Draw the audit sample of ``size`` passages of the run, or grow the one kept in ``out`` to ``size``.

    ``population`` holds the passage ids of the current run. A new sample without
    ``seed`` gets a random one, kept with it; growing a sample takes its own seed
    (another is refused). Returns the audit and the ids added.
    """
    with closing(_connect(out)) as conn, conn:
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time between reading the sample and growing it
        existing = conn.execute("SELECT passage_id, seed FROM audit_sample").fetchall()
        kept_seed = existing[0][1] if existing else None
        if kept_seed is not None and seed is not None and seed != kept_seed:
            raise BadInput(f"the audit sample in {out} was drawn with seed {kept_seed}: grow it with --seed {kept_seed} "
                           "or without --seed")
        seed = kept_seed if kept_seed is not None else (seed if seed is not None else secrets.randbelow(2**31))
        added = passages_to_add((pid for pid, _ in existing), population, size, seed)
        drawn_at = now()
        conn.executemany("INSERT INTO audit_sample (passage_id, key, seed, drawn_at) VALUES (?, ?, ?, ?)",
                         [(pid, sample_key(seed, pid), seed, drawn_at) for pid in added])
        return _read(conn, population), added


def answer_labels(record: Mapping, where: str = "") -> Labels:
    """The full label set of one audit answer, checked as every label set is (``labels.Labels``).

    An answer names every field of ``REQUIRED_FIELDS`` (an unanswered field is not
    "none"); any other field is refused.

    >>> answer_labels({"themes": [], "factors": [], "stage": None}, "line 2: ")
    Traceback (most recent call last):
    ...
    textmine.errors.BadInput: line 2: an audit answer gives every label field: recommendation is missing (use [], null or false where none applies)
    """
    if not isinstance(record, Mapping):
        raise BadInput(f"{where}an audit answer is a JSON object with {', '.join(LABEL_FIELDS)}, not {type(record).__name__}")
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        raise BadInput(f"{where}an audit answer gives every label field: {', '.join(missing)} "
                       f"{'is' if len(missing) == 1 else 'are'} missing (use [], null or false where none applies)")
    unknown = sorted(set(record) - set(LABEL_FIELDS))
    if unknown:
        raise BadInput(f"{where}unknown field(s) {', '.join(unknown)}: an audit answer sets {', '.join(LABEL_FIELDS)}")
    return full_labels(Labels.from_dict(record, where))


def _check_in_sample(audit: Audit, passage_id: str, where: str = "") -> None:
    if passage_id in audit.ids:
        return
    if passage_id in audit.vanished:
        raise BadInput(f"{where}passage {passage_id!r} of the audit sample is no longer in the current run "
                       "(its document changed): it cannot be labelled")
    if audit.seed is None:
        raise BadInput(f"{where}there is no audit sample yet: draw one with `textmine audit OUT --size 60`")
    raise BadInput(f"{where}passage {passage_id!r} is not in the audit sample: only the sample's passages take "
                   "audit labels (correct other passages on their own page)")


def _insert_answers(out: Path, answers: list[tuple[dict, Labels]], author: str, origin: str) -> None:
    with closing(_connect(out)) as conn, conn:
        for passage, labels in answers:
            seq = insert_correction(conn, passage, labels, list(LABEL_FIELDS), author)
            conn.execute(
                "INSERT INTO audit_labels (passage_id, labels, author, at, origin, correction_seq) VALUES (?, ?, ?, ?, ?, ?)",
                (passage["id"], json.dumps(labels.to_dict()), author, now(), origin, seq),
            )


def save_answer(out: Path, audit: Audit, passages: Mapping[str, dict], passage_id: str, record: Mapping,
                author: str = "local", origin: str = "browser") -> dict:
    """Store a researcher's audit answer for a passage of the sample and return its label set.

    ``passages`` are the sample's passages by id (``current_audit``); ``record`` gives
    the full label set (``answer_labels``). The answer is also a correction of
    the passage. Nothing is written when the passage is not in the sample or the
    labels are bad.
    """
    _check_in_sample(audit, passage_id)
    labels = answer_labels(record)
    _insert_answers(out, [(passages[passage_id], labels)], author, origin)
    return labels.to_dict()


def read_answers(path: Path, audit: Audit, passages: Mapping[str, dict]) -> list[tuple[dict, Labels]]:
    """The audit answers of a JSON-lines file, each checked: (passage, labels) per line, or ``BadInput``.

    Each line holds a passage ``id`` of the sample and its full label set; the
    other fields ``textmine audit`` prints (``PRINTED_FIELDS``) are ignored, any
    other is refused (a misspelt label field must not pass as "none"). The
    message names the file and line of the first problem.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position {exc.start})") from exc
    answers, seen = [], {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}: line {number}: "
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{where}not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise BadInput(f"{where}an audit answer is a JSON object with the passage's \"id\" and its labels")
        pid = record["id"]
        if pid in seen:
            raise BadInput(f"{where}passage {pid!r} is answered again (first on line {seen[pid]}): give one answer per passage")
        seen[pid] = number
        _check_in_sample(audit, pid, where)
        labels = answer_labels({k: v for k, v in record.items() if k not in PRINTED_FIELDS}, where)
        answers.append((passages[pid], labels))
    if not answers:
        raise BadInput(f"{path} holds no audit answers")
    return answers


def import_answers(out: Path, path: Path, audit: Audit, passages: Mapping[str, dict], author: str = "local") -> int:
    """Import the audit answers of a JSON-lines file (``read_answers``) in one transaction; how many.

    Every line is checked before anything is written: one bad line, and nothing is.
    """
    answers = read_answers(path, audit, passages)
    _insert_answers(out, answers, author, f"import:{Path(path).name}")
    return len(answers)


def sample_records(audit: Audit, passages: Mapping[str, dict], with_model: bool = True) -> list[dict]:
    """The sample's passages as ``textmine audit`` prints them: position, id, file, page, section, text, labels.

    ``model_labels`` are the classifier's (left out with ``with_model=False``, for
    labelling blind elsewhere); ``audit_labels`` the answer so far, or None.
    """
    out = []
    for position, pid in enumerate(audit.ids, start=1):
        p = passages[pid]
        record = {"position": position, "id": pid, "file": p.get("file"), "page": p.get("page"),
                  "section": p.get("section"), "text": p.get("text")}
        if with_model:
            record["model_labels"] = p.get("model_labels")
        record["audit_labels"] = audit.answers.get(pid)
        out.append(record)
    return out


def run_ids(out: Path) -> list[str]:
    """The passage ids of the run published in ``out``: the population a sample is drawn from."""
    return load_run(out).passages["id"].tolist()


def current_audit(out: Path) -> tuple[Audit, dict[str, dict]]:
    """The audit kept in ``out``, read against its published run, and the sample's passages there by id.

    The passages carry their labels now (corrections applied) and the model's own
    (``model_labels``); only the sample's are turned into plain records.
    """
    run = load_run(out).passages
    audit = load_audit(out, run["id"])
    return audit, {p["id"]: p for p in records(run[run["id"].isin(audit.ids)])}


def sample_summary(audit: Audit, added: Sequence[str] = ()) -> list[str]:
    """What ``textmine audit`` says on stderr about the sample: its size and seed, progress, vanished passages.

    >>> sample_summary(Audit(7, ["a", "b"], ["z"], {"a": {}}), ["b"])
    ['audit sample of 2 passages (seed 7), 1 added now: 1 of 2 done; 1 passage of the sample is no longer in the run (its document changed)', 'no longer in the run: z']
    """
    lines = [f"audit sample of {audit.size} passages (seed {audit.seed}), {len(added)} added now: {audit.progress()}"]
    if audit.vanished:
        lines.append(f"no longer in the run: {', '.join(audit.vanished)}")
    return lines
