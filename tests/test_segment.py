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


def test_bullets_carry_the_lead_in_of_their_list_and_a_heading_ends_it():
    out = blocks_to_passages([
        Block(1, "heading", "Impacts", level=1),
        Block(1, "paragraph", "After a year the councils reported real change. These included:", section="Impacts"),
        Block(1, "bullet", "fewer repeat referrals;", section="Impacts"),
        Block(1, "bullet", "better recording.", section="Impacts"),
        Block(2, "heading", "Next", level=1),
        Block(2, "bullet", "a list with no lead-in", section="Next"),
    ], "a.pdf", META)
    lead_ins = [p["lead_in"] for p in out]
    assert lead_ins[0] is None  # a paragraph has no lead-in of its own
    assert lead_ins[1] == lead_ins[2] == "After a year the councils reported real change. These included:"
    assert lead_ins[3] is None


def test_table_cells_get_their_row_and_column_headers():
    cells = [
        Block(1, "table_cell", "Factor", table=0, row=0, col=0),
        Block(1, "table_cell", "What councils can do", table=0, row=0, col=1),
        Block(1, "table_cell", "Team make-up", table=0, row=1, col=0),
        Block(1, "table_cell", "Ask for a peer from a similar council.", table=0, row=1, col=1),
        Block(1, "table_cell", "Brief the team early.", table=0, row=1, col=1),
        Block(1, "table_cell", "Kept as given", table=0, row=2, col=1, row_header="Given", col_header="Also given"),
    ]
    out = {p["text"]: p for p in blocks_to_passages(cells, "a.pdf", META)}
    assert out["Ask for a peer from a similar council."]["row_header"] == "Team make-up"
    assert out["Brief the team early."]["col_header"] == "What councils can do"
    assert out["Team make-up"]["row_header"] is None and out["Team make-up"]["col_header"] == "Factor"
    assert out["Factor"]["col_header"] is None
    assert (out["Kept as given"]["row_header"], out["Kept as given"]["col_header"]) == ("Given", "Also given")
    assert (out["Brief the team early."]["table"], out["Brief the team early."]["row"]) == (0, 1)
