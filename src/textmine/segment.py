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


def blocks_to_passages(blocks: list[Block], file: str, meta: dict, max_words: int = 250) -> list[dict]:
    """Passages of one document: paragraphs, bullet items and table cells, headings excluded.

    Each passage carries the document's metadata, its page, section and kind, and a
    stable id.
    """
    seen: Counter = Counter()
    passages = []
    for block in blocks:
        if block.kind not in PASSAGE_KINDS:
            continue
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
                }
            )
    return passages
