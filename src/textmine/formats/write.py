"""Write documents in the sample markup as Word files, council web pages and scans.

The counterparts of ``textmine.typeset.render_pdf`` for the other formats textmine
reads: the sample corpus, the test fixtures and ``bench/fidelity.py`` make their
.docx, .html and scanned PDFs with these, so every one can be rebuilt from text.

- ``source_to_docx``: python-docx, with Word's own styles (Title, Heading N, List
  Bullet), tables with a repeated header row, two-column sections and a running
  header and footer.
- ``source_to_web_page``: a page of a council's democracy site: skip link, cookie
  banner, site header and navigation, breadcrumbs, the document in ``<main>``, a
  sidebar of related links and a footer.
- ``pdf_to_scan``: each page rendered to a greyscale image (pypdfium2), turned a
  little, speckled, and saved back as an image-only PDF (Pillow), as a scanner
  would.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..typeset import Element, Source

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _set_columns(section, count: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    cols = section._sectPr.find(qn("w:cols"))
    if cols is None:
        cols = OxmlElement("w:cols")
        section._sectPr.append(cols)
    cols.set(qn("w:num"), str(count))
    cols.set(qn("w:space"), "425")


def _page_field(paragraph) -> None:
    from docx.oxml import parse_xml

    paragraph.add_run("Page ")
    paragraph._p.append(parse_xml(f'<w:fldSimple xmlns:w="{W_NS}" w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))


def _mark_header_row(row) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _docx_elements(document, elements: list[Element]) -> None:
    for element in elements:
        if element.kind == "heading":
            document.add_heading(element.text, element.level)
        elif element.kind == "paragraph":
            document.add_paragraph(element.text)
        elif element.kind == "bullet":
            document.add_paragraph(element.text, style="List Bullet")
        elif element.kind == "table":
            width = max(len(row) for row in element.rows)
            table = document.add_table(rows=len(element.rows), cols=width)
            table.style = "Table Grid"
            for r, row in enumerate(element.rows):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
            _mark_header_row(table.rows[0])
        elif element.kind == "columns":
            from docx.enum.section import WD_SECTION

            _set_columns(document.add_section(WD_SECTION.CONTINUOUS), 2)
            _docx_elements(document, element.children)
            _set_columns(document.add_section(WD_SECTION.CONTINUOUS), 1)


def source_to_docx(source: Source, path: Path):
    """Write ``source`` as a Word document at ``path``; return the python-docx ``Document`` (saved).

    The caller may add to the returned document and save it again.
    """
    import docx

    document = docx.Document()
    council = source.meta.get("council") or "Safeguarding children"
    header = document.sections[0].header.paragraphs[0]
    header.text = f"{council} | Safeguarding children peer review"
    _page_field(document.sections[0].footer.paragraphs[0])
    document.add_paragraph(source.meta.get("title") or "Peer review", style="Title")
    subtitle = " \u00b7 ".join(v for v in (source.meta.get("council"), source.meta.get("date")) if v)
    if subtitle:
        document.add_paragraph(subtitle, style="Subtitle")
    _docx_elements(document, source.elements)
    document.save(str(path))
    return document


def _html_elements(elements: list[Element], level_offset: int = 1) -> str:
    out: list[str] = []
    in_list = False
    for element in elements:
        if element.kind == "bullet":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{html.escape(element.text)}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if element.kind == "heading":
            tag = f"h{min(element.level + level_offset, 6)}"
            out.append(f"<{tag}>{html.escape(element.text)}</{tag}>")
        elif element.kind == "paragraph":
            out.append(f"<p>{html.escape(element.text)}</p>")
        elif element.kind == "table":
            head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in element.rows[0])
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in element.rows[1:]
            )
            out.append(f'<table class="mgTable"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
        elif element.kind == "columns":
            out.append(f'<div class="two-columns">{_html_elements(element.children, level_offset)}</div>')
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def source_to_web_page(source: Source, path: Path, encoding: str = "utf-8") -> Path:
    """Write ``source`` as a page of a council's democracy website at ``path``.

    The document sits in ``<main>`` (title ``h1``, source headings ``h2``-``h4``,
    bullets as lists, tables with ``th`` headers) among the boilerplate a real
    site has, which a reader must drop.
    """
    council = html.escape(source.meta.get("council") or "Borough")
    title = html.escape(source.meta.get("title") or "Committee document")
    date = html.escape(source.meta.get("date") or "")
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="{encoding}">
<title>{title} - {council} Council</title>
<link rel="stylesheet" href="/css/site.css">
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
</head>
<body>
<a class="skip-link" href="#content">Skip to main content</a>
<div id="cookie-banner" class="cookie-banner" role="region" aria-label="Cookies on this site">
<p>We use some essential cookies to make this website work. We would like to set additional cookies to understand how you use the site and to improve our services.</p>
<button type="button">Accept additional cookies</button> <button type="button">Reject additional cookies</button>
<a href="/cookies">View cookie policy</a>
</div>
<header class="site-header">
<a class="logo" href="/">{council} Council</a>
<form class="search" action="/search"><label for="q">Search this site</label><input id="q" name="q"><button>Search</button></form>
<nav class="main-nav" aria-label="Main menu"><ul>
<li><a href="/">Home</a></li><li><a href="/bins">Bins and recycling</a></li><li><a href="/council-tax">Council tax</a></li>
<li><a href="/schools">Schools and learning</a></li><li><a href="/social-care">Adult and children's social care</a></li>
<li><a href="/democracy">Council and democracy</a></li>
</ul></nav>
</header>
<nav class="breadcrumb" aria-label="Breadcrumb"><ol>
<li><a href="/">Home</a></li><li><a href="/democracy">Council and democracy</a></li>
<li><a href="/democracy/committees">Committees</a></li><li>{title}</li>
</ol></nav>
<div class="page">
<p class="meeting-date">Published {date}</p>
<main id="content">
<h1>{title}</h1>
{_html_elements(source.elements)}
</main>
<aside class="sidebar">
<h2>Related documents</h2>
<ul><li><a href="/agenda.pdf">Agenda frontsheet (PDF, 120KB)</a></li><li><a href="/pack.pdf">Reports pack (PDF, 2MB)</a></li>
<li><a href="/attendance">Attendance details</a></li></ul>
<h2>Contact us</h2>
<p>Democratic Services, Civic Centre. Telephone 0100 000 0000.</p>
</aside>
</div>
<footer class="site-footer">
<ul><li><a href="/accessibility">Accessibility statement</a></li><li><a href="/privacy">Privacy notice</a></li>
<li><a href="/contact">Contact the council</a></li><li><a href="/jobs">Jobs</a></li></ul>
<p>\u00a9 {council} Council. All rights reserved.</p>
</footer>
<script src="/js/site.js"></script>
</body>
</html>
"""
    Path(path).write_bytes(page.encode(encoding))
    return Path(path)


def pdf_to_scan(pdf: Path, path: Path, dpi: int = 300, skew: float = 0.25, noise: float = 0.0005,
                seed: int = 0) -> Path:
    """Write an image-only PDF of ``pdf``: each page rendered at ``dpi``, turned ``skew`` degrees, speckled.

    ``noise`` is the share of pixels flipped to a random grey, as dust and toner specks;
    the page images are stored as greyscale JPEG, as an office scanner does.
    """
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    rng = np.random.default_rng(seed)
    images = []
    document = pdfium.PdfDocument(str(pdf))
    try:
        for index in range(len(document)):
            page = document[index]
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            page.close()
            angle = skew * (1 if index % 2 == 0 else -0.7)
            image = image.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
            pixels = np.asarray(image, dtype=np.uint8).copy()
            specks = rng.random(pixels.shape) < noise
            pixels[specks] = rng.integers(0, 200, int(specks.sum()), dtype=np.uint8)
            images.append(Image.fromarray(pixels, mode="L"))
    finally:
        document.close()
    images[0].save(str(path), "PDF", resolution=dpi, save_all=True, append_images=images[1:], quality=75)
    return Path(path)
