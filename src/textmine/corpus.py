"""Find the documents of a corpus folder and their metadata from ``manifest.csv``.

Nothing here stops a run for one bad row or file: each problem is a ``(file,
message)`` pair for the run's errors.csv, and the rest is used. Only a manifest
that cannot be read as a whole (another encoding, no ``file`` column) is refused.

- The manifest is read as UTF-8, with or without a byte-order mark, or as UTF-16
  or UTF-32 when it starts with one (what Excel's "Unicode text" saves, with tabs
  between the columns: a header without commas but with tabs is read that way);
  anything else is refused with a line saying to save it as UTF-8.
- Header names are matched without regard to case or surrounding spaces; a
  column textmine does not read is named once.
- A row with more fields than the header (a comma inside an unquoted value) is
  not used; a row with fewer keeps what it has; a date that is not ISO or an
  unknown timepoint is left empty. Each is one problem naming the line.
- A file listed twice with the same values is used once; listed twice with
  different values, neither row is used (which one is right cannot be known) and
  the file runs with empty metadata until one row is removed.
- A link inside the corpus that points outside it (or to nothing) is never
  followed: it is skipped with a problem. Links to files inside the corpus are read.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .errors import BadInput
from .formats import SUFFIXES, is_readable

MANIFEST = "manifest.csv"
META_FIELDS = ("council", "date", "timepoint", "doc_type")
TIMEPOINTS = ("pre", "review", "3-6m", "12m")
SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: Save As, 'CSV UTF-8 (Comma delimited)')"
# Byte-order marks, longest first: UTF-32's little-endian mark starts with UTF-16's.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

Problem = tuple[str, str]  # (file, message): one row of errors.csv


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


def decode_manifest(data: bytes, name: str = MANIFEST) -> str:
    """The text of a manifest: UTF-8 (with or without a byte-order mark), or UTF-16/32 by their mark.

    Raises ``BadInput`` naming the file and saying which encoding to save it in.

    >>> decode_manifest(b"file,council\\na.pdf,Sm\\xc3\\xa5by\\n") == decode_manifest("file,council\\na.pdf,Småby\\n".encode("utf-16"))
    True
    >>> decode_manifest(b"file,council\\na.pdf,Sm\\xe5by\\n")
    Traceback (most recent call last):
    textmine.errors.BadInput: manifest.csv is not UTF-8 (byte 0xe5 on line 2: Latin-1 or Windows-1252?): save it as UTF-8 (in Excel: Save As, 'CSV UTF-8 (Comma delimited)')
    """
    encoding = next((enc for bom, enc in BOMS if data.startswith(bom)), "utf-8-sig")
    if data.startswith(b"PK\x03\x04"):
        raise BadInput(f"{name} is an Excel workbook (or another zip archive), not CSV: {SAVE_AS_UTF8}")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        label = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
        guess = ": Latin-1 or Windows-1252?" if encoding == "utf-8-sig" else ""
        raise BadInput(f"{name} is not {label} (byte {data[exc.start]:#04x} on line {line}{guess}): {SAVE_AS_UTF8}") from None
    if "\x00" in text:
        raise BadInput(f"{name} holds NUL characters (UTF-16 without a byte-order mark?): {SAVE_AS_UTF8}")
    return text


def _header(names: list[str], path: Path) -> tuple[dict[str, int], list[Problem]]:
    """The column of each field textmine reads, by its header name (any case), and the columns it ignores."""
    columns: dict[str, int] = {}
    problems = []
    for i, raw in enumerate(names):
        name = raw.strip().lower()
        if not name:
            continue
        if name in columns:
            problems.append((MANIFEST, f"{MANIFEST}: column {raw.strip()!r} appears twice; the first is used"))
        elif name in ("file", *META_FIELDS):
            columns[name] = i
        else:
            problems.append((MANIFEST, f"{MANIFEST}: column {raw.strip()!r} is not one textmine reads "
                                       f"(file, {', '.join(META_FIELDS)}); ignored"))
    if "file" not in columns:
        hint = " (are the columns separated by ';'? save it with commas)" if ";" in ",".join(names) else ""
        raise BadInput(f"{path} has no 'file' column{hint}: expected the header file,council,date,timepoint,doc_type")
    return columns, problems


def _row_meta(cells: list[str], columns: dict[str, int], n: int, name: str) -> tuple[dict[str, str | None], list[Problem]]:
    """One row's metadata (a bad date or timepoint left empty) and the problems found in it."""
    meta = {k: (cells[columns[k]].strip() or None) if k in columns and columns[k] < len(cells) else None
            for k in META_FIELDS}
    problems = []
    if meta["date"]:
        try:
            date.fromisoformat(meta["date"])
        except ValueError:
            problems.append((MANIFEST, f"{MANIFEST} line {n}: date {meta['date']!r} for {name} is not YYYY-MM-DD; left empty"))
            meta["date"] = None
    if meta["timepoint"]:
        if meta["timepoint"].lower() in TIMEPOINTS:
            meta["timepoint"] = meta["timepoint"].lower()
        else:
            problems.append((MANIFEST, f"{MANIFEST} line {n}: timepoint {meta['timepoint']!r} for {name} is not one of "
                                       f"{', '.join(TIMEPOINTS)}; left empty"))
            meta["timepoint"] = None
    return meta, problems


