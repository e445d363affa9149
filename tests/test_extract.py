"""Extraction: reading order, layout features and bad inputs, on PDFs made by make_fixtures.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from textmine.errors import EncryptedPDF, NoTextLayer, UnreadablePDF
from textmine.extract import Block, Line, Word, assign_sections, extract_blocks, join_hyphenated, read_pages
from textmine.extract.blocks import cell_items
from textmine.segment import PASSAGE_KINDS, assign_table_headers
from textmine.typeset import STYLES, boxed_text, parse_source, source_text, table_cells

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PRODUCERS = STYLES + ("office", "browser")  # reportlab's house styles, LibreOffice and Chromium


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def expected_units(name: str) -> list[tuple[str, str]]:
    source = parse_source((FIXTURES / f"{name}.txt").read_text(encoding="utf-8"))
    return [(kind, squash(text)) for kind, text in source_text(source)]


def made_pdf(request, name: str, producer: str) -> Path:
    """The fixture ``name`` typeset by ``producer`` (a house style, or LibreOffice or Chromium)."""
    if producer in ("office", "browser"):
        return request.getfixturevalue(f"{producer}_fixtures")[f"{name}-{producer}"]
    return request.getfixturevalue("fixtures")[f"{name}-{producer}"]


def research(request, producer: str) -> tuple[list[Block], Path]:
    pdf = made_pdf(request, "research", producer)
    return extract_blocks(pdf), pdf


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", ["features", "long_table", "page_break", "research"])
def test_every_unit_comes_out_whole_and_in_order(fixtures, name, style):
    blocks = extract_blocks(fixtures[f"{name}-{style}"])
    got = [(b.kind, squash(b.text)) for b in blocks if b.kind in PASSAGE_KINDS]
    want = [(k, t) for k, t in expected_units(name) if k in PASSAGE_KINDS]
    assert got == want


@pytest.mark.parametrize("producer", ["office", "browser"])
@pytest.mark.parametrize("name", ["features", "long_table", "page_break", "research"])
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


@pytest.mark.parametrize("name", ["features-formal", "features-modern", "long_table-plain", "page_break-formal",
                                  "research-columns", "research-grid", "glyphs"])
def test_the_fast_engine_gives_the_same_blocks_as_pdfplumber(fixtures, name):
    fast = [b.to_dict() for b in extract_blocks(fixtures[name], engine="auto")]
    plumber = [b.to_dict() for b in extract_blocks(fixtures[name], engine="pdfplumber")]
    assert fast == plumber


# --------------------------------------------------------------------------- research-report house styles


@pytest.mark.parametrize("producer", PRODUCERS)
def test_table_cells_come_out_cell_by_cell_with_their_row_and_column_headers(request, producer):
    """Every cell, and every bullet of a cell, in order, with the text of its row's first cell and
    its column's header: nothing lost or doubled across column and page breaks."""
    blocks, _ = research(request, producer)
    got = [(squash(b.text), b.row_header, b.col_header) for b in assign_table_headers(blocks) if b.kind == "table_cell"]
    source = parse_source((FIXTURES / "research.txt").read_text(encoding="utf-8"))
    assert got == [(squash(t), rh, ch) for t, rh, ch in table_cells(source)]


@pytest.mark.parametrize("producer", PRODUCERS)
def test_the_extractor_gives_each_body_cell_its_headers_itself(request, producer):
    blocks, _ = research(request, producer)
    body = [b for b in blocks if b.kind == "table_cell" and b.row > 0]
    assert body and all(b.col_header for b in body)
    assert all(b.row_header for b in body if b.col > 0)
    assert {b.col_header for b in body if b.table == 0} == {
        "Factor", "How can councils enhance the impact?", "How can the LGA enhance the impact?"}


@pytest.mark.parametrize("producer", PRODUCERS)
def test_a_table_continued_in_the_next_column_and_page_is_one_table_with_one_header(request, producer):
    blocks, pdf = research(request, producer)
    factors = [b for b in blocks if b.kind == "table_cell" and b.table == 0]
    printed = sum(w.text == "Factor" for page in read_pages(pdf) for w in page.words)
    assert printed >= 2, "the fixture's table should repeat its header row after a break"
    assert len({b.page for b in factors}) >= 2
    assert [b.text for b in factors if b.text == "Factor"] == ["Factor"]
    assert sorted({b.row for b in factors}) == list(range(13))  # header and twelve factors, numbered through
    assert [b.text for b in factors if b.col == 0][1:] == [
        "Clear purpose", "Team composition", "Openness before the review", "Staff involvement",
        "Specific recommendations", "Partnership ownership", "Ongoing monitoring", "Timing", "Elected members",
        "Use of data", "Support after the review", "Learning across councils"]


