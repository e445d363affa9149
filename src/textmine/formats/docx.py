"""Read Word documents (.docx) into the same blocks as PDFs.

python-docx opens the package (and tells a damaged one apart) and gives the body
and the style sheet; the body is then walked with lxml, because python-docx's own
paragraph text leaves out tracked insertions, text boxes and content controls.

- Headings: the paragraph's outline level (its own or its style's, following
  ``basedOn``), else a ``Heading N`` style name. ``Title`` is level 1, as a PDF's
  title (its largest type) and a web page's ``h1`` are, so ``Heading 1`` (outline
  level 0) is level 2 and ``Subtitle`` level 2 too. Tables of contents (``TOC N``
  styles) are skipped.
- List items: paragraphs with numbering (their own or their style's) or a typed
  bullet glyph, one block each.
- Tables: one block per cell at its grid position, a cell merged across columns
  or rows given once at its top-left; rows marked "repeat as header row" (else
  the first row) give the column headers and the first column the row headers.
- Text boxes: their paragraphs follow the paragraph they are anchored in, marked
  ``boxed`` (the DrawingML box only, not its VML fallback copy).
- Tracked changes read as accepted: inserted text kept, deleted text dropped.
- Footnotes, endnotes, comments, headers and footers live in other parts of the
  package and are not read.
- Page: 1 plus the page breaks before the block. Word records where its own
  layout broke the pages (``w:lastRenderedPageBreak``); a file without those
  (written by another program) counts its hard page breaks.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UnreadableDocument
from ..extract import Block, assign_sections

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


# Elements whose text is not part of the paragraph as accepted and shown.
SKIPPED = {_w("del"), _w("moveFrom"), _w("pPr"), _w("rPr"), _w("txbxContent"), f"{{{MC}}}Fallback"}
TYPED_BULLETS = re.compile(r"^[\u2022\u25cf\u25aa\u25e6\u2013\uf0b7\uf0a7*-][\t ]+")
HEADING_NAME = re.compile(r"^heading ([1-9])$", re.I)


def open_docx(path: Path):
    """The python-docx ``Document`` of ``path``, or an ``UnreadableDocument`` naming the problem."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    path = Path(path)
    head = path.read_bytes()[:8]
    if not head:
        raise UnreadableDocument(f"{path.name} is empty (0 bytes)")
    if head.startswith(b"%PDF-"):
        raise UnreadableDocument(f"{path.name} is a PDF, not a Word document: rename it to .pdf")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableDocument(
            f"{path.name} is not a .docx: it is an old Word 97-2003 file or a password-protected one; "
            "open it in Word and save it as an unprotected .docx"
        )
    if not head.startswith(b"PK"):
        raise UnreadableDocument(f"{path.name} is not a Word document (it starts with {head[:5]!r})")
    if not zipfile.is_zipfile(path):
        raise UnreadableDocument(f"{path.name} is damaged (not a complete zip archive): copy it again from its source")
    try:
        return docx.Document(str(path))
    except zipfile.BadZipFile as exc:
        raise UnreadableDocument(f"{path.name} is damaged ({exc}): copy it again from its source") from exc
    except (KeyError, ValueError, PackageNotFoundError, XMLSyntaxError) as exc:
        raise UnreadableDocument(f"{path.name} could not be read as a Word document ({type(exc).__name__}: {exc})") from exc


@dataclass
class _Style:
    name: str
    outline: int | None  # 0-8 for headings, 9 for body text, None when not set
    numbered: bool | None  # None when not set


def _styles(document) -> dict[str, _Style]:
    """Paragraph styles by id, with outline level and numbering resolved through ``basedOn``."""
    raw = {}
    for el in document.styles.element.findall(_w("style")):
        ppr = el.find(_w("pPr"))
        outline = ppr.find(_w("outlineLvl")) if ppr is not None else None
        num = ppr.find(f"{_w('numPr')}/{_w('numId')}") if ppr is not None else None
        name = el.find(_w("name"))
        based = el.find(_w("basedOn"))
        raw[el.get(_w("styleId"))] = (
            name.get(_w("val")) if name is not None else "",
            int(outline.get(_w("val"))) if outline is not None else None,
            num.get(_w("val")) != "0" if num is not None else None,
            based.get(_w("val")) if based is not None else None,
        )
    resolved: dict[str, _Style] = {}
    for style_id, (name, outline, numbered, based) in raw.items():
        seen = {style_id}
        while based in raw and based not in seen and (outline is None or numbered is None):
            seen.add(based)
            _, b_outline, b_numbered, next_based = raw[based]
            outline = b_outline if outline is None else outline
            numbered = b_numbered if numbered is None else numbered
            based = next_based
        resolved[style_id] = _Style(name, outline, numbered)
    return resolved


