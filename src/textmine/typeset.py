"""Typeset documents written in the sample markup into report-like PDFs.

The sample corpus, the test fixtures and the benchmarks are all built with this
module, so that every PDF in the project can be rebuilt from text. The markup is
described in ``corpus/sources/FORMAT.md``: ``% key: value`` front matter, ``#``
headings, ``- `` bullets, ``|`` table rows (a cell may hold ``* `` bullets),
``::: columns``, ``::: box`` and ``::: quote`` fences and ``[^1]`` footnotes.

Each house style adds what real reports have: running headers that differ on odd
and even pages, page numbers in the footer, numbered headings, bullets,
ruled tables (a full grid or horizontal rules only) that repeat their header row
across a page and column break, hyphenated line ends, two-column pages, shaded
boxes, pull quotes and footnotes at the foot of the page. The council styles
(``formal``, ``plain``, ``modern``) are one column with two-column sections; the
research-report styles the LGA commissions are ``grid`` (one column, grid-ruled
tables, a sans face with fi and fl ligatures, dingbat bullets in tables) and
``columns`` (two columns throughout, Times, mirrored margins, tables ruled by
horizontal lines only that sit inside one column, pull quotes set inside the
paragraph they quote).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

COUNCIL_STYLES = ("formal", "plain", "modern")
RESEARCH_STYLES = ("grid", "columns")
STYLES = COUNCIL_STYLES + RESEARCH_STYLES
FENCES = ("columns", "box", "quote")
FOOTNOTE = re.compile(r"^\[\^(\w+)\]:\s*(.+)$")
MARKER = re.compile(r"\[\^(\w+)\]")
CELL_BULLET = re.compile(r"(?:^|\s)\*\s+")
WIDE_TABLE = 3  # a table of more columns than this spans the page in a two-column style


@dataclass
class Element:
    """One piece of a source document: heading, paragraph, bullet, table, or a fence around others."""

    kind: str  # heading | paragraph | bullet | table | columns | box | quote
    text: str = ""
    level: int = 0
    rows: list[list[str]] = field(default_factory=list)
    children: list["Element"] = field(default_factory=list)


@dataclass
class Source:
    """A parsed source document: its front matter, its elements in order, and its footnotes."""

    meta: dict[str, str]
    elements: list[Element]
    footnotes: dict[str, str] = field(default_factory=dict)


def parse_source(text: str) -> Source:
    """Parse sample markup into front matter, elements and footnotes.

    >>> parse_source("% title: T\\n# 1. Intro\\nSome text\\nmore.\\n").elements[1].text
    'Some text more.'
    >>> [e.kind for e in parse_source("::: box\\nIn a box.\\n:::\\nAfter it.\\n").elements]
    ['box', 'paragraph']
    """
    meta: dict[str, str] = {}
    footnotes: dict[str, str] = {}
    root: list[Element] = []
    stack = [root]  # the element lists that open fences write into, innermost last
    paragraph: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if paragraph:
            stack[-1].append(Element("paragraph", " ".join(paragraph)))
            paragraph.clear()
        if table:
            stack[-1].append(Element("table", rows=[row[:] for row in table]))
            table.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("% ") and ":" in line and not root and not paragraph:
            key, _, value = line[2:].partition(":")
            meta[key.strip()] = value.strip()
        elif line.startswith(":::"):
            flush()
            name = line[3:].strip()
            if name:
                if name not in FENCES:
                    raise ValueError(f"unknown fence '::: {name}': use one of {', '.join(FENCES)}")
                fence = Element(name)
                stack[-1].append(fence)
                stack.append(fence.children)
            elif len(stack) > 1:
                stack.pop()
        elif m := FOOTNOTE.match(line):
            flush()
            footnotes[m.group(1)] = m.group(2).strip()
        elif not line:
            flush()
        elif line.startswith("|"):
            if paragraph:
                flush()
            table.append([cell.strip() for cell in line.strip("|").split("|")])
        elif m := re.match(r"^(#{1,3})\s+(.*)$", line):
            flush()
            stack[-1].append(Element("heading", m.group(2).strip(), level=len(m.group(1))))
        elif line.startswith("- "):
            flush()
            stack[-1].append(Element("bullet", line[2:].strip()))
        else:
            if table:
                flush()
            paragraph.append(line)
    flush()
    return Source(meta, root, footnotes)


def cell_items(cell: str) -> list[str]:
    """The bullet items of a table cell written ``* first * second``, or the cell as one item.

    >>> cell_items("* Agree a plan. * Share it.")
    ['Agree a plan.', 'Share it.']
    >>> cell_items("Working together")
    ['Working together']
    """
    if not cell.startswith("* "):
        return [cell] if cell else []
    return [item.strip() for item in CELL_BULLET.split(cell) if item.strip()]


def plain_text(text: str) -> str:
    """Text as a reader sees it: footnote markers (``[^1]``) taken out."""
    return MARKER.sub("", text)


def _walk(elements: list[Element]):
    """Elements in reading order, fences opened (a pull quote yields its paragraphs)."""
    for element in elements:
        if element.kind in FENCES:
            yield from _walk(element.children)
        else:
            yield element


def _boxed(elements: list[Element], inside: bool = False):
    """(element, whether it is in a box or pull quote) in reading order."""
    for element in elements:
        if element.kind in FENCES:
            yield from _boxed(element.children, inside or element.kind in ("box", "quote"))
        else:
            yield element, inside


def source_text(source: Source) -> list[tuple[str, str]]:
    """The (kind, text) pieces a faithful extractor should recover, in reading order.

    Table rows give one ``table_cell`` piece per non-empty cell, and one per bullet
    of a cell that holds bullets.
    """
    pieces: list[tuple[str, str]] = []
    for element in _walk(source.elements):
        if element.kind == "table":
            pieces += [("table_cell", plain_text(item)) for row in element.rows for cell in row for item in cell_items(cell)]
        else:
            pieces.append((element.kind, plain_text(element.text)))
    return pieces


def boxed_text(source: Source) -> list[str]:
    """The texts set apart in boxes and pull quotes, in reading order."""
    return [plain_text(e.text) for e, inside in _boxed(source.elements) if inside and e.kind in ("paragraph", "bullet")]


def table_cells(source: Source) -> list[tuple[str, str | None, str | None]]:
    """Every table cell piece as (text, row header, column header), in reading order.

    The headers follow ``segment.assign_table_headers``: the row header is the
    row's first cell (for cells after the first column), the column header the
    header row's cell (for rows after the header row); a header cell holding
    bullets reads as its items joined by ``"; "``.
    """
    out: list[tuple[str, str | None, str | None]] = []
    for element in _walk(source.elements):
        if element.kind != "table":
            continue
        joined = [[("; ".join(plain_text(i) for i in cell_items(cell)) or None) for cell in row] for row in element.rows]
        for r, row in enumerate(element.rows):
            for c, cell in enumerate(row):
                row_header = joined[r][0] if c > 0 else None
                col_header = joined[0][c] if r > 0 and c < len(joined[0]) else None
                out += [(plain_text(item), row_header, col_header) for item in cell_items(cell)]
    return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vera_fonts() -> tuple[str, str, str]:
    """Register the Bitstream Vera faces that ship with reportlab (they have fi and fl ligatures)."""
    import reportlab
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(reportlab.__file__).parent / "fonts"
    faces = {"Vera": "Vera.ttf", "Vera-Bold": "VeraBd.ttf", "Vera-Italic": "VeraIt.ttf", "Vera-BoldItalic": "VeraBI.ttf"}
    for name, file in faces.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    for bold, italic, name in ((0, 0, "Vera"), (1, 0, "Vera-Bold"), (0, 1, "Vera-Italic"), (1, 1, "Vera-BoldItalic")):
        addMapping("Vera", bold, italic, name)
    return "Vera", "Vera-Bold", "Vera-Italic"


def _styles(style: str):
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
    from reportlab.lib.styles import ParagraphStyle

    if style == "grid":
        base_font, bold_font, italic_font = _vera_fonts()
    elif style in ("formal", "columns"):
        base_font, bold_font, italic_font = "Times-Roman", "Times-Bold", "Times-Italic"
    else:
        base_font, bold_font, italic_font = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
    size = {"formal": 11, "plain": 10, "modern": 10.5, "grid": 9.5, "columns": 10}[style]
    hyphen = {"hyphenationLang": "en_GB", "embeddedHyphenation": 1, "uriWasteReduce": 0.3}
    body = ParagraphStyle(
        "body",
        fontName=base_font,
        fontSize=size,
        leading=size * (1.25 if style == "columns" else 1.3),
        alignment=TA_JUSTIFY if style != "plain" else TA_LEFT,
        spaceAfter=size * 0.7,
        **hyphen,
    )
    heading_colour = colors.HexColor("#1f4e79") if style in ("modern", "grid") else colors.black
    headings = {
        level: ParagraphStyle(
            f"h{level}",
            fontName=bold_font,
            fontSize=size + {1: 6, 2: 3, 3: 1}[level],
            leading=(size + {1: 6, 2: 3, 3: 1}[level]) * 1.25,
            spaceBefore=size * (1.2 if level == 1 else 0.8),
            spaceAfter=size * 0.5,
            textColor=heading_colour,
            keepWithNext=1,
        )
        for level in (1, 2, 3)
    }
    bullet = ParagraphStyle(
        "bullet",
        parent=body,
        leftIndent=size * 1.8,
        bulletIndent=size * 0.6,
        spaceAfter=size * 0.35,
    )
    cell = ParagraphStyle(
        "cell", fontName=base_font, fontSize=size - 1.5, leading=(size - 1.5) * 1.25, **hyphen
    )
    cell_bullet = ParagraphStyle(
        "cell_bullet", parent=cell, leftIndent=size * 1.0, bulletIndent=0, spaceAfter=size * 0.25,
        bulletFontName="ZapfDingbats" if style == "grid" else base_font, bulletFontSize=(size - 1.5) * 0.8,
    )
    header_cell = ParagraphStyle("header_cell", parent=cell, fontName=bold_font)
    title = ParagraphStyle(
        "title", fontName=bold_font, fontSize=size + 11, leading=(size + 11) * 1.2, spaceAfter=8,
        textColor=heading_colour,
    )
    subtitle = ParagraphStyle(
        "subtitle", fontName=base_font, fontSize=size + 2, leading=(size + 2) * 1.3, spaceAfter=18
    )
    box_heading = ParagraphStyle("box_heading", parent=body, fontName=bold_font, spaceAfter=size * 0.4,
                                 alignment=TA_LEFT)
    quote = ParagraphStyle("quote", parent=body, fontName=italic_font, fontSize=size + 2.5,
                           leading=(size + 2.5) * 1.25, alignment=TA_LEFT, spaceAfter=0,
                           textColor=colors.HexColor("#2d4f6c"))
    footnote = ParagraphStyle("footnote", fontName=base_font, fontSize=7.5, leading=9)
    return {
        "body": body,
        "headings": headings,
        "bullet": bullet,
        "cell": cell,
        "cell_bullet": cell_bullet,
        "header_cell": header_cell,
        "title": title,
        "subtitle": subtitle,
        "box_heading": box_heading,
        "quote": quote,
        "footnote": footnote,
        "font": base_font,
        "bullet_glyph": "\u2013" if style == "modern" else "\u2022",
        "cell_glyph": "l" if style == "grid" else "\u2022",  # ZapfDingbats "l" is a filled circle
        "rules": "grid" if style in ("formal", "grid") else "rows",
        "shade_header": style != "columns",
        "ligatures": style == "grid",
        "two_columns": style == "columns",
        "quote_inside": style == "columns",
        "research": style in RESEARCH_STYLES,
    }


class _Markup:
    """Turns source text into reportlab paragraph markup for one house style.

    Footnote markers become superscripts, and the notes they point to are queued
    for the foot of the page the paragraph starts on; research styles set a
    non-breaking space between a number and its unit, and ``grid`` sets fi and fl
    ligatures.
    """

    def __init__(self, source: Source, styles: dict) -> None:
        self.footnotes = source.footnotes
        self.styles = styles

    def __call__(self, text: str) -> str:
        text = _escape(text)
        if self.styles["research"]:
            text = re.sub(r"(\d) (?=[A-Za-z%])", "\\1\u00a0", text)
        if self.styles["ligatures"]:
            text = text.replace("fi", "\ufb01").replace("fl", "\ufb02")
        return MARKER.sub(lambda m: f"<super>{m.group(1)}</super>", text)

    def notes(self, text: str) -> list[str]:
        return [f"{key} {self.footnotes[key]}" for key in MARKER.findall(text) if key in self.footnotes]


@lru_cache(maxsize=1)
def _noted_paragraph_class():
    """A reportlab paragraph that, when drawn, hands its footnotes to the page being drawn.

    Made on first use, since reportlab is imported only when a PDF is made.
    """
    from reportlab.platypus import Paragraph

    class NotedParagraph(Paragraph):
        notes: list[str] = []
        sink: list[str] = []  # the notes of the page being drawn

        def draw(self):
            self.sink.extend(self.notes)
            super().draw()

        def split(self, width, height):
            parts = super().split(width, height)
            for i, part in enumerate(parts):  # the notes go with the part drawn first
                part.notes, part.sink = (self.notes if i == 0 else []), self.sink
            return parts

    return NotedParagraph


def _noted_paragraph(text: str, style, markup: _Markup, pending: list[str], **kwargs):
    """A paragraph of ``text`` that queues its footnotes (if any) in ``pending`` when it is drawn."""
    from reportlab.platypus import Paragraph

    notes = markup.notes(text)
    if not notes:
        return Paragraph(markup(text), style, **kwargs)
    paragraph = _noted_paragraph_class()(markup(text), style, **kwargs)
    paragraph.notes, paragraph.sink = notes, pending
    return paragraph


def _cell(text: str, r: int, styles: dict, markup: _Markup):
    from reportlab.platypus import Paragraph

    if r == 0:
        return Paragraph(markup(text), styles["header_cell"])
    if not text.startswith("* "):
        return Paragraph(markup(text), styles["cell"])
    return [Paragraph(markup(item), styles["cell_bullet"], bulletText=styles["cell_glyph"]) for item in cell_items(text)]


def _table(rows: list[list[str]], styles: dict, width: float, markup: _Markup):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    ncols = max(len(row) for row in rows)
    rows = [row + [""] * (ncols - len(row)) for row in rows]
    lengths = [max(len(row[c]) for row in rows) for c in range(ncols)]
    weights = [min(max(n, 9), 60) for n in lengths]
    col_widths = [width * w / sum(weights) for w in weights]
    if styles["research"]:
        col_widths = _fit_longest_words(rows, col_widths, styles)
    data = [[_cell(cell, r, styles, markup) for cell in row] for r, row in enumerate(rows)]
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    if styles["rules"] == "grid":
        commands.append(("GRID", (0, 0), (-1, -1), 0.6, colors.black))
        if styles["research"]:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde7f0")))
    elif styles["shade_header"]:
        commands += [
            ("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),
            ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
        ]
    else:
        # Rules only: above and below the header row and under the table; between body rows
        # too when cells hold bullets, which need the rows set apart.
        bullets = any(cell.startswith("* ") for row in rows for cell in row)
        commands += [
            ("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1) if bullets else (0, -1), (-1, -1), 0.5 if bullets else 1.0, colors.grey if bullets else colors.black),
            ("LEFTPADDING", (0, 0), (0, -1), 0),
        ]
    return Table(data, colWidths=col_widths, repeatRows=1, style=TableStyle(commands))


def _fit_longest_words(rows: list[list[str]], widths: list[float], styles: dict) -> list[float]:
    """Widen columns too narrow for their longest word (measured in bold), narrowing the others."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    style = styles["header_cell"]
    need = [
        max((stringWidth(w, style.fontName, style.fontSize) for row in rows for w in plain_text(row[c]).split()), default=0.0)
        + 10 + (styles["cell_bullet"].leftIndent if any(row[c].startswith("* ") for row in rows) else 0)
        for c in range(len(widths))
    ]
    short = sum(max(n - w, 0.0) for n, w in zip(need, widths))
    spare = sum(max(w - n, 0.0) for n, w in zip(need, widths))
    if short == 0:
        return widths
    if spare < short:  # no room for every longest word: share the width out by need
        return [n * sum(widths) / sum(need) for n in need]
    return [n if w < n else w - (w - n) * short / spare for n, w in zip(need, widths)]


