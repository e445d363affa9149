"""Word documents, web pages and scanned PDFs: the same blocks as PDFs, and bad inputs named.

The documents are made by tests/fixtures/make_formats.py; what must come out of them is
stated here (the feature documents also by their source, features.txt).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from textmine.errors import NoTextLayer, UnreadableDocument
from textmine.formats import collect_problems, extract_file
from textmine.segment import PASSAGE_KINDS, blocks_to_passages
from textmine.typeset import parse_source, source_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def units(name: str) -> list[tuple[str, str]]:
    source = parse_source((FIXTURES / f"{name}.txt").read_text(encoding="utf-8"))
    return [(kind, squash(text)) for kind, text in source_text(source) if kind in PASSAGE_KINDS]


def by_text(blocks) -> dict:
    return {b.text: b for b in blocks}


@pytest.fixture(scope="module")
def tesseract() -> None:
    """Skip the OCR tests without Debian's tesseract-ocr; in CI (which installs it) fail instead."""
    if shutil.which("tesseract") is None:
        if os.environ.get("CI"):
            raise FileNotFoundError("tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-eng")
        pytest.skip("tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-eng")


# --------------------------------------------------------------------------- Word and web pages


@pytest.mark.parametrize("name", ["features.docx", "features.html"])
def test_every_unit_comes_out_whole_in_order_and_of_its_kind(format_fixtures, name):
    blocks = extract_file(format_fixtures[name])
    assert [(b.kind, squash(b.text)) for b in blocks if b.kind in PASSAGE_KINDS] == units("features")


@pytest.mark.parametrize("name", ["features.docx", "features.html"])
def test_headings_give_the_same_sections_as_in_a_pdf(format_fixtures, fixtures, name):
    from textmine.extract import extract_blocks

    def sections(blocks):
        return [b.section for b in blocks if b.kind in PASSAGE_KINDS]

    assert sections(extract_file(format_fixtures[name])) == sections(extract_blocks(fixtures["features-formal"]))


def test_word_headings_come_from_styles_based_on_styles_and_outline_levels(format_fixtures):
    blocks = extract_file(format_fixtures["word.docx"])
    headings = [(b.text, b.level) for b in blocks if b.kind == "heading"]
    assert headings == [("Action plan update", 1), ("1. Introduction", 2), ("1.1 Scope", 3),
                        ("Findings by theme", 2), ("2. Next steps", 2)]
    assert by_text(blocks)["The first bullet item is short."].section == "Action plan update > 1. Introduction > 1.1 Scope"


def test_word_list_items_are_one_block_each_numbered_nested_or_typed(format_fixtures):
    bullets = [b.text for b in extract_file(format_fixtures["word.docx"]) if b.kind == "bullet"]
    assert bullets == [
        "The first bullet item is short.",
        "A nested bullet under the first one.",
        "A bullet typed by hand with a tab after the glyph.",
        "Agree the thresholds document with partners.",
        "Audit twenty case files every month.",
    ]


def test_word_tracked_changes_read_as_accepted(format_fixtures):
    texts = [b.text for b in extract_file(format_fixtures["word.docx"])]
    assert "The board agreed the plan in March." in texts
    assert not any("January" in t for t in texts)


def test_word_text_box_is_read_once_and_marked_boxed_after_its_anchor(format_fixtures):
    from make_formats import BOX_TEXT

    blocks = extract_file(format_fixtures["word.docx"])
    texts = [b.text for b in blocks]
    assert texts.count(BOX_TEXT) == 1  # the VML fallback copy is not read again
    box = texts.index(BOX_TEXT)
    assert texts[box - 1] == "The box sits beside this paragraph."
    assert blocks[box].boxed and not blocks[box - 1].boxed


def test_word_footnotes_headers_and_footers_stay_out_of_the_body(format_fixtures):
    from make_formats import FOOTNOTE_TEXT

    text = " ".join(b.text for b in extract_file(format_fixtures["word.docx"]))
    assert FOOTNOTE_TEXT not in text and "Figures supplied" not in text
    assert "Fixture Council | Action plan update" not in text and "OFFICIAL" not in text


def test_word_pages_follow_page_breaks(format_fixtures):
    blocks = by_text(extract_file(format_fixtures["word.docx"]))
    assert blocks["The board agreed the plan in March."].page == 1
    assert blocks["The next update goes to the board in September."].page == 2