def paragraph_text(p) -> str:
    """The text of a ``w:p`` as accepted: insertions kept, deletions, text boxes and hidden runs left out."""
    parts: list[str] = []

    def walk(element) -> None:
        for child in element:
            tag = child.tag
            if tag in SKIPPED:
                continue
            if tag == _w("r"):
                rpr = child.find(_w("rPr"))
                if rpr is not None and rpr.find(_w("vanish")) is not None:
                    continue
            if tag == _w("t"):
                parts.append(child.text or "")
            elif tag in (_w("tab"), _w("br"), _w("cr")):
                parts.append(" ")
            elif tag == _w("noBreakHyphen"):
                parts.append("-")
            else:
                walk(child)

    walk(p)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _text_boxes(p) -> list:
    """The ``w:txbxContent`` elements anchored in a paragraph, without the VML fallback copies."""
    boxes = []
    for box in p.iter(_w("txbxContent")):
        ancestors = {a.tag for a in box.iterancestors()}
        if f"{{{MC}}}Fallback" not in ancestors:
            boxes.append(box)
    return boxes


@dataclass
class _Walker:
    """Walks a document body in order, keeping the page count and the table count."""

    styles: dict[str, _Style]
    rendered_breaks: bool
    page: int = 1
    tables: int = 0
    blocks: list[Block] = field(default_factory=list)

    def body(self, container, boxed: bool = False) -> None:
        for child in container:
            if child.tag == _w("p"):
                self.paragraph(child, boxed)
            elif child.tag == _w("tbl"):
                self.blocks += self.table(child, boxed)
            elif child.tag in (_w("sdt"), _w("customXml"), _w("ins")):
                content = child.find(_w("sdtContent"))
                self.body(content if content is not None else child, boxed)

    def paragraph(self, p, boxed: bool) -> None:
        before, after = self.page_breaks(p)
        self.page += before
        block = self.paragraph_block(p, boxed)
        if block is not None:
            self.blocks.append(block)
        for box in _text_boxes(p):
            self.body(box, boxed=True)
        self.page += after

    def paragraph_block(self, p, boxed: bool) -> Block | None:
        text = paragraph_text(p)
        if not text:
            return None
        kind, level = self.paragraph_kind(p, text)
        if kind is None:
            return None
        if kind == "bullet":
            text = TYPED_BULLETS.sub("", text)
        if boxed and kind == "heading":  # a box's heading does not head the running text
            kind, level = "paragraph", None
        return Block(self.page, kind, text, level=level, boxed=boxed)

    def paragraph_kind(self, p, text: str) -> tuple[str | None, int | None]:
        ppr = p.find(_w("pPr"))
        style_el = ppr.find(_w("pStyle")) if ppr is not None else None
        style = self.styles.get(style_el.get(_w("val")) if style_el is not None else "Normal") or _Style("", None, None)
        own_outline = ppr.find(_w("outlineLvl")) if ppr is not None else None
        own_num = ppr.find(f"{_w('numPr')}/{_w('numId')}") if ppr is not None else None
        outline = int(own_outline.get(_w("val"))) if own_outline is not None else style.outline
        numbered = (own_num.get(_w("val")) != "0") if own_num is not None else bool(style.numbered)
        name = style.name.lower()
        if name.startswith("toc"):
            return None, None
        if name == "title":
            return "heading", 1
        if name == "subtitle":
            return "heading", 2
        if outline is not None and outline < 9:
            return "heading", outline + 2
        if outline is None and (m := HEADING_NAME.match(name)):
            return "heading", int(m.group(1)) + 1
        if numbered or TYPED_BULLETS.match(text):
            return "bullet", None
        return "paragraph", None

    def page_breaks(self, p) -> tuple[int, int]:
        """Page breaks in a paragraph before its first text, and after it."""
        before = after = 0
        seen_text = False
        for el in p.iter(_w("t"), _w("br"), _w("lastRenderedPageBreak"), _w("pageBreakBefore")):
            if el.tag == _w("t"):
                seen_text = seen_text or bool((el.text or "").strip())
                continue
            if self.rendered_breaks:
                hit = el.tag == _w("lastRenderedPageBreak")
            elif el.tag == _w("br"):
                hit = el.get(_w("type")) == "page"
            elif el.tag == _w("pageBreakBefore"):
                hit = el.get(_w("val"), "true") not in ("0", "false")
            else:
                hit = False
            if hit:
                if seen_text:
                    after += 1
                else:
                    before += 1
        return before, after

    def table(self, tbl, boxed: bool) -> list[Block]:
        """One block per cell (per list item within a cell), merged cells resolved, headers set."""
        index = self.tables
        self.tables += 1
        grid: dict[tuple[int, int], tuple[int, int]] = {}  # position -> origin of the cell covering it
        cells: dict[tuple[int, int], list] = {}  # origin -> its w:tc elements (more when merged down)
        header_rows: list[int] = []
        rows = [tr for tr in tbl.findall(_w("tr")) if tr.find(f"{_w('trPr')}/{_w('del')}") is None]
        for r, tr in enumerate(rows):
            trpr = tr.find(_w("trPr"))
            header = trpr.find(_w("tblHeader")) if trpr is not None else None
            if header is not None and header.get(_w("val"), "true") not in ("0", "false"):
                header_rows.append(r)
            before = trpr.find(_w("gridBefore")) if trpr is not None else None
            c = int(before.get(_w("val"))) if before is not None else 0
            for tc in tr.findall(_w("tc")):
                tcpr = tc.find(_w("tcPr"))
                span_el = tcpr.find(_w("gridSpan")) if tcpr is not None else None
                span = int(span_el.get(_w("val"))) if span_el is not None else 1
                vmerge = tcpr.find(_w("vMerge")) if tcpr is not None else None
                above = grid.get((r - 1, c))
                if vmerge is not None and vmerge.get(_w("val"), "continue") == "continue" and above is not None:
                    origin = above
                    cells[origin].append(tc)
                else:
                    origin = (r, c)
                    cells[origin] = [tc]
                for k in range(span):
                    grid[(r, c + k)] = origin
                c += span
        texts = {origin: self.cell_texts(tcs) for origin, tcs in cells.items()}
        joined = {origin: " ".join(t for t, _ in parts) for origin, parts in texts.items()}
        heads = header_rows or [0]

        def at(r: int, c: int) -> str:
            origin = grid.get((r, c))
            return joined.get(origin, "") if origin is not None else ""

        blocks = []
        for (r, c), parts in texts.items():
            col_header = None
            if r not in heads:
                names = list(dict.fromkeys(t for t in (at(h, c) for h in heads) if t))
                col_header = " / ".join(names) or None
            row_header = (at(r, 0) or None) if c > 0 else None
            for text, _ in parts:
                blocks.append(Block(self.page, "table_cell", text, table=index, row=r, col=c,
                                    row_header=row_header, col_header=col_header, boxed=boxed))
        return blocks

    def cell_texts(self, tcs: list) -> list[tuple[str, bool]]:
        """The texts of a cell: each list item apart, runs of other paragraphs joined."""
        parts: list[tuple[str, bool]] = []
        for tc in tcs:
            for p in tc.iter(_w("p")):
                if any(a.tag == f"{{{MC}}}Fallback" for a in p.iterancestors()):
                    continue
                text = paragraph_text(p)
                if not text:
                    continue
                kind, _ = self.paragraph_kind(p, text)
                if kind == "bullet":
                    parts.append((TYPED_BULLETS.sub("", text), True))
                elif parts and not parts[-1][1]:
                    parts[-1] = (f"{parts[-1][0]} {text}", False)
                else:
                    parts.append((text, False))
        return parts


def read_docx(path: Path) -> list[Block]:
    """The blocks of a Word document in reading order, with heading paths as sections.

    Raises
    ------
    UnreadableDocument
        When the file is not a .docx that can be opened.
    """
    document = open_docx(path)
    body = document.element.body
    rendered = next(body.iter(_w("lastRenderedPageBreak")), None) is not None
    walker = _Walker(_styles(document), rendered)
    walker.body(body)
    return assign_sections(walker.blocks)