def _file_name(cell: str) -> str:
    """A manifest's file name as a relative path with forward slashes (``.\\sub\\a.pdf`` -> ``sub/a.pdf``)."""
    return re.sub(r"^(\./)+", "", cell.strip().replace("\\", "/"))


def read_manifest(corpus: Path) -> tuple[dict[str, dict[str, str | None]], list[Problem]]:
    """Metadata by relative file path, and the problems found in the manifest (see the module's rules).

    A missing manifest is not an error: every file then has empty metadata.

    Raises
    ------
    BadInput
        When the manifest cannot be read at all: not UTF-8, UTF-16 or UTF-32, no
        ``file`` column, or not valid CSV.
    """
    path = Path(corpus) / MANIFEST
    if not path.exists():
        return {}, []
    try:
        text = decode_manifest(path.read_bytes(), str(path))
    except OSError as exc:
        raise BadInput(f"{path} cannot be read ({exc.strerror or exc})") from None
    first = text.split("\n", 1)[0]
    tabs = "," not in first and "\t" in first  # Excel's "Unicode text" is tab-separated
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if tabs else ",")
    rows: dict[str, list[tuple[int, dict[str, str | None]]]] = {}
    try:
        header = next(reader, [])
        columns, problems = _header(header, path)
        start = reader.line_num + 1
        for cells in reader:
            n, start = start, reader.line_num + 1
            used = len(cells)
            while used and not cells[used - 1].strip():  # trailing empty cells, as spreadsheets write them
                used -= 1
            if not used:
                continue
            name = _file_name(cells[columns["file"]]) if columns["file"] < used else ""
            if not name:
                problems.append((MANIFEST, f"{MANIFEST} line {n} has no file name; skipped"))
            elif used > len(header):
                problems.append((MANIFEST, f"{MANIFEST} line {n} has {used} fields but the header has {len(header)} "
                                           f"(a comma inside a value? put the value in double quotes): {name} runs "
                                           "with empty metadata"))
            else:
                if len(cells) < len(header):
                    quote = " (a double quote left open?)" if any("," in cell for cell in cells) else ""
                    problems.append((MANIFEST, f"{MANIFEST} line {n} has {len(cells)} fields but the header has "
                                               f"{len(header)}{quote}: the missing ones are left empty for {name}"))
                meta, found = _row_meta(cells, columns, n, name)
                problems += found
                rows.setdefault(name, []).append((n, meta))
    except csv.Error as exc:
        raise BadInput(f"{path} line {reader.line_num} is not valid CSV ({exc})") from None
    manifest = {}
    for name, found in rows.items():
        lines = " and ".join(str(n) for n, _ in found)
        if len({tuple(meta.items()) for _, meta in found}) > 1:
            problems.append((MANIFEST, f"{MANIFEST} lines {lines} give {name} different metadata: neither is used, "
                                       "so it runs with empty metadata; keep one row"))
            continue
        if len(found) > 1:
            problems.append((MANIFEST, f"{MANIFEST} lines {lines} list {name} with the same metadata; used once"))
        manifest[name] = found[0][1]
    return manifest, problems


