"""Typeset documents written in the sample markup into report-like PDFs.

The sample corpus, the test fixtures and the benchmarks are all built with this
module, so that every PDF in the project can be rebuilt from text. The markup is
described in ``corpus/sources/FORMAT.md``: ``% key: value`` front matter, ``#``
headings, ``- `` bullets, ``|`` table rows and ``::: columns`` fences.

Each house style adds what real reports have: running headers that differ on odd
and even pages, page numbers in the footer, numbered headings, bullets,
ruled tables (a full grid or horizontal rules only) that repeat their header row
across a page break, hyphenated line ends and two-column pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

STYLES = ("formal", "plain", "modern")


@dataclass
class Element:
    """One piece of a source document: heading, paragraph, bullet, table or columns."""

    kind: str  # heading | paragraph | bullet | table | columns
    text: str = ""
    level: int = 0
    rows: list[list[str]] = field(default_factory=list)
    children: list["Element"] = field(default_factory=list)


@dataclass
class Source:
    """A parsed source document: its front matter and its elements in order."""

    meta: dict[str, str]
    elements: list[Element]


def parse_source(text: str) -> Source:
    """Parse sample markup into front matter and elements.

    >>> parse_source("% title: T\\n# 1. Intro\\nSome text\\nmore.\\n").elements[1].text
    'Some text more.'
    """
    meta: dict[str, str] = {}
    root: list[Element] = []
    target = root
    paragraph: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if paragraph:
            target.append(Element("paragraph", " ".join(paragraph)))
            paragraph.clear()
        if table:
            target.append(Element("table", rows=[row[:] for row in table]))
            table.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("% ") and ":" in line and not root and not paragraph:
            key, _, value = line[2:].partition(":")
            meta[key.strip()] = value.strip()
        elif line.startswith(":::"):
            flush()
            if target is root and "columns" in line:
                block = Element("columns")
                root.append(block)
                target = block.children
            else:
                target = root
        elif not line:
            flush()
        elif line.startswith("|"):
            if paragraph:
                flush()
            table.append([cell.strip() for cell in line.strip("|").split("|")])
        elif m := re.match(r"^(#{1,3})\s+(.*)$", line):
            flush()
            target.append(Element("heading", m.group(2).strip(), level=len(m.group(1))))
        elif line.startswith("- "):
            flush()
            target.append(Element("bullet", line[2:].strip()))
        else:
            if table:
                flush()
            paragraph.append(line)
    flush()
    return Source(meta, root)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _styles(style: str):
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
    from reportlab.lib.styles import ParagraphStyle

    serif = style == "formal"
    base_font = "Times-Roman" if serif else "Helvetica"
    bold_font = "Times-Bold" if serif else "Helvetica-Bold"
    size = {"formal": 11, "plain": 10, "modern": 10.5}[style]
    hyphen = {"hyphenationLang": "en_GB", "embeddedHyphenation": 1, "uriWasteReduce": 0.3}
    body = ParagraphStyle(
        "body",
        fontName=base_font,
        fontSize=size,
        leading=size * 1.3,
        alignment=TA_JUSTIFY if style != "plain" else TA_LEFT,
        spaceAfter=size * 0.7,
        **hyphen,
    )
    heading_colour = colors.HexColor("#1f4e79") if style == "modern" else colors.black
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
    header_cell = ParagraphStyle("header_cell", parent=cell, fontName=bold_font)
    title = ParagraphStyle(
        "title", fontName=bold_font, fontSize=size + 11, leading=(size + 11) * 1.2, spaceAfter=8,
        textColor=heading_colour,
    )
    subtitle = ParagraphStyle(
        "subtitle", fontName=base_font, fontSize=size + 2, leading=(size + 2) * 1.3, spaceAfter=18
    )
    return {
        "body": body,
        "headings": headings,
        "bullet": bullet,
        "cell": cell,
        "header_cell": header_cell,
        "title": title,
        "subtitle": subtitle,
        "bullet_glyph": "\u2013" if style == "modern" else "\u2022",
        "grid": style == "formal",
    }


def _table(rows: list[list[str]], styles: dict, width: float):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    ncols = max(len(row) for row in rows)
    rows = [row + [""] * (ncols - len(row)) for row in rows]
    lengths = [max(len(row[c]) for row in rows) for c in range(ncols)]
    weights = [min(max(n, 9), 60) for n in lengths]
    col_widths = [width * w / sum(weights) for w in weights]
    data = [
        [Paragraph(_escape(cell), styles["header_cell"] if r == 0 else styles["cell"]) for cell in row]
        for r, row in enumerate(rows)
    ]
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    if styles["grid"]:
        commands.append(("GRID", (0, 0), (-1, -1), 0.6, colors.black))
    else:
        commands += [
            ("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),
            ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
        ]
    return Table(data, colWidths=col_widths, repeatRows=1, style=TableStyle(commands))


def _flowables(elements: list[Element], styles: dict, width: float) -> list:
    from reportlab.platypus import Paragraph, Spacer

    out: list = []
    for element in elements:
        if element.kind == "heading":
            out.append(Paragraph(_escape(element.text), styles["headings"][element.level]))
        elif element.kind == "paragraph":
            out.append(Paragraph(_escape(element.text), styles["body"]))
        elif element.kind == "bullet":
            out.append(
                Paragraph(_escape(element.text), styles["bullet"], bulletText=styles["bullet_glyph"])
            )
        elif element.kind == "table":
            out += [_table(element.rows, styles, width), Spacer(1, 10)]
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
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
    )

    style = style or source.meta.get("style") or "formal"
    if style not in STYLES:
        raise ValueError(f"unknown house style {style!r}: use one of {', '.join(STYLES)}")
    styles = _styles(style)
    page_w, page_h = A4
    margin = 22 * mm
    gutter = 9 * mm
    body_w = page_w - 2 * margin
    body_h = page_h - 2 * margin
    council = source.meta.get("council") or "Safeguarding children"
    title = source.meta.get("title") or "Peer review"
    font = "Times-Roman" if style == "formal" else "Helvetica"

    def decorate(canvas, doc) -> None:
        number = canvas.getPageNumber()
        canvas.saveState()
        canvas.setFont(font, 8.5)
        top = page_h - 13 * mm
        if number > 1:
            # Odd and even pages carry different running headers, as printed reports do.
            if number % 2:
                canvas.drawRightString(page_w - margin, top, title)
            else:
                canvas.drawString(margin, top, f"{council} | Safeguarding children peer review")
            canvas.line(margin, top - 3, page_w - margin, top - 3)
        footer = {"formal": f"Page {number}", "plain": f"{number}", "modern": f"- {number} -"}[style]
        if style == "modern" and number % 2 == 0:
            canvas.drawString(margin, 12 * mm, footer)
        else:
            canvas.drawCentredString(page_w / 2, 12 * mm, footer)
        if style == "formal":
            canvas.drawRightString(page_w - margin, 12 * mm, "OFFICIAL")
        canvas.restoreState()

    single = Frame(margin, margin, body_w, body_h, id="single", leftPadding=0, rightPadding=0)
    col_w = (body_w - gutter) / 2
    left = Frame(margin, margin, col_w, body_h, id="left", leftPadding=0, rightPadding=0)
    right = Frame(margin + col_w + gutter, margin, col_w, body_h, id="right", leftPadding=0, rightPadding=0)
    doc = BaseDocTemplate(
        str(path),
        pagesize=A4,
        title=title,
        author=council,
        pageTemplates=[
            PageTemplate(id="single", frames=[single], onPage=decorate),
            PageTemplate(id="columns", frames=[left, right], onPage=decorate),
        ],
    )
    story: list = [Paragraph(_escape(title), styles["title"])]
    subtitle = " \u00b7 ".join(v for v in (source.meta.get("council"), source.meta.get("date")) if v)
    if subtitle:
        story.append(Paragraph(_escape(subtitle), styles["subtitle"]))
    for element in source.elements:
        if element.kind == "columns":
            story += [NextPageTemplate("columns"), PageBreak()]
            story += _flowables(element.children, styles, col_w)
            story += [NextPageTemplate("single"), PageBreak()]
        else:
            story += _flowables([element], styles, body_w)
    doc.build(story)
    return path


def source_text(source: Source) -> list[tuple[str, str]]:
    """The (kind, text) pieces a faithful extractor should recover, in reading order.

    Table rows give one ``table_cell`` piece per non-empty cell.
    """
    pieces: list[tuple[str, str]] = []
    for element in source.elements:
        children = element.children if element.kind == "columns" else [element]
        for child in children:
            if child.kind == "table":
                pieces += [("table_cell", cell) for row in child.rows for cell in row if cell]
            else:
                pieces.append((child.kind, child.text))
    return pieces


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

    def cell(tag: str, text: str) -> str:
        style = " style='border:1px solid #000'" if office else ""
        return f"<{tag}{style}>{html.escape(text)}</{tag}>"

    def part(e: Element) -> str:
        if e.kind == "heading":
            return f"<h{e.level}>{html.escape(e.text)}</h{e.level}>"
        if e.kind == "paragraph":
            return f"<p align='justify'>{html.escape(e.text)}</p>"
        if e.kind == "bullet":
            return f"<ul><li>{html.escape(e.text)}</li></ul>"
        if e.kind == "table":
            head = "<thead><tr>" + "".join(cell("th", c) for c in e.rows[0]) + "</tr></thead>"
            body = "".join("<tr>" + "".join(cell("td", c) for c in r) + "</tr>" for r in e.rows[1:])
            return f"<table cellpadding='4' cellspacing='0' width='100%'>{head}<tbody>{body}</tbody></table>"
        inner = "".join(part(c) for c in e.children)
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