@pytest.mark.parametrize("name", ["word.docx", "site.html"])
def test_merged_cells_come_once_at_their_top_left_and_head_the_cells_they_span(format_fixtures, name):
    cells = [b for b in extract_file(format_fixtures[name]) if b.kind == "table_cell"]
    header, side = ("Progress", "Voice of the child") if name == "word.docx" else ("Progress", "Thresholds")
    assert [(b.row, b.col) for b in cells if b.text == header] == [(0, 1)]
    assert [(b.row, b.col) for b in cells if b.text == side] == [(1, 0)]
    body = [b for b in cells if b.row > 0 and b.col > 0]
    assert [(b.row, b.col) for b in body] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert {(b.col_header, b.row_header) for b in body} == {(header, side)}  # spanned and merged down


def test_table_headers_survive_into_passages(format_fixtures):
    passages = blocks_to_passages(extract_file(format_fixtures["site.html"]), "site.html", {})
    cell = next(p for p in passages if p["text"] == "Partners signed up.")
    assert (cell["row"], cell["col"], cell["row_header"], cell["col_header"]) == (2, 2, "Thresholds", "Progress")


def test_web_page_keeps_the_main_content_and_drops_the_site(format_fixtures):
    blocks = extract_file(format_fixtures["site.html"])
    text = " ".join(b.text for b in blocks)
    for boilerplate in ("cookies", "Home", "Bins", "Share this page", "Related pages", "Accessibility", "Committees",
                        "tracking", "hidden", "Draft text"):
        assert boilerplate not in text
    assert [(b.text, b.level) for b in blocks if b.kind == "heading"] == [
        ("Cabinet, 12 March 2014", 1), ("Minutes", 2), ("Item 5: Safeguarding peer review", 3)]
    kinds = {b.text: b.kind for b in blocks}
    assert kinds["The Director of Children's Services introduced the report on the peer review."] == "paragraph"
    assert kinds["Members asked how the voice of the child would be heard in the action plan."] == "paragraph"
    assert [b.text for b in blocks if b.kind == "bullet"] == [
        "Resolved to note the report.", "A nested point under the first resolution.",
        "Resolved to receive an update in six months."]
    quote = by_text(blocks)["The peer team found staff committed and reflective."]
    assert quote.boxed and quote.page == 1


def test_a_declared_legacy_encoding_is_read(tmp_path):
    page = tmp_path / "legacy.htm"
    page.write_bytes('<html><head><meta charset="windows-1252"></head><body><p>Caf\u00e9 \u201cdraft\u201d minutes</p></body></html>'.encode("cp1252"))
    assert [b.text for b in extract_file(page)] == ["Caf\u00e9 \u201cdraft\u201d minutes"]


@pytest.mark.parametrize("suffix", [".DOCX", ".Html", ".HTM"])
def test_suffixes_are_read_in_any_case(format_fixtures, tmp_path, suffix):
    source = format_fixtures["word.docx" if suffix.lower() == ".docx" else "site.html"]
    copy = tmp_path / f"upper{suffix}"
    shutil.copy(source, copy)
    assert [b.to_dict() for b in extract_file(copy)] == [b.to_dict() for b in extract_file(source)]


# --------------------------------------------------------------------------- scans


def words_in_order(unit: str, passage: str) -> float:
    """The share of a unit's words found in the passage in order."""
    a, b = unit.lower().split(), passage.lower().split()
    return sum(m.size for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()) / len(a)


def test_a_scanned_page_is_read_by_ocr_into_the_same_kinds_of_block(format_fixtures, tesseract):
    from make_formats import LETTER

    blocks = extract_file(format_fixtures["scan.pdf"])
    want = [(k, squash(t)) for k, t in source_text(parse_source(LETTER)) if k in PASSAGE_KINDS]
    got = [b for b in blocks if b.kind in PASSAGE_KINDS]
    found, start = [], 0
    for kind, text in want:  # each unit in a later block than the one before, of its kind, 95% of its words in order
        match = next(i for i in range(start, len(got)) if words_in_order(text, got[i].text) >= 0.95)
        found.append(got[match].kind)
        start = match + 1
    assert found == [k for k, _ in want]
    assert ("Six months on", "heading") in [(b.text, b.kind) for b in blocks]
    assert all(b.ocr and 80 <= b.ocr_confidence <= 100 for b in blocks)


def test_only_pages_without_text_are_ocrd_and_an_unreadable_page_is_reported(format_fixtures, tesseract):
    with collect_problems() as problems:
        blocks = extract_file(format_fixtures["mixed.pdf"])
    first = [b for b in blocks if b.page == 1]
    assert [b.text for b in first] == ["This first page has a text layer and comes through as it is."]
    assert not first[0].ocr and first[0].ocr_confidence is None
    assert {b.page for b in blocks if b.ocr} == {2}
    assert len(problems) == 1
    assert problems[0].startswith("mixed.pdf: page 3 has no text layer and OCR could not read it (")
    assert problems[0].endswith(" of it is dark: a photo or noise?)")


