"""Export coded passages as a REFI-QDA project (``.qdpx``) for QualCoder, NVivo, ATLAS.ti and MAXQDA.

The project follows the REFI-QDA Project standard 1.0 (``Project.xsd``, namespace
``urn:QDA-XML:project:1.0``). A ``.qdpx`` file is a zip archive holding
``project.qde`` (the XML) and a ``sources/`` folder with one plain text file per
document:

- The code book is the taxonomy: parents ``Themes``, ``Factors`` and ``Stages``
  (not codable) with one code per label id, and ``Recommendation`` (codable) with
  ``council`` and ``lga`` under it. A recommendation without an audience is coded
  ``Recommendation`` itself.
- Each document is a ``TextSource``. Its plain text is its passages in reading
  order with a blank line between them, stored as ``sources/<guid>.txt``.
- Each passage with at least one label is a ``PlainTextSelection`` with one
  ``Coding`` per label. Positions count characters (code points) from 0, end
  exclusive. A passage without labels is in the text but not selected: importers
  read an uncoded selection as an annotation.
- Councils are ``Case`` elements; council, timepoint, date and doc_type are
  ``Variable`` elements, with values on the cases and on the sources.

The same passages always give the same bytes: GUIDs are uuid5 of the ids, every
creation time is the latest passage date, and the zip entries carry a fixed time.
"""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from datetime import date

from . import __version__, taxonomy
from .errors import BadInput
from .labels import Labels
from .safe import xml_chars

NAMESPACE = "urn:QDA-XML:project:1.0"
# uuid5(NAMESPACE_URL, "textmine:qdpx"): every GUID of an export is derived from it.
GUID_NAMESPACE = uuid.UUID("3f37b8b7-b735-56ee-9c57-fe576a5bbd96")
PROJECT_FILE = "project.qde"
SOURCES_FOLDER = "sources"
SEPARATOR = "\n\n"
# The creation date when no passage has a date.
NO_DATE = date(2000, 1, 1)
# Zip entry times (the earliest a zip can hold), so the archive does not depend on the clock.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
META_FIELDS = ("council", "date", "timepoint", "doc_type")

AUDIENCES: dict[str, str] = {
    "council": "A recommendation to the council and its partners.",
    "lga": "A recommendation about the peer review programme: to the LGA or future review teams.",
}

# (axis, parent code, parent codable, parent description, child codes with descriptions)
CODE_GROUPS: tuple[tuple[str, str, bool, str, dict[str, str]], ...] = (
    ("theme", "Themes", False, "What the passage is about: one or more of six themes.", taxonomy.THEMES),
    ("factor", "Factors", False, "What made the peer review work or not: one or more factors.", taxonomy.FACTORS),
    ("stage", "Stages", False, "Where the passage sits on the review's impact journey: at most one stage.", taxonomy.STAGES),
    (
        "audience",
        "Recommendation",
        True,
        "The passage itself recommends something. Its code below says who should act; "
        "a recommendation coded here has no known audience.",
        AUDIENCES,
    ),
)

# (name, typeOfVariable, description): council belongs to the cases, the rest to the sources.
VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("council", "Text", "The council the documents are about."),
    ("timepoint", "Text", "When the document was written relative to the review: pre, review, 3-6m or 12m."),
    ("date", "Date", "The date of the document."),
    ("doc_type", "Text", "The kind of document, from the corpus manifest."),
)


def guid(*parts: str) -> str:
    """A GUID that depends only on ``parts`` (uuid5 in textmine's own namespace).

    >>> guid("source", "a.pdf") == guid("source", "a.pdf") != guid("source", "b.pdf")
    True
    """
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(parts)))


def code_guid(axis: str, label: str | None) -> str:
    """The GUID of a code: a label of an axis, or the axis' parent code when ``label`` is None."""
    return guid("code", axis) if label is None else guid("code", axis, label)