def _box(children: list[Element], styles: dict, width: float, markup: _Markup, pending: list[str]):
    """A shaded key-findings box: one cell with a tinted background around its own flowables."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    inner: list = []
    for child in children:
        if child.kind == "heading":
            inner.append(Paragraph(markup(child.text), styles["box_heading"]))
        else:
            inner += _flowables([child], styles, width - 16, markup, pending)
    return Table([[inner]], colWidths=[width], style=TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#e6eef6")),
        ("TOPPADDING", (0, 0), (-1, -1), 8), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
    ]))


def _quote(children: list[Element], styles: dict, width: float, markup: _Markup):
    """A pull quote: larger italic type between two short rules, set in from both sides."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    text = " ".join(child.text for child in children)
    return Table([[Paragraph(markup(text), styles["quote"])]], colWidths=[width * 0.9], style=TableStyle([
        ("LINEABOVE", (0, 0), (-1, 0), 1.2, colors.HexColor("#2d4f6c")),
        ("LINEBELOW", (0, -1), (-1, -1), 1.2, colors.HexColor("#2d4f6c")),
        ("TOPPADDING", (0, 0), (-1, -1), 7), ("BOTTOMPADDING", (0, 0), (-1, -1), 9),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]))


def _split_for_quote(text: str) -> tuple[str, str] | None:
    """Cut a paragraph about halfway, mid-sentence, where a pull quote is set into it."""
    words = text.split()
    for i in range(len(words) // 2, len(words) - 3):
        if not re.search(r"[.!?:;,]$", words[i - 1]) and words[i][:1].islower():
            return " ".join(words[:i]), " ".join(words[i:])
    return None


def _flowables(elements: list[Element], styles: dict, width: float, markup: _Markup, pending: list[str]) -> list:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import NextPageTemplate, PageBreak, Paragraph, Spacer

    out: list = []
    for i, element in enumerate(elements):
        following = elements[i + 1] if i + 1 < len(elements) else None
        if element.kind == "heading":
            out.append(Paragraph(markup(element.text), styles["headings"][element.level]))
        elif element.kind == "paragraph":
            halves = _split_for_quote(element.text) if styles["quote_inside"] and following and following.kind == "quote" else None
            if halves is None:
                out.append(_noted_paragraph(element.text, styles["body"], markup, pending))
            else:  # the quote that follows is set inside this paragraph, which runs on below it
                first = ParagraphStyle("body_run_on", parent=styles["body"], spaceAfter=6, justifyLastLine=1)
                out.append(_noted_paragraph(halves[0], first, markup, pending))
                out.append(_quote(following.children, styles, width, markup))
                out.append(Spacer(1, 6))
                out.append(_noted_paragraph(halves[1], styles["body"], markup, pending))
        elif element.kind == "quote":
            placed = styles["quote_inside"] and i > 0 and elements[i - 1].kind == "paragraph" \
                and _split_for_quote(elements[i - 1].text) is not None
            if not placed:
                out += [_quote(element.children, styles, width, markup), Spacer(1, 10)]
        elif element.kind == "bullet":
            out.append(_noted_paragraph(element.text, styles["bullet"], markup, pending, bulletText=styles["bullet_glyph"]))
        elif element.kind == "table" and styles["two_columns"] and max(map(len, element.rows)) > WIDE_TABLE:
            # Too wide for a column: the table gets a page of its own width, then the columns resume.
            out += [NextPageTemplate("single"), PageBreak(), _table(element.rows, styles, styles["body_width"], markup),
                    NextPageTemplate("columns"), PageBreak()]
        elif element.kind == "table":
            out += [_table(element.rows, styles, width, markup), Spacer(1, 10)]
        elif element.kind == "box":
            out += [_box(element.children, styles, width, markup, pending), Spacer(1, 10)]
        elif element.kind == "columns":  # already in two columns: the fence changes nothing
            out += _flowables(element.children, styles, width, markup, pending)
    return out


def render_pdf(source: Source, path: Path, style: str | None = None) -> Path:
    """Typeset ``source`` into a PDF at ``path`` and return the path.

    The style comes from ``style``, else the source's ``% style:`` line, else ``formal``.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        FrameBreak,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
    )

    style = style or source.meta.get("style") or "formal"
    if style not in STYLES:
        raise ValueError(f"unknown house style {style!r}: use one of {', '.join(STYLES)}")
    styles = _styles(style)
    markup = _Markup(source, styles)
    pending: list[str] = []  # footnotes of the page being drawn
    page_w, page_h = A4
    research = styles["research"]
    margin = 22 * mm
    inner, outer = (25 * mm, 19 * mm) if research else (margin, margin)
    bottom = 38 * mm if research or source.footnotes else margin  # room for footnotes above the footer
    gutter = 9 * mm
    body_w = page_w - inner - outer
    body_h = page_h - margin - bottom
    styles["body_width"] = body_w
    council = source.meta.get("council") or "Safeguarding children"
    title = source.meta.get("title") or "Peer review"
    font = styles["font"]

    def decorate(canvas, doc) -> None:
        number = canvas.getPageNumber()
        for frame in doc.pageTemplate.frames:  # mirrored margins: the inner margin is the wider
            frame._x1 = odd_x[frame.id] - (0 if number % 2 else inner - outer)
            frame._geom()
        left_x = inner if number % 2 else outer
        right_x = page_w - (outer if number % 2 else inner)
        canvas.saveState()
        canvas.setFont(font, 8.5)
        top = page_h - 13 * mm
        if number > 1:
            # Odd and even pages carry different running headers, as printed reports do.
            if number % 2:
                canvas.drawRightString(right_x, top, title)
            elif research:
                canvas.drawString(left_x, top, "Local Government Association | Research report")
            else:
                canvas.drawString(left_x, top, f"{council} | Safeguarding children peer review")
            canvas.line(left_x, top - 3, right_x, top - 3)
        if research:
            (canvas.drawRightString if number % 2 else canvas.drawString)(right_x if number % 2 else left_x, 12 * mm, f"{number}")
        else:
            footer = {"formal": f"Page {number}", "plain": f"{number}", "modern": f"- {number} -"}[style]
            if style == "modern" and number % 2 == 0:
                canvas.drawString(margin, 12 * mm, footer)
            else:
                canvas.drawCentredString(page_w / 2, 12 * mm, footer)
            if style == "formal":
                canvas.drawRightString(page_w - margin, 12 * mm, "OFFICIAL")
        canvas.restoreState()

    def foot(canvas, doc) -> None:
        """Draw the footnotes of this page under a short rule, above the footer."""
        if not pending:
            return
        left_x = inner if canvas.getPageNumber() % 2 else outer
        y = bottom - 3 * mm
        canvas.saveState()
        canvas.setLineWidth(0.5)
        canvas.line(left_x, y, left_x + 40 * mm, y)
        for note in pending:
            paragraph = Paragraph(markup(note), styles["footnote"])
            _, height = paragraph.wrap(body_w, 30 * mm)
            y -= height + 1.5
            paragraph.drawOn(canvas, left_x, y)
        canvas.restoreState()
        pending.clear()

    col_w = (body_w - gutter) / 2
    title_h = 48 * mm if styles["two_columns"] else 0.0

    def frame(name: str, x: float, width: float, height: float, y: float = bottom) -> Frame:
        return Frame(x, y, width, height, id=name, leftPadding=0, rightPadding=0)

    odd_x = {"single": inner, "title": inner, "left": inner, "right": inner + col_w + gutter}
    templates = [
        PageTemplate(id="single", frames=[frame("single", inner, body_w, body_h)], onPage=decorate, onPageEnd=foot),
        PageTemplate(id="columns", frames=[frame("left", inner, col_w, body_h), frame("right", odd_x["right"], col_w, body_h)],
                     onPage=decorate, onPageEnd=foot),
    ]
    if styles["two_columns"]:  # the first page: the title across the top, two columns below
        templates.insert(0, PageTemplate(id="first", onPage=decorate, onPageEnd=foot, frames=[
            frame("title", inner, body_w, title_h, bottom + body_h - title_h),
            frame("left", inner, col_w, body_h - title_h), frame("right", odd_x["right"], col_w, body_h - title_h),
        ]))
    doc = BaseDocTemplate(str(path), pagesize=A4, title=title, author=council, pageTemplates=templates)
    story: list = [Paragraph(markup(title), styles["title"])]
    subtitle = " \u00b7 ".join(v for v in (source.meta.get("council") or source.meta.get("publisher"), source.meta.get("date")) if v)
    if subtitle:
        story.append(Paragraph(markup(subtitle), styles["subtitle"]))
    if styles["two_columns"]:
        story += [NextPageTemplate("columns"), FrameBreak()]
        story += _flowables(source.elements, styles, col_w, markup, pending)
    else:
        for element in source.elements:
            if element.kind == "columns":
                story += [NextPageTemplate("columns"), PageBreak()]
                story += _flowables(element.children, styles, col_w, markup, pending)
                story += [NextPageTemplate("single"), PageBreak()]
            else:
                story += _flowables([element], styles, body_w, markup, pending)
    doc.build(story)
    return path


def source_to_html(source: Source, target: str = "office") -> str:
    """The source as HTML for another layout engine: a second and third way to make test PDFs.

    ``target="office"`` is for LibreOffice Writer's HTML import, which keeps
    ``<multicol>`` columns, ``title="header"``/``"footer"`` blocks (with a page-number
    field) and bordered tables; ``target="browser"`` is for Chromium's print to PDF
    (CSS columns, horizontal rules drawn cell by cell, its own running header and
    footer). Each lays pages out its own way, as word processors and browsers do.
    """
    import html

    office = target == "office"

    def text(s: str) -> str:
        return MARKER.sub(lambda m: f"<sup>{m.group(1)}</sup>", html.escape(s))

    def cell(tag: str, content: str) -> str:
        style = " style='border:1px solid #000'" if office else ""
        items = cell_items(content)
        inner = "<ul>" + "".join(f"<li>{text(i)}</li>" for i in items) + "</ul>" if content.startswith("* ") else text(content)
        return f"<{tag}{style}>{inner}</{tag}>"

    def part(e: Element) -> str:
        if e.kind == "heading":
            return f"<h{e.level}>{text(e.text)}</h{e.level}>"
        if e.kind == "paragraph":
            return f"<p align='justify'>{text(e.text)}</p>"
        if e.kind == "bullet":
            return f"<ul><li>{text(e.text)}</li></ul>"
        if e.kind == "table":
            head = "<thead><tr>" + "".join(cell("th", c) for c in e.rows[0]) + "</tr></thead>"
            body = "".join("<tr>" + "".join(cell("td", c) for c in r) + "</tr>" for r in e.rows[1:])
            return f"<table cellpadding='4' cellspacing='0' width='100%'>{head}<tbody>{body}</tbody></table>"
        inner = "".join(part(c) for c in e.children)
        if e.kind == "box":
            return (f"<table cellpadding='8' cellspacing='0' width='100%'><tr><td bgcolor='#e6eef6'>{inner}</td></tr></table>"
                    if office else f"<div class='box'>{inner}</div>")
        if e.kind == "quote":
            return f"<blockquote><i>{inner}</i></blockquote>" if office else f"<blockquote>{inner}</blockquote>"
        return f"<multicol cols='2' gutter='20'>{inner}</multicol>" if office else f"<div class='columns'>{inner}</div>"

    council = html.escape(source.meta.get("council") or "Safeguarding children")
    title = html.escape(source.meta.get("title") or "")
    body = "".join(part(e) for e in source.elements)
    if office:
        header = f"<div title='header'><p align='right'><font size='1'>{council} peer review</font></p></div>"
        footer = ("<div title='footer'><p align='center'><font size='1'>Page "
                  "<sdfield type=PAGE subtype=RANDOM format=PAGE>1</sdfield></font></p></div>")
        return f"<html><head><meta charset='utf-8'></head><body>{header}<h1>{title}</h1>{body}{footer}</body></html>"
    css = (
        "body{font-family:serif;font-size:11pt;text-align:justify;hyphens:auto}"
        "table{border-collapse:collapse;font-size:9pt}td,th{border-top:1px solid #000;border-bottom:1px solid #000;"
        "vertical-align:top;text-align:left}tr{break-inside:avoid}.columns{column-count:2;column-gap:2em}"
        ".box{background:#e6eef6;padding:8pt;break-inside:avoid}blockquote{font-style:italic;font-size:13pt}"
    )
    return (f"<html lang='en-GB'><head><meta charset='utf-8'><title>{council}: {title}</title><style>{css}</style>"
            f"</head><body><h1>{title}</h1>{body}</body></html>")


TOOLS = {  # program names, and the Debian package that provides them
    "chromium": (("chromium", "chromium-browser"), "chromium"),
    "libreoffice": (("soffice", "libreoffice"), "libreoffice-writer-nogui"),
}


def find_tool(tool: str) -> str:
    """The path of an external layout program (``chromium`` or ``libreoffice``), or a clear error."""
    import shutil

    names, package = TOOLS[tool]
    for name in names:
        if path := shutil.which(name):
            return path
    raise FileNotFoundError(f"{tool} is not installed: apt-get install {package}")


def render_browser_pdfs(sources: dict[str, Source], folder: Path) -> dict[str, Path]:
    """Typeset sources (by name) into PDFs with headless Chromium's print to PDF."""
    import subprocess
    import tempfile

    chromium = find_tool("chromium")
    Path(folder).mkdir(parents=True, exist_ok=True)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, source in sources.items():
            page = Path(tmp) / f"{name}.html"
            page.write_text(source_to_html(source, "browser"), encoding="utf-8")
            out[name] = Path(folder) / f"{name}.pdf"
            subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out[name]}", page.as_uri()],
                check=True, capture_output=True, timeout=120,
            )
    return out


def render_office_pdfs(sources: dict[str, Source], folder: Path) -> dict[str, Path]:
    """Typeset sources (by name) into PDFs with LibreOffice (``soffice`` must be installed)."""
    import subprocess
    import tempfile

    soffice = find_tool("libreoffice")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pages = []
        for name, source in sources.items():
            page = Path(tmp) / f"{name}.html"
            page.write_text(source_to_html(source), encoding="utf-8")
            pages.append(str(page))
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--infilter=HTML (StarWriter)",
             "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(folder), *pages],
            check=True, capture_output=True, timeout=300,
        )
    return {name: folder / f"{name}.pdf" for name in sources}