def test_the_extraction_cache_key_changes_with_the_ocr_code(tmp_path):
    from textmine.extract import extractor_version
    from textmine.formats import code_fingerprint, reader_modules, reader_version

    assert {"ocr.py", "docx.py", "html.py"} <= {p.name for p in reader_modules()}
    copies = []
    for module in reader_modules():
        copies.append(tmp_path / module.name)
        shutil.copy(module, copies[-1])
    assert code_fingerprint(copies, extractor_version()) == reader_version()
    ocr = tmp_path / "ocr.py"
    ocr.write_text(ocr.read_text().replace("DEFAULT_DPI = 200", "DEFAULT_DPI = 300"))
    assert code_fingerprint(copies, extractor_version()) != reader_version()


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "name, error, message",
    [
        ("corrupt.docx", UnreadableDocument, "corrupt.docx is damaged (not a complete zip archive): copy it again from its source"),
        ("renamed_pdf.docx", UnreadableDocument, "renamed_pdf.docx is a PDF, not a Word document: rename it to .pdf"),
        ("unknown_encoding.html", UnreadableDocument,
         "unknown_encoding.html declares a text encoding textmine does not know ('x-council-legacy'): save the page again as UTF-8"),
        ("undeclared.html", UnreadableDocument,
         "undeclared.html is not UTF-8 and does not say which text encoding it uses (byte 0xe9 at offset 18): save the page again as UTF-8"),
        ("noise.pdf", NoTextLayer, "noise.pdf has no text layer and OCR found no text on its pages (blank or photos?)"),
    ],
)
def test_bad_inputs_raise_one_clear_line_naming_the_file(format_fixtures, tesseract, name, error, message):
    with pytest.raises(error) as info, collect_problems():
        extract_file(format_fixtures[name])
    assert str(info.value) == message


def test_an_unknown_suffix_is_refused_by_name(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(UnreadableDocument, match="notes.txt: textmine reads .pdf, .docx, .html, .htm files, not .txt"):
        extract_file(notes)


def test_a_run_over_a_mixed_folder_reads_every_format_and_reports_each_bad_file(format_fixtures, tmp_path, tiny_model_dir,
                                                                              tesseract, pipeline):
    from textmine import store
    from textmine.run import summary_line

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = ["features.docx", "features.html", "mixed.pdf", "corrupt.docx", "renamed_pdf.docx",
             "unknown_encoding.html", "noise.pdf"]
    for name in names:
        shutil.copy(format_fixtures[name], corpus / name)
    (corpus / "notes.txt").write_text("not a document")
    (corpus / "manifest.csv").write_text("file,council,date,timepoint,doc_type\nfeatures.docx,Fixture,2014-05-01,review,action_plan\n")
    out = tmp_path / "out"
    record = pipeline(str(corpus), str(out), str(tiny_model_dir), workers=2, timeout=120)
    assert record["documents"] == 7 and record["skipped"] == ["notes.txt"]
    assert "Skipped 1 files that are not PDF, Word (.docx) or web pages (.html): notes.txt." in summary_line(record)
    with open(out / "errors.csv", newline="") as fh:
        errors = {(e["file"], e["step"]): e["error"] for e in csv.DictReader(fh)}
    assert set(errors) == {("corrupt.docx", "extract"), ("renamed_pdf.docx", "extract"), ("unknown_encoding.html", "extract"),
                           ("noise.pdf", "extract"), ("mixed.pdf", "ocr")}
    assert all(file in error for (file, _), error in errors.items())
    assert "page 3" in errors[("mixed.pdf", "ocr")]
    passages = store.read_passages(out / "passages.parquet")
    files = {p["file"] for p in passages}
    assert files == {"features.docx", "features.html", "mixed.pdf"}
    assert next(p for p in passages if p["file"] == "features.docx")["doc_type"] == "action_plan"
    scanned = [p for p in passages if p["file"] == "mixed.pdf" and p["page"] == 2]
    assert scanned and all(p["ocr"] and p["ocr_confidence"] > 80 for p in scanned)
    assert not any(p["ocr"] for p in passages if p["file"] != "mixed.pdf")


def test_a_blank_scanned_page_is_reported_without_running_ocr(tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.pdf"
    Image.new("L", (850, 1100), 255).save(str(blank), "PDF", resolution=100)
    with pytest.raises(NoTextLayer), collect_problems() as problems:
        extract_file(blank)
    assert problems == ["blank.pdf: page 1 has no text layer and OCR could not read it (it is blank)"]