def test_the_two_column_table_runs_into_the_right_column_and_onto_the_next_page(fixtures):
    """In the two-column style the table of factors starts in a left column and carries on in the
    right one and then on the next page, with its header row repeated each time."""
    pages = list(read_pages(fixtures["research-columns"]))
    headers = [(page.number, w.x0 > page.width / 2) for page in pages for w in page.words if w.text == "Factor"]
    assert len(headers) >= 3 and len({n for n, _ in headers}) >= 2 and any(right for _, right in headers)
    assert all(w.x1 < page.width / 2 or w.x0 > page.width / 2 for page in pages for w in page.words
               if w.text == "Factor"), "each fragment sits inside one column"


@pytest.mark.parametrize("producer", PRODUCERS)
def test_each_bullet_of_a_cell_is_a_block_of_its_own_with_its_follow_on_sentence(request, producer):
    blocks, _ = research(request, producer)
    clear = [b for b in blocks if b.kind == "table_cell" and b.table == 0 and b.row == 1]
    assert [(b.col, b.text) for b in clear] == [
        (0, "Clear purpose"),
        (1, "Agree two or three questions the review must answer before the team is appointed."),
        (1, "Test the questions with partners, so that the review is seen as shared rather than imposed."),
        (2, "Offer a scoping conversation with an experienced lead peer. This helps councils avoid questions "
            "that are too broad to answer in a week."),
    ]


@pytest.mark.parametrize("style", STYLES)
def test_boxes_and_pull_quotes_are_read_once_in_place_and_marked(request, style):
    blocks, _ = research(request, style)
    source = parse_source((FIXTURES / "research.txt").read_text(encoding="utf-8"))
    passages = [b for b in blocks if b.kind in PASSAGE_KINDS]
    assert [b.text for b in passages if b.boxed] == boxed_text(source)
    texts = [b.text for b in passages]
    box = [i for i, b in enumerate(passages) if b.boxed]
    assert texts[box[0] - 1].startswith("This evaluation asks")
    assert texts[box[2] + 1].startswith("The councils we studied")
    # The pull quote comes after the paragraph it interrupts, which is whole.
    assert texts[box[3] - 1].startswith("Most of what councils") and texts[box[3] - 1].endswith("many months.")
    assert sum("became safe for everyone else" in t for t in texts) == 1


@pytest.mark.parametrize("style", STYLES)
def test_a_heading_in_a_box_titles_the_box_alone(request, style):
    blocks, _ = research(request, style)
    finding = next(b for b in blocks if b.text.startswith("Reviews were most useful"))
    after = next(b for b in blocks if b.text.startswith("The councils we studied"))
    assert finding.boxed and finding.section.endswith("Summary > Key findings")
    assert not after.boxed and after.section.endswith("Summary") and "Key findings" not in after.section


@pytest.mark.parametrize("style", STYLES)
def test_footnotes_stay_out_of_the_body_and_markers_out_of_words(request, style):
    blocks, _ = research(request, style)
    notes = [b.text for b in blocks if b.kind == "footnote"]
    assert notes == ["1 The survey was sent to every director in England in the autumn of 2015.",
                     "2 Interviews were held at three points: before the review, after six months and after twelve months."]
    body = " ".join(b.text for b in blocks if b.kind in PASSAGE_KINDS)
    assert "The survey was sent" not in body and "Interviews were held" not in body
    assert "children's services. The councils" not in body  # the box between them is not merged
    assert re.search(r"children's services\.$", next(b.text for b in blocks if b.text.startswith("This evaluation")))


@pytest.mark.parametrize("name", ["research-columns", "features-columns", "long_table-columns"])
def test_no_words_of_two_columns_are_merged(fixtures, name):
    units = [squash(t) for _, t in expected_units(name.rsplit("-", 1)[0])]
    passages = [squash(b.text) for b in extract_blocks(fixtures[name]) if b.kind in PASSAGE_KINDS]
    assert [p for p in passages if not any(p in u for u in units)] == []


@pytest.mark.parametrize("engine", ["auto", "pdfplumber"])
def test_ligatures_soft_hyphens_spaces_markers_and_bullets_of_any_font_are_normalised(fixtures, engine):
    from make_fixtures import GLYPHS

    assert [(b.kind, b.text) for b in extract_blocks(fixtures["glyphs"], engine=engine)] == GLYPHS