def _scan(corpus: Path) -> tuple[list[Path], list[Problem]]:
    """Every file below ``corpus`` but the manifest and hidden files and folders, sorted, and the entries skipped.

    A link is followed only to a file inside the corpus; a link to a folder inside
    it is not followed either (its files are found where they are).
    """
    root = corpus.resolve()
    files, problems = [], []
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus)
        if rel.as_posix() == MANIFEST or any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink():
            if not path.exists():
                problems.append((rel.as_posix(), f"{rel.as_posix()} is a link to {os.readlink(path)}, which does not exist; skipped"))
                continue
            target = path.resolve()
            if not target.is_relative_to(root):
                problems.append((rel.as_posix(), f"{rel.as_posix()} is a link to {target}, outside the corpus folder: "
                                                 "not followed (copy the file into the corpus to read it)"))
                continue
        if path.is_file():
            files.append(path)
        elif not path.is_dir():
            problems.append((rel.as_posix(), f"{rel.as_posix()} is not a regular file (a pipe, socket or device); skipped"))
    return files, problems


def skipped_files(corpus: Path) -> list[str]:
    """The files below ``corpus`` that are not documents textmine reads (relative paths).

    Suffixes read: ``SUFFIXES`` in ``textmine.formats`` (any case).
    """
    corpus = Path(corpus)
    return [p.relative_to(corpus).as_posix() for p in _scan(corpus)[0] if not is_readable(p)]


def discover(corpus: Path) -> tuple[list[Document], list[Problem]]:
    """Every document below ``corpus`` (sorted), with metadata and hash, plus the problems found.

    Documents are the files whose suffix is one of ``SUFFIXES`` (.pdf, .docx,
    .html, .htm, any case); ``skipped_files`` lists the others. Problems are
    ``(file, message)`` pairs: manifest rows, links not followed, files that
    cannot be read.
    """
    corpus = Path(corpus)
    manifest, problems = read_manifest(corpus)
    files, skipped = _scan(corpus)
    problems += skipped
    docs = []
    for path in (p for p in files if is_readable(p)):
        rel = path.relative_to(corpus).as_posix()
        try:
            sha256 = file_hash(path)
        except OSError as exc:
            problems.append((rel, f"{rel} cannot be read ({exc.strerror or exc}); skipped"))
            continue
        meta = manifest.get(rel) or manifest.get(path.name) or {}
        docs.append(Document(rel, path, sha256, **{k: meta.get(k) for k in META_FIELDS}))
    known = {d.file for d in docs} | {Path(d.file).name for d in docs} | {file for file, _ in skipped}
    for name in manifest:
        if name not in known:
            if Path(name).suffix.lower() not in SUFFIXES:
                problems.append((MANIFEST, f"{MANIFEST} lists {name}, which textmine does not read (only {', '.join(SUFFIXES)})"))
            else:
                problems.append((MANIFEST, f"{MANIFEST} lists {name}, which is not in the corpus folder"))
    return docs, problems


def period(iso_date: str | None) -> str | None:
    """The calendar period (year) of an ISO date, or None."""
    if not isinstance(iso_date, str) or not re.match(r"^\d{4}", iso_date):
        return None
    return iso_date[:4]
