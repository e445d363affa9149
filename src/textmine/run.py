"""The steps of one pipeline run as plain functions; ``textmine.flows.pipeline`` wraps each in a task.

Each step takes and returns plain data, so the whole run can also be driven
without Prefect (see ``tests/test_pipeline.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import store
from .audit import load_audit
from .classify import default_model_path, model_info
from .corpus import Document, Problem, discover, file_hash
from .corrections import apply_corrections, corrections_path, latest_corrections
from .extract import Block
from .formats import reader_version
from .parallel import ExtractionPool
from .segment import blocks_to_passages
from .errors import TextmineError

if TYPE_CHECKING:  # the classifier (scikit-learn) is imported only when a run needs it, not to find it unchanged
    from .classify import PassageClassifier


@dataclass
class DocResult:
    """What one document gave: its passages and page count, or an error."""

    file: str
    passages: list[dict] = field(default_factory=list)
    pages: int = 0
    error: str | None = None
    step: str | None = None
    cached: bool = False
    # Pages that could not be read (a scanned page OCR found no text on); the rest was read.
    problems: list[str] = field(default_factory=list)


def extraction_key(doc: Document) -> str:
    return f"{doc.sha256}-x{reader_version()}"


def is_extracted(doc: Document, out: Path) -> bool:
    """Is the document's extraction cached (so no worker process is needed for it)?"""
    return store.has_cache(out, "extract", extraction_key(doc))


def prepare_document(doc: Document, out: Path, pool: ExtractionPool, max_words: int = 250) -> DocResult:
    """Extract (or reuse the cached extraction of) one document and split it into passages."""
    cached = store.read_cache(out, "extract", extraction_key(doc))
    if cached is None:
        try:
            result = pool.extract(doc.path)
        except TextmineError as exc:
            return DocResult(doc.file, error=str(exc), step="extract")
        if "error" in result:
            return DocResult(doc.file, error=result["error"], step="extract")
        store.write_cache(out, "extract", extraction_key(doc), result)
        cached, was_cached = result, False
    else:
        was_cached = True
    blocks = [Block(**b) for b in cached["blocks"]]
    passages = blocks_to_passages(blocks, doc.file, doc.meta, max_words)
    return DocResult(doc.file, passages, cached["pages"], cached=was_cached, problems=cached.get("problems", []))


def error_records(results: list[DocResult], problems: list[Problem]) -> list[dict]:
    """The rows of errors.csv: documents that failed, pages that could not be read, problems found in discovery."""
    errors = [{"file": r.file, "step": r.step, "error": r.error} for r in results if r.error]
    errors += [{"file": r.file, "step": "ocr", "error": p} for r in results for p in r.problems]
    return errors + [{"file": file, "step": "discover", "error": message} for file, message in problems]


BATCH = 4096  # passages classified at once


@lru_cache(maxsize=1)
def _load_model(folder: Path, stamp: tuple[int, ...]) -> PassageClassifier:
    from .classify import load_model

    return load_model(folder)


def cached_model(path: Path | None = None) -> PassageClassifier:
    """The model in ``path`` (default: the shipped one), loaded once per process while its files stay the same."""
    folder = Path(path) if path else default_model_path()
    stamp = tuple(f.stat().st_mtime_ns if f.exists() else 0 for f in (folder / "model.json", folder / "weights.npz"))
    return _load_model(folder.resolve(), stamp)


def text_key(passage: dict) -> str:
    """What the classifier reads of a passage (its text and context), hashed: the label cache key."""
    from .classify import CONTEXT_FIELDS

    parts = [passage["text"], *(passage.get(name) or "" for name in CONTEXT_FIELDS)]
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def label_passages(passages: list[dict], model: PassageClassifier, out: Path) -> tuple[list[dict], int]:
    """Label passages in place, reusing probabilities cached for the same text, context and model.

    Each passage gets its labels and ``scores``, a float32 row of probabilities by
    head (see ``classify.head_names``). Returns the passages and how many were
    classified anew.
    """
    import numpy as np

    from .classify import model_version, probs_to_labels

    version = model_version(model)
    index, matrix = store.read_label_cache(out, version)
    keys = [text_key(p) for p in passages]
    todo = {}
    for key, p in zip(keys, passages):
        if key not in index and key not in todo:
            todo[key] = p
    if todo:
        items = list(todo.values())
        fresh = np.vstack([  # in batches: the feature matrix of a whole big run would not fit in memory
            model.predict_proba(batch).astype(np.float32)
            for batch in (items[i:i + BATCH] for i in range(0, len(items), BATCH))
        ])
        start = len(matrix)
        matrix = np.vstack([matrix, fresh]) if len(matrix) else fresh
        index.update({key: start + i for i, key in enumerate(todo)})
        store.write_label_cache(out, version, index, matrix)
    rows = [index[key] for key in keys]
    for p, labels, row in zip(passages, probs_to_labels(matrix[rows], model.thresholds_, with_scores=False), rows):
        p.update(labels)
        p["scores"] = matrix[row]
        p["label_source"] = "model"
    return passages, len(todo)


def audit_answers(passages: list[dict], out: Path) -> dict[str, dict]:
    """The audit's label sets by passage id, for the sample's passages in this run (empty without an audit)."""
    return load_audit(out, (p["id"] for p in passages)).answers


def correct_passages(passages: list[dict], out: Path) -> list[dict]:
    """Passages with the researchers' corrections saved in ``out`` applied over the model's labels."""
    return apply_corrections(passages, latest_corrections(corrections_path(out)))


