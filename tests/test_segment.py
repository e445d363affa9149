"""Passages: which blocks count, stable ids, long-paragraph splitting."""

from __future__ import annotations

from textmine.extract import Block
from textmine.segment import blocks_to_passages, passage_id, split_long

META = {"council": "A", "date": "2014-01-01", "timepoint": "review", "doc_type": "report"}


def blocks(*texts: str) -> list[Block]:
    return [Block(1, "heading", "1 Findings", level=1)] + [Block(1, "paragraph", t, section="1 Findings") for t in texts]


def test_headings_are_not_passages_and_metadata_is_carried():
    passages = blocks_to_passages(blocks("First point.", "Second point."), "a.pdf", META)
    assert [p["text"] for p in passages] == ["First point.", "Second point."]
    assert all(p["council"] == "A" and p["section"] == "1 Findings" and p["file"] == "a.pdf" for p in passages)


def test_ids_are_stable_and_untouched_passages_keep_theirs_after_an_edit():
    before = blocks_to_passages(blocks("Alpha text.", "Beta text.", "Gamma text."), "a.pdf", META)
    again = blocks_to_passages(blocks("Alpha text.", "Beta text.", "Gamma text."), "a.pdf", META)
    edited = blocks_to_passages(blocks("A new opening paragraph.", "Alpha text.", "Beta text, changed.", "Gamma text."), "a.pdf", META)
    assert [p["id"] for p in before] == [p["id"] for p in again]
    ids_before = {p["text"]: p["id"] for p in before}
    ids_after = {p["text"]: p["id"] for p in edited}
    assert ids_after["Alpha text."] == ids_before["Alpha text."]
    assert ids_after["Gamma text."] == ids_before["Gamma text."]
    assert "Beta text." not in ids_after


def test_repeated_text_gets_distinct_ids_by_occurrence():
    passages = blocks_to_passages(blocks("Ongoing.", "Ongoing."), "a.pdf", META)
    assert len({p["id"] for p in passages}) == 2
    assert passage_id("a.pdf", "Ongoing.", 0) != passage_id("b.pdf", "Ongoing.", 0)


def test_long_paragraphs_are_split_at_sentence_boundaries():
    sentence = "The council has made steady progress on its plan this year. "
    parts = split_long(sentence * 12, max_words=40)
    assert len(parts) >= 3
    assert all(len(p.split()) <= 40 for p in parts)
    assert all(p.endswith("year.") for p in parts)
    assert " ".join(parts) == (sentence * 12).strip()


def test_table_cells_and_bullets_are_passages_but_never_split():
    long_cell = "word " * 300
    out = blocks_to_passages([Block(1, "table_cell", long_cell.strip(), row=1, col=1), Block(1, "bullet", "An item.")], "a.pdf", META, 40)
    assert [p["kind"] for p in out] == ["table_cell", "bullet"]
