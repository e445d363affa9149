"""Corpus discovery and the manifest."""

from __future__ import annotations

import pytest

from textmine.corpus import discover, period, read_manifest
from textmine.errors import BadInput


def test_files_missing_from_the_manifest_run_with_empty_metadata(corpus):
    docs, problems = discover(corpus)
    by_name = {d.file: d for d in docs}
    assert set(by_name) == {"features-formal.pdf", "page_break-modern.pdf", "long_table-plain.pdf", "truncated.pdf"}
    assert by_name["features-formal.pdf"].meta == {"council": "Fixture", "date": "2014-05-01", "timepoint": "review", "doc_type": "report"}
    assert by_name["long_table-plain.pdf"].meta == {"council": None, "date": None, "timepoint": None, "doc_type": None}
    assert problems == []


def test_bad_manifest_values_are_dropped_with_a_warning(tmp_path):
    (tmp_path / "manifest.csv").write_text("file,council,date,timepoint,doc_type\na.pdf,X,14/03/2014,later,report\n")
    rows, problems = read_manifest(tmp_path)
    assert rows["a.pdf"] == {"council": "X", "date": None, "timepoint": None, "doc_type": "report"}
    assert len(problems) == 2 and "14/03/2014" in problems[0][1] and "later" in problems[1][1]
    assert {file for file, _ in problems} == {"manifest.csv"}


def test_a_manifest_without_a_file_column_is_refused(tmp_path):
    (tmp_path / "manifest.csv").write_text("name,council\na.pdf,X\n")
    with pytest.raises(BadInput, match="no 'file' column"):
        read_manifest(tmp_path)


def test_manifest_rows_for_absent_files_are_reported(tmp_path):
    (tmp_path / "manifest.csv").write_text("file,council\nghost.pdf,X\n")
    _, problems = discover(tmp_path)
    assert problems == [("manifest.csv", "manifest.csv lists ghost.pdf, which is not in the corpus folder")]


@pytest.mark.parametrize("value, expected", [("2014-03-01", "2014"), (None, None), ("", None), ("March", None)])
def test_period_is_the_year(value, expected):
    assert period(value) == expected


def test_every_readable_format_is_discovered_in_any_case_and_the_rest_listed_as_skipped(tmp_path):
    from textmine.corpus import skipped_files

    for name in ("a.pdf", "B.PDF", "plan.docx", "minutes.HTML", "page.htm", "notes.txt", "sub/old.doc", ".hidden/x.pdf", ".DS_Store"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "manifest.csv").write_text("file,council\nold.doc,X\n")
    docs, problems = discover(tmp_path)
    assert [d.file for d in docs] == ["B.PDF", "a.pdf", "minutes.HTML", "page.htm", "plan.docx"]
    assert skipped_files(tmp_path) == ["notes.txt", "sub/old.doc"]
    assert problems == [("manifest.csv", "manifest.csv lists old.doc, which textmine does not read (only .pdf, .docx, .html, .htm)")]
