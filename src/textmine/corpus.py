"""Find the documents of a corpus folder and their metadata from ``manifest.csv``."""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .errors import BadInput
from .formats import SUFFIXES, is_readable

MANIFEST = "manifest.csv"
META_FIELDS = ("council", "date", "timepoint", "doc_type")
TIMEPOINTS = ("pre", "review", "3-6m", "12m")


@dataclass(frozen=True)
class Document:
    """One document of the corpus (PDF, .docx, .html): its path relative to the corpus, metadata and content hash."""

    file: str
    path: Path
    sha256: str
    council: str | None = None
    date: str | None = None
    timepoint: str | None = None
    doc_type: str | None = None

    @property
    def meta(self) -> dict[str, str | None]:
        return {"council": self.council, "date": self.date, "timepoint": self.timepoint, "doc_type": self.doc_type}


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(corpus: Path) -> tuple[dict[str, dict[str, str | None]], list[str]]:
    """Metadata by relative file path, and a list of problems found in the manifest.

    A missing manifest is not an error: every file then has empty metadata. A bad
    value (a date that is not ISO, an unknown timepoint) is dropped with a warning,
    and the rest of the row is kept.
    """
    path = Path(corpus) / MANIFEST
    if not path.exists():
        return {}, []
    rows: dict[str, dict[str, str | None]] = {}
    problems: list[str] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "file" not in reader.fieldnames:
            raise BadInput(f"{path} has no 'file' column: expected the header file,council,date,timepoint,doc_type")
        for n, row in enumerate(reader, start=2):
            name = (row.get("file") or "").strip()
            if not name:
                continue
            meta = {k: ((row.get(k) or "").strip() or None) for k in META_FIELDS}
            if meta["date"]:
                try:
                    date.fromisoformat(meta["date"])
                except ValueError:
                    problems.append(f"{MANIFEST} line {n}: date {meta['date']!r} for {name} is not YYYY-MM-DD; left empty")
                    meta["date"] = None
            if meta["timepoint"] and meta["timepoint"] not in TIMEPOINTS:
                problems.append(
                    f"{MANIFEST} line {n}: timepoint {meta['timepoint']!r} for {name} is not one of {', '.join(TIMEPOINTS)}; left empty"
                )
                meta["timepoint"] = None
            rows[name] = meta
    return rows, problems


def _corpus_files(corpus: Path) -> list[Path]:
    """Every file below ``corpus`` but the manifest and hidden files and folders, sorted."""
    return sorted(
        p for p in corpus.rglob("*")
        if p.is_file() and p.relative_to(corpus).as_posix() != MANIFEST
        and not any(part.startswith(".") for part in p.relative_to(corpus).parts)
    )


def skipped_files(corpus: Path) -> list[str]:
    """The files below ``corpus`` that are not documents textmine reads (relative paths).

    Suffixes read: ``SUFFIXES`` in ``textmine.formats`` (any case).
    """
    corpus = Path(corpus)
    return [p.relative_to(corpus).as_posix() for p in _corpus_files(corpus) if not is_readable(p)]


def discover(corpus: Path) -> tuple[list[Document], list[str]]:
    """Every document below ``corpus`` (sorted), with metadata and hash, plus manifest problems.

    Documents are the files whose suffix is one of ``SUFFIXES`` (.pdf, .docx,
    .html, .htm, any case); ``skipped_files`` lists the others.
    """
    corpus = Path(corpus)
    manifest, problems = read_manifest(corpus)
    docs = []
    for path in (p for p in _corpus_files(corpus) if is_readable(p)):
        rel = path.relative_to(corpus).as_posix()
        meta = manifest.get(rel) or manifest.get(path.name) or {}
        docs.append(Document(rel, path, file_hash(path), **{k: meta.get(k) for k in META_FIELDS}))
    known = {d.file for d in docs} | {Path(d.file).name for d in docs}
    for name in manifest:
        if name not in known:
            if Path(name).suffix.lower() not in SUFFIXES:
                problems.append(f"{MANIFEST} lists {name}, which textmine does not read (only {', '.join(SUFFIXES)})")
            else:
                problems.append(f"{MANIFEST} lists {name}, which is not in the corpus folder")
    return docs, problems


def period(iso_date: str | None) -> str | None:
    """The calendar period (year) of an ISO date, or None."""
    if not isinstance(iso_date, str) or not re.match(r"^\d{4}", iso_date):
        return None
    return iso_date[:4]