def _line(top: float, *words: tuple[str, float]) -> Line:
    return Line([Word(text, x, x + 6 * len(text), top, top + 10, 10, False) for text, x in words])


def test_cell_items_split_bullets_and_keep_their_run_on_lines():
    from collections import Counter

    lines = [
        _line(0, ("Councils", 0), ("should:", 60)),
        _line(18, ("\u2022", 0), ("Agree", 12), ("a", 50), ("plan", 60)),
        _line(30, ("with", 12), ("partners.", 40), ("It", 100), ("helps.", 115)),  # at the hanging indent
        _line(48, ("\u2022", 0), ("Share", 12), ("the", 50), ("plan", 75)),
        _line(60, ("with", 0), ("staff.", 30)),  # under the glyph, with no space above: still the bullet
        _line(78, ("Then", 0), ("report.", 40)),  # set back after a space: text of its own
    ]
    assert cell_items(lines, Counter()) == [
        ("Councils should:", False), ("Agree a plan with partners. It helps.", True),
        ("Share the plan with staff.", True), ("Then report.", False),
    ]


def _row(top: float, *cells: str) -> list[Word]:
    """Words of one table row at ``top``: a cell per column, the columns 150 points apart."""
    words = []
    for c, text in enumerate(cells):
        x = 72 + 150 * c
        for word in text.split():
            words.append(Word(word, x, x + 5 * len(word), top, top + 10, 10, False))
            x += 5 * len(word) + 3
    return words


def _rules(*ys: float) -> list:
    from textmine.extract import Rule

    return [Rule("h", 70, 500, y, y) for y in ys]


def _cells(page) -> list[list[str]]:
    from textmine.extract.tables import find_tables
    from textmine.extract.text import lines_to_text

    return [[lines_to_text(cell) for cell in row] for table in find_tables(page) for row in table.rows]


@pytest.mark.parametrize("case, rules, rows", [
    ("ruled between rows", _rules(98, 113, 128, 143), [(100, "Factor", "Councils", "The LGA"),
                                                      (115, "Timing", "Agree dates", "Stay flexible"),
                                                      (130, "Purpose", "Set questions", "Offer scoping")]),
    ("header ruled only below", _rules(113, 128, 143), [(100, "Factor", "Councils", "The LGA"),
                                                       (115, "Timing", "Agree dates", "Stay flexible"),
                                                       (130, "Purpose", "Set questions", "Offer scoping")]),
    ("ruled at the head and foot", _rules(98, 113, 160), [(100, "Factor", "Councils", "The LGA"),
                                                         (116, "Timing", "Agree dates", "Stay flexible"),
                                                         (140, "Purpose", "Set questions", "Offer scoping")]),
    ("continued without a foot rule", _rules(98, 113), [(100, "Factor", "Councils", "The LGA"),
                                                       (116, "Timing", "Agree dates", "Stay flexible"),
                                                       (140, "Purpose", "Set questions", "Offer scoping")]),
])
def test_rule_only_tables_are_found_with_their_rows(case, rules, rows):
    from textmine.extract import PageData

    words = [w for top, *cells in rows for w in _row(top, *cells)]
    page = PageData(1, 595, 842, words, rules=rules)
    assert _cells(page) == [list(cells) for _, *cells in rows], case


def test_running_text_between_two_tables_of_one_width_ends_the_first():
    from textmine.extract import PageData

    text = [Word(w, 72 + 30 * i, 72 + 30 * i + 27, 160, 170, 10, False) for i, w in enumerate(
        "This paragraph runs right across the column between the two tables of the page".split())]
    words = _row(100, "A", "B", "C") + _row(115, "a1", "b1", "c1") + text + _row(200, "D", "E", "F") + _row(215, "d1", "e1", "f1")
    page = PageData(1, 595, 842, words, rules=_rules(98, 113, 128, 198, 213, 228))
    assert _cells(page) == [["A", "B", "C"], ["a1", "b1", "c1"], ["D", "E", "F"], ["d1", "e1", "f1"]]


def test_a_heading_right_above_a_table_is_not_taken_for_its_header_row():
    from textmine.extract import PageData

    heading = [Word("2.", 72, 84, 84, 97, 13, True), Word("Action", 222, 262, 84, 97, 13, True),
               Word("plan", 372, 400, 84, 97, 13, True)]
    words = heading + _row(100, "Ref", "Action", "Lead") + _row(115, "1.1", "Draft a plan", "DCS")
    page = PageData(1, 595, 842, words, rules=_rules(98, 113, 128))
    assert _cells(page) == [["Ref", "Action", "Lead"], ["1.1", "Draft a plan", "DCS"]]