def plain(text: str) -> str:
    """Text with every line ending as ``\\n``, as importers read a plain text file.

    >>> plain("a\\r\\nb\\rc")
    'a\\nb\\nc'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


def xml_safe(text: str) -> str:
    """Text that XML 1.0 can hold: characters it cannot hold become U+FFFD.

    >>> xml_safe("form\\x0cfeed")
    'form\\ufffdfeed'
    """
    return xml_chars(plain(text))[0]


def passage_codes(passage: dict) -> list[tuple[str, str | None]]:
    """The codes of one passage as (axis, label) pairs, in code book order.

    A recommendation is coded with its audience, or with the Recommendation parent
    (label None) when it has none; an audience without a recommendation is ignored.

    >>> passage_codes({"id": "p", "themes": ["working_together"], "factors": [], "stage": "action",
    ...                "recommendation": True, "audience": "lga"})
    [('theme', 'working_together'), ('stage', 'action'), ('audience', 'lga')]
    """
    labels = Labels.from_dict(passage, where=f"passage {passage.get('id')!r}: ")
    given = {
        "theme": labels.themes,
        "factor": labels.factors,
        "stage": [labels.stage],
        "audience": [labels.audience],
    }
    codes = [(axis, label) for axis, _, _, _, choices in CODE_GROUPS for label in choices if label in given[axis]]
    if labels.recommendation and labels.audience is None:
        codes.append(("audience", None))
    return codes


def document_text(texts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """A document's plain text (its passages joined by a blank line) and each passage's span.

    Spans are (start, end) in characters (Unicode code points), end exclusive, so
    ``text[start:end]`` is the passage.

    >>> document_text(["café – “quotes”", "b"])
    ('café – “quotes”\\n\\nb', [(0, 15), (17, 18)])
    """
    parts = [plain(t) for t in texts]
    spans = []
    start = 0
    for part in parts:
        spans.append((start, start + len(part)))
        start += len(part) + len(SEPARATOR)
    return SEPARATOR.join(parts), spans


def _iso_date(value: str, passage_id: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadInput(f"passage {passage_id!r} has date {value!r}, which is not YYYY-MM-DD: fix or clear it") from None


def passages_to_documents(passages: list[dict]) -> list[dict]:
    """Passages grouped by document, documents sorted by file, passages kept in the order given.

    Each document is a dict with ``file``, the metadata fields, ``text`` and
    ``passages`` as (passage, start, end) triples. Passage ids must be unique and
    the passages of one file must agree on its metadata.
    """
    seen: set[str] = set()
    by_file: dict[str, list[dict]] = {}
    for p in passages:
        if p["id"] in seen:
            raise BadInput(f"passage id {p['id']!r} appears twice: each passage must be exported once")
        seen.add(p["id"])
        by_file.setdefault(p["file"], []).append(p)
    documents = []
    for file in sorted(by_file):
        group = by_file[file]
        meta = {}
        for field in META_FIELDS:
            values = {p.get(field) for p in group} - {None}
            if len(values) > 1:
                raise BadInput(f"passages of {file} disagree on {field} ({', '.join(sorted(values))}): give them one value")
            meta[field] = values.pop() if values else None
        if meta["date"]:
            meta["date"] = _iso_date(meta["date"], group[0]["id"])
        text, spans = document_text([p["text"] for p in group])
        documents.append(
            {"file": file, **meta, "text": text, "passages": [(p, s, e) for p, (s, e) in zip(group, spans)]}
        )
    return documents


def creation_time(documents: list[dict]) -> str:
    """The time stamped on everything: midnight UTC of the latest document date, or of ``NO_DATE``."""
    dates = [d["date"] for d in documents if d["date"]]
    return f"{max(dates) if dates else NO_DATE.isoformat()}T00:00:00Z"


def selection_description(passage: dict) -> str:
    """Where the passage is in its document and who labelled it.

    >>> selection_description({"page": 3, "section": "Leadership", "label_source": "human"})
    'page 3; section: Leadership; labels: human'
    """
    parts = []
    if passage.get("page") is not None:
        parts.append(f"page {passage['page']}")
    if passage.get("section"):
        parts.append(f"section: {passage['section']}")
    if passage.get("label_source"):
        parts.append(f"labels: {passage['label_source']}")
    return "; ".join(parts)


def _el(parent: ET.Element | None, tag: str, attrs: dict | None = None, text: str | None = None) -> ET.Element:
    """A new element (the root, with the REFI-QDA namespace, when ``parent`` is None).

    Attributes that are None are left out; text and attribute values are made XML-safe.
    """
    attrib = {k: xml_safe(str(v)) for k, v in (attrs or {}).items() if v is not None}
    if parent is None:
        element = ET.Element(tag, {"xmlns": NAMESPACE, **attrib})
    else:
        element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = xml_safe(text)
    return element


def _codebook(parent: ET.Element) -> None:
    codes = _el(_el(parent, "CodeBook"), "Codes")
    for axis, name, codable, description, labels in CODE_GROUPS:
        group = _el(codes, "Code", {"guid": code_guid(axis, None), "name": name, "isCodable": str(codable).lower()})
        _el(group, "Description", text=description)
        for label, label_description in labels.items():
            code = _el(group, "Code", {"guid": code_guid(axis, label), "name": label, "isCodable": "true"})
            _el(code, "Description", text=label_description)


def _variable_value(parent: ET.Element, name: str, value: str) -> None:
    kind = next(kind for n, kind, _ in VARIABLES if n == name)
    element = _el(parent, "VariableValue")
    _el(element, "VariableRef", {"targetGUID": guid("variable", name)})
    _el(element, "DateValue" if kind == "Date" else "TextValue", text=value)


def _text_source(parent: ET.Element, document: dict, user_guid: str, created: str) -> None:
    source_guid = guid("source", document["file"])
    source = _el(
        parent,
        "TextSource",
        {
            "guid": source_guid,
            "name": document["file"],
            "plainTextPath": f"internal://{source_guid}.txt",
            "creatingUser": user_guid,
            "creationDateTime": created,
        },
    )
    _el(source, "Description", text=f"Passages of {document['file']} in reading order, a blank line between them.")
    for passage, start, end in document["passages"]:
        codes = passage_codes(passage)
        if not codes:
            continue
        selection = _el(
            source,
            "PlainTextSelection",
            {
                "guid": guid("selection", passage["id"]),
                "name": passage["id"],
                "startPosition": start,
                "endPosition": end,
                "creatingUser": user_guid,
                "creationDateTime": created,
            },
        )
        _el(selection, "Description", text=selection_description(passage))
        for axis, label in codes:
            coding = _el(
                selection,
                "Coding",
                {
                    "guid": guid("coding", passage["id"], axis, label or ""),
                    "creatingUser": user_guid,
                    "creationDateTime": created,
                },
            )
            _el(coding, "CodeRef", {"targetGUID": code_guid(axis, label)})
    for name in ("timepoint", "date", "doc_type"):
        if document[name]:
            _variable_value(source, name, document[name])


def project_element(documents: list[dict], title: str, user: str) -> ET.Element:
    """The ``Project`` element of ``project.qde`` for documents from ``passages_to_documents``."""
    created = creation_time(documents)
    user_guid = guid("user", user)
    project = _el(
        None,
        "Project",
        {
            "name": title,
            "origin": f"textmine {__version__}",
            "creatingUserGUID": user_guid,
            "creationDateTime": created,
        },
    )
    _el(_el(project, "Users"), "User", {"guid": user_guid, "name": user})
    _codebook(project)

    used = [(name, kind, text) for name, kind, text in VARIABLES if any(d[name] for d in documents)]
    if used:
        variables = _el(project, "Variables")
        for name, kind, description in used:
            variable = _el(variables, "Variable", {"guid": guid("variable", name), "name": name, "typeOfVariable": kind})
            _el(variable, "Description", text=description)

    councils = sorted({d["council"] for d in documents if d["council"]})
    if councils:
        cases = _el(project, "Cases")
        for council in councils:
            case = _el(cases, "Case", {"guid": guid("case", council), "name": council})
            _variable_value(case, "council", council)
            for document in documents:
                if document["council"] == council:
                    _el(case, "SourceRef", {"targetGUID": guid("source", document["file"])})

    if documents:
        sources = _el(project, "Sources")
        for document in documents:
            _text_source(sources, document, user_guid, created)

    n_passages = sum(len(d["passages"]) for d in documents)
    _el(project, "Description", text=f"Passages coded by textmine: {n_passages}, from documents: {len(documents)}.")
    return project


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.create_system = 3  # Unix, whatever machine writes it
    if name.endswith("/"):
        info.external_attr = (0o40755 << 16) | 0x10
    else:
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
    return info


def project_to_qdpx(project: ET.Element, documents: list[dict]) -> bytes:
    """The zip archive: ``project.qde`` then ``sources/`` with each document's text as UTF-8."""
    ET.indent(project)
    xml = ET.tostring(project, encoding="unicode")
    qde = f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}\n'.encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_zip_info(PROJECT_FILE), qde)
        archive.writestr(_zip_info(f"{SOURCES_FOLDER}/"), b"")
        for document in documents:
            name = f"{SOURCES_FOLDER}/{guid('source', document['file'])}.txt"
            archive.writestr(_zip_info(name), document["text"].encode("utf-8"))
    return buffer.getvalue()


def passages_to_qdpx(passages: list[dict], title: str = "textmine export", user: str = "textmine") -> bytes:
    """The bytes of a REFI-QDA project file (``.qdpx``) holding the passages and their labels.

    ``passages`` are dicts as in ``passages.parquet``; those of one document come
    in reading order. The same passages give the same bytes. Raises ``BadInput``
    for an unknown label, a repeated passage id, a date that is not YYYY-MM-DD or
    passages of one file that disagree on its metadata.

    >>> import io, zipfile
    >>> data = passages_to_qdpx([{"id": "p1", "file": "a.pdf", "text": "The LGA should revisit.", "page": 1,
    ...                           "themes": [], "factors": ["monitoring"], "stage": None,
    ...                           "recommendation": True, "audience": "lga"}])
    >>> sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())[:2]
    ['project.qde', 'sources/']
    """
    documents = passages_to_documents(passages)
    return project_to_qdpx(project_element(documents, title, user), documents)
