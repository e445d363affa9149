"""Extraction: reading order, layout features and bad inputs, on PDFs made by make_fixtures.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from textmine.errors import EncryptedPDF, NoTextLayer, UnreadablePDF
from textmine.extract import Block, assign_sections, extract_blocks, join_hyphenated
from textmine.segment import PASSAGE_KINDS
from textmine.typeset import STYLES, parse_source, source_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def expected_units(name: str) -> list[tuple[str, str]]:
    source = parse_source((FIXTURES / f"{name}.txt").read_text(encoding="utf-8"))
    return [(kind, squash(text)) for kind, text in source_text(source)]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", ["features", "long_table", "page_break"])
def test_every_unit_comes_out_whole_and_in_order(fixtures, name, style):
    blocks = extract_blocks(fixtures[f"{name}-{style}"])
    got = [(b.kind, squash(b.text)) for b in blocks if b.kind in PASSAGE_KINDS]
    want = [(k, t) for k, t in expected_units(name) if k in PASSAGE_KINDS]
    assert got == want


@pytest.mark.parametrize("producer", ["office", "browser"])
@pytest.mark.parametrize("name", ["features", "long_table", "page_break"])
def test_word_processor_and_browser_pdfs_come_out_whole_and_in_order_too(office_fixtures, browser_fixtures, name, producer):
    """LibreOffice and Chromium lay pages out their own way: other fonts, their own running
    headers and footers, tables ruled cell by cell with rows split across pages, balanced columns."""
    made = office_fixtures if producer == "office" else browser_fixtures
    blocks = extract_blocks(made[f"{name}-{producer}"])
    got = [(b.kind, squash(b.text)) for b in blocks if b.kind in PASSAGE_KINDS]
    want = [(k, t) for k, t in expected_units(name) if k in PASSAGE_KINDS]
    assert [t for _, t in got] == [t for _, t in want]
    assert [k for k, _ in got if k == "table_cell"] == [k for k, _ in want if k == "table_cell"]


@pytest.mark.parametrize("style", STYLES)
def test_headings_are_blocks_and_give_sections(fixtures, style):
    blocks = extract_blocks(fixtures[f"features-{style}"])
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert ["1. Introduction", "1.1 Scope", "2. Findings", "What we heard", "3. Next steps"] == [
        h for h in headings if h in {"1. Introduction", "1.1 Scope", "2. Findings", "What we heard", "3. Next steps"}
    ]
    bullet = next(b for b in blocks if b.kind == "bullet")
    assert bullet.section.endswith("1. Introduction > 1.1 Scope")
    assert bullet.text == "The first bullet item is short."


@pytest.mark.parametrize("style", STYLES)
def test_running_headers_footers_and_page_numbers_are_removed(fixtures, style):
    text = " ".join(b.text for b in extract_blocks(fixtures[f"page_break-{style}"]))
    assert "Safeguarding children peer review" not in text  # even-page header
    assert "OFFICIAL" not in text
    assert not re.search(r"\bPage \d+\b|- \d+ -", text)


@pytest.mark.parametrize("style", STYLES)
def test_table_across_a_page_break_keeps_one_header_and_numbered_rows(fixtures, style):
    cells = [b for b in extract_blocks(fixtures[f"long_table-{style}"]) if b.kind == "table_cell"]
    pages = {b.page for b in cells}
    assert len(pages) >= 2, "the fixture table should span a page break"
    assert [b.text for b in cells if b.text == "Action"] == ["Action"]  # header row not repeated
    assert {b.table for b in cells} == {0}
    rows = sorted({b.row for b in cells})
    assert rows == list(range(29))  # header + 28 rows, numbered straight through
    first = [b.text for b in cells if b.row == 1]
    assert first[:2] == ["1", "Publish a short, practical thresholds guide for all partners, tested with practitioners from each agency."]


@pytest.mark.parametrize("style", STYLES)
def test_two_columns_are_read_left_then_right(fixtures, style):
    blocks = [b for b in extract_blocks(fixtures[f"features-{style}"]) if b.kind == "paragraph"]
    texts = [b.text for b in blocks]
    first = next(i for i, t in enumerate(texts) if t.startswith("Staff at every level"))
    last = next(i for i, t in enumerate(texts) if t.startswith("Foster carers told"))
    assert first < last
    assert all("Foster carers" not in t for t in texts[:last])


@pytest.mark.parametrize("style", STYLES)
def test_hyphenated_line_ends_are_joined(fixtures, style):
    text = " ".join(b.text for b in extract_blocks(fixtures[f"page_break-{style}"]))
    assert "accountability" in text
    assert not re.search(r"[a-z]- [a-z]", text)


def test_join_hyphenated_keeps_real_compounds_and_uses_the_documents_words():
    from collections import Counter

    assert join_hyphenated("work with", "partners") == "work with partners"
    assert join_hyphenated("a multi-", "agency panel") == "a multi-agency panel"
    assert join_hyphenated("safe-", "guarding") == "safeguarding"
    assert join_hyphenated("the co-", "ordinator", Counter({"coordinator": 3})) == "the coordinator"
    assert join_hyphenated("a follow-", "up visit") == "a follow-up visit"


def test_assign_sections_tracks_the_heading_path():
    blocks = [
        Block(1, "heading", "1 Intro", level=1),
        Block(1, "paragraph", "a"),
        Block(1, "heading", "1.1 Scope", level=2),
        Block(1, "paragraph", "b"),
        Block(2, "heading", "2 Findings", level=1),
        Block(2, "paragraph", "c"),
    ]
    sections = [b.section for b in assign_sections(blocks) if b.kind == "paragraph"]
    assert sections == ["1 Intro", "1 Intro > 1.1 Scope", "2 Findings"]


def test_owner_password_only_opens_normally(fixtures):
    blocks = extract_blocks(fixtures["owner_only"])
    assert [b.text for b in blocks] == ["A short page of text for the fixture."]


@pytest.mark.parametrize(
    "name, error, words",
    [
        ("empty", UnreadablePDF, "empty"),
        ("truncated", UnreadablePDF, "truncated"),
        ("not_a_pdf", UnreadablePDF, "not a PDF"),
        ("random_bytes", UnreadablePDF, "could not be parsed"),
        ("encrypted", EncryptedPDF, "password"),
        ("scanned", NoTextLayer, "no text layer"),
    ],
)
def test_bad_inputs_raise_a_clear_error_naming_the_file(fixtures, name, error, words):
    with pytest.raises(error) as info:
        extract_blocks(fixtures[name])
    assert fixtures[name].name in str(info.value)
    assert words in str(info.value)


@pytest.mark.parametrize("name", ["features-formal", "features-modern", "long_table-plain", "page_break-formal"])
def test_the_fast_engine_gives_the_same_blocks_as_pdfplumber(fixtures, name):
    fast = [b.to_dict() for b in extract_blocks(fixtures[name], engine="auto")]
    plumber = [b.to_dict() for b in extract_blocks(fixtures[name], engine="pdfplumber")]
    assert fast == plumber
