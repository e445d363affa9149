"""Turn extracted blocks into passages: the units that get classified and counted."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache

from .extract import Block

PASSAGE_KINDS = ("paragraph", "bullet", "table_cell")


def normalise(text: str) -> str:
    """Lower-case, single-spaced text with quotes and dashes folded, for stable ids."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"[\u2013\u2014]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def passage_id(file: str, text: str, occurrence: int) -> str:
    """A stable id from the file name, the normalised text and its occurrence number.

    Editing one part of a document leaves the ids of its other passages unchanged.

    >>> passage_id("a.pdf", "Some  Text", 0) == passage_id("a.pdf", "some text", 0)
    True
    """
    key = f"{file}\x1f{normalise(text)}\x1f{occurrence}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1)
def _sentencizer():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def split_long(text: str, max_words: int) -> list[str]:
    """Split a paragraph longer than ``max_words`` at sentence boundaries into balanced parts."""
    if len(text.split()) <= max_words:
        return [text]
    sentences = [s.text.strip() for s in _sentencizer()(text).sents if s.text.strip()]
    parts: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and len(" ".join(current + [sentence]).split()) > max_words:
            parts.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        parts.append(" ".join(current))
    return parts


LEAD_IN_WORDS = 60  # the end of a long lead-in paragraph is what sets up its list


def lead_in_text(text: str, max_words: int = LEAD_IN_WORDS) -> str:
    """The closing words of a paragraph that introduces a list (its last ``max_words`` words).

    >>> lead_in_text("One year on, more tangible impacts were cited. These included:", 6)
    'tangible impacts were cited. These included:'
    """
    words = text.split()
    return " ".join(words[-max_words:])


def assign_table_headers(blocks: list[Block]) -> list[Block]:
    """Fill in missing row and column headers of table cells: the first row and the first column.

    A cell in row 0 is itself a column header and a cell in column 0 a row header, so
    neither gets a header of its own kind. Headers a reader already set (a Word or
    HTML ``th``) are kept. Cells holding several bullets are several blocks with the
    same ``table``, ``row`` and ``col``; their texts are joined to make the header.
    """
    cells: dict[tuple[int, int, int], list[str]] = {}
    for b in blocks:
        if b.kind == "table_cell" and b.table is not None and b.row is not None and b.col is not None:
            cells.setdefault((b.table, b.row, b.col), []).append(b.text)
    for b in blocks:
        if b.kind != "table_cell" or b.table is None or b.row is None or b.col is None:
            continue
        if b.col_header is None and b.row > 0:
            header = cells.get((b.table, 0, b.col))
            b.col_header = "; ".join(header) if header else None
        if b.row_header is None and b.col > 0:
            header = cells.get((b.table, b.row, 0))
            b.row_header = "; ".join(header) if header else None
    return blocks


def blocks_to_passages(blocks: list[Block], file: str, meta: dict, max_words: int = 250) -> list[dict]:
    """Passages of one document: paragraphs, bullet items and table cells, headings excluded.

    Each passage carries the document's metadata, its page, section (heading path)
    and kind, a stable id, and its context in the document: for a bullet the
    lead-in paragraph of its list (``lead_in``), for a table cell its position
    (``table``, ``row``, ``col``) and headers (``row_header``, ``col_header``).
    """
    blocks = assign_table_headers(blocks)
    seen: Counter = Counter()
    passages = []
    lead_in: str | None = None
    for block in blocks:
        if block.kind == "heading":
            lead_in = None
            continue
        if block.kind not in PASSAGE_KINDS:
            continue
        if block.kind == "paragraph":
            lead_in = lead_in_text(block.text)
        pieces = split_long(block.text, max_words) if block.kind == "paragraph" else [block.text]
        for text in pieces:
            key = normalise(text)
            occurrence = seen[key]
            seen[key] += 1
            passages.append(
                {
                    "id": passage_id(file, text, occurrence),
                    "file": file,
                    **meta,
                    "page": block.page,
                    "section": block.section or None,
                    "kind": block.kind,
                    "text": text,
                    "lead_in": lead_in if block.kind == "bullet" else None,
                    "table": block.table,
                    "row": block.row,
                    "col": block.col,
                    "row_header": block.row_header,
                    "col_header": block.col_header,
                    "boxed": bool(block.boxed),
                    "ocr": bool(block.ocr),
                    "ocr_confidence": block.ocr_confidence,
                }
            )
    return passages