def publish_outputs(out: Path, passages: list[dict], errors: list[dict], extra_files: dict[str, bytes] | None = None,
                    record: dict | None = None) -> Path:
    """Write every output of the run into a new run folder, then publish it atomically."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run_dir = store.staging_dir(out, (record or {}).get("run_id") or store.new_run_id())
    store.write_passages(run_dir / "passages.parquet", passages)
    store.write_errors(run_dir / "errors.csv", errors)
    for name, content in (extra_files or {}).items():
        target = run_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    (run_dir / "run.json").write_text(json.dumps(record or {}, indent=2, sort_keys=True), encoding="utf-8")
    store.publish(out, run_dir)
    return run_dir


def model_files_hash(folder: Path) -> str:
    """A hash of every file of a model folder: weights edited in place make the next run load (and check) them."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        digest.update(f"{path.name}\x1f{file_hash(path)}\n".encode("utf-8"))
    return digest.hexdigest()


def input_fingerprint(docs: list[Document], problems: list[Problem], model: dict, settings) -> str:
    """A hash of everything a run's outputs depend on: files, metadata, model (its files too), corrections, code."""
    from . import __version__

    digest = hashlib.sha256()
    digest.update(model_files_hash(settings.model or default_model_path()).encode())
    for doc in docs:
        digest.update(f"{doc.file}\x1f{doc.sha256}\x1f{sorted(doc.meta.items())}\n".encode("utf-8"))
    for file, message in problems:
        digest.update(f"{file}\x1f{message}\n".encode("utf-8"))
    digest.update(f"{__version__}|{reader_version()}|{model.get('version')}|{model.get('data_hash')}".encode())
    digest.update(f"|{settings.max_passage_words}".encode())
    corrections = corrections_path(settings.out)
    for path in (corrections, corrections.with_name(corrections.name + "-wal")):
        if path.exists():
            stat = path.stat()
            digest.update(f"|{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


@dataclass
class Inputs:
    """What a run would read, and the record of the published run it would replace."""

    docs: list[Document]
    problems: list[Problem]
    fingerprint: str
    previous: dict | None

    @property
    def unchanged(self) -> bool:
        return self.previous is not None and self.previous.get("fingerprint") == self.fingerprint


def read_inputs(settings) -> Inputs:
    """The documents (hashed), manifest problems and their fingerprint, and the published run's record.

    Needs only the files, the manifest, the model's description (not its weights)
    and the corrections file: no Prefect, no model loading.
    """
    docs, problems = discover(settings.corpus)
    fingerprint = input_fingerprint(docs, problems, model_info(settings.model), settings)
    return Inputs(docs, problems, fingerprint, store.current_record(settings.out))


def record_if_unchanged(settings, inputs: Inputs, run_id: str, started_at: float) -> dict | None:
    """When nothing changed, append the record of a run that keeps the published outputs and return it; else None."""
    if not inputs.unchanged:
        return None
    record = unchanged_record(inputs.previous, run_id, time.time() - started_at)
    store.append_run_record(settings.out, record)
    return record


def unchanged_run(settings, started_at: float) -> dict | None:
    """The whole of a run that finds nothing changed (its record), or None when there is work to do.

    Decided before any Prefect import or server start, under the output folder's lock,
    once the output folder is known to be writable (``store.check_writable``).
    ``started_at`` (``time.time()``) is when the user started the command.
    """
    store.check_writable(settings.out)
    with store.run_lock(settings.out):
        store.clean_stale_runs(settings.out)
        return record_if_unchanged(settings, read_inputs(settings), store.new_run_id(), started_at)


def process_start_time() -> float:
    """When this process started, as ``time.time()`` would have said (from /proc; now where there is none)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return time.time()
    return time.time() - uptime + start_ticks / os.sysconf("SC_CLK_TCK")


def unchanged_record(previous: dict, run_id: str, seconds: float) -> dict:
    """The record of a run that found nothing changed and kept the published outputs."""
    return {
        **previous,
        "run_id": run_id,
        "status": "unchanged",
        "extracted": 0,
        "cached": previous.get("cached", 0) + previous.get("extracted", 0),
        "classified": 0,
        "seconds": round(seconds, 2),
        "published_run": previous.get("run_id"),
    }


def summary_line(record: dict) -> str:
    """The one-paragraph summary printed at the end of a run."""
    if record["status"] == "unchanged":
        return (
            f"textmine run: nothing changed since run {record.get('published_run')} (same files, model and "
            f"corrections); its outputs in {record['out']} stand: {record['documents']} documents, "
            f"{record['passages']} passages, {record['errors']} errors. Checked in {record['seconds']:.1f} s."
        )
    skipped = record.get("skipped") or []
    return (
        f"textmine run {record['status']}: {record['documents']} documents "
        f"({record['extracted']} extracted, {record['cached']} from cache), {record['pages']} pages, "
        f"{record['passages']} passages ({record['classified']} classified anew), "
        f"{record['errors']} errors, in {record['seconds']:.1f} s. "
        f"Outputs in {record['out']}"
        + (f"; see {record['out']}/errors.csv for the files that failed." if record["errors"] else ".")
        + (f" Skipped {len(skipped)} files that are not PDF, Word (.docx) or web pages (.html): "
           + ", ".join(skipped[:10]) + (", ..." if len(skipped) > 10 else "") + "." if skipped else "")
    )

