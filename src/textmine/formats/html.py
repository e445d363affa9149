"""Read saved web pages (.html, .htm) into the same blocks as PDFs: the main content only.

A council's committee or minutes page is a document wrapped in a website. lxml
parses the page; our rules find the document and drop the site around it
(``bench/html_readers.py`` measured these rules against trafilatura on pages
made by ``formats.write``: see the README):

- the document is the page's ``<main>`` (or ``role="main"``, a single
  ``<article>``, an element with id ``content`` or ``main``), else ``<body>``;
- dropped everywhere: scripts, styles, forms, buttons, navigation, hidden
  elements, and elements whose id, class or role mark a cookie banner,
  breadcrumbs, a skip link, sharing links, a site header or footer or a sidebar;
  outside an ``<article>``, ``<header>``, ``<footer>`` and ``<aside>`` too;
- ``h1``-``h6`` are headings of that level; each ``li`` is a list item; a table
  gives one block per cell at its grid position (``rowspan``/``colspan``
  resolved), with ``th`` cells (else the first row and column) as headers; a
  ``blockquote`` or an ``aside`` kept inside the document is ``boxed``; every
  other block of text (``p``, ``div``, ...) is a paragraph.

Every block is on page 1: a web page has no pages.

The text encoding comes from a byte-order mark or the page's own declaration,
else it must be UTF-8; anything else is refused with a message, never guessed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UnreadableDocument
from ..extract import Block, assign_sections

HEADINGS = {f"h{n}": n for n in range(1, 7)}
DROPPED_TAGS = {"script", "style", "noscript", "template", "form", "button", "nav", "iframe", "svg", "select",
                "input", "textarea", "label", "object", "embed", "canvas", "dialog", "menu"}
SITE_TAGS = {"header", "footer", "aside"}  # dropped outside an article
DROPPED_ROLES = {"navigation", "search", "banner", "contentinfo", "complementary", "dialog", "alertdialog"}
DROPPED_HINT = re.compile(
    r"cookie|consent|gdpr|breadcrumb|skip|share|social|sidebar|site-?header|site-?footer|masthead|"
    r"\bnav|menu|promo|advert|feedback|related|back-?to-?top",
    re.I,
)
BLOCK_TAGS = {"p", "div", "section", "article", "main", "body", "header", "footer", "aside", "blockquote", "pre",
              "address", "figure", "figcaption", "dl", "dt", "dd", "ul", "ol", "details", "summary", "fieldset",
              "center", "caption", "hr", "legend"}
BOXED_TAGS = {"blockquote", "aside"}
DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.I)
# The WHATWG encoding standard reads these labels as windows-1252, as browsers do.
WINDOWS_1252 = {"latin-1", "iso8859-1", "ascii"}


def decode_page(data: bytes, name: str) -> str:
    """The text of a saved page, in the encoding its byte-order mark or declaration names, else UTF-8.

    >>> decode_page(b'<meta charset="windows-1252"><p>caf\\xe9', "a.html")[-4:]
    'café'
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    match = DECLARED.search(data[:4096])
    label = (match.group(1) or match.group(2)).decode("ascii") if match else None
    if label is not None:
        try:
            codec = codecs.lookup(label).name
        except LookupError:
            raise UnreadableDocument(
                f"{name} declares a text encoding textmine does not know ({label!r}): save the page again as UTF-8"
            ) from None
        codec = "cp1252" if codec in WINDOWS_1252 else codec
    else:
        codec = "utf-8"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        said = f"is not valid {label}" if label else "is not UTF-8 and does not say which text encoding it uses"
        raise UnreadableDocument(
            f"{name} {said} (byte {data[exc.start]:#04x} at offset {exc.start}): save the page again as UTF-8"
        ) from None


def _hint(el) -> str:
    return " ".join(el.get(a, "") for a in ("id", "class"))


def _hidden(el) -> bool:
    style = re.sub(r"\s+", "", el.get("style", "")).lower()
    return el.get("hidden") is not None or el.get("aria-hidden") == "true" or "display:none" in style


def find_main(root):
    """The element that holds the page's document."""
    for path in ("//main", "//*[@role='main']", "//article", "//*[@id='content']", "//*[@id='main']"):
        found = root.xpath(path)
        if len(found) == 1 or (found and path != "//article"):
            return found[0]
    body = root.find("body")
    return body if body is not None else root


def drop_boilerplate(main) -> None:
    """Remove the site around the document from ``main`` (in place)."""
    doomed = []
    for el in main.iter():
        if not isinstance(el.tag, str):
            doomed.append(el)  # comments and processing instructions
            continue
        tag = el.tag.lower()
        in_article = any(a.tag in ("article", "main") for a in el.iterancestors()) or tag == "article"
        if (
            tag in DROPPED_TAGS
            or (tag in SITE_TAGS and not in_article and el is not main)
            or el.get("role") in DROPPED_ROLES
            or (el is not main and DROPPED_HINT.search(_hint(el)))
            or _hidden(el)
        ):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text, which belongs to the parent


def inline_text(el, skip: frozenset = frozenset()) -> str:
    """All the text inside ``el``, single-spaced, leaving out the subtrees whose tag is in ``skip``."""
    parts: list[str] = []

    def walk(node) -> None:
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str) and child.tag not in skip:
                if child.tag == "br":
                    parts.append(" ")
                walk(child)
                if child.tag in BLOCK_TAGS or child.tag in HEADINGS or child.tag in ("li", "td", "th", "tr"):
                    parts.append(" ")
            parts.append(child.tail or "")

    walk(el)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


@dataclass
class _Walker:
    blocks: list[Block] = field(default_factory=list)
    tables: int = 0
    buffer: list[str] = field(default_factory=list)

    def flush(self, boxed: bool) -> None:
        text = re.sub(r"\s+", " ", "".join(self.buffer)).strip()
        self.buffer.clear()
        if text:
            self.blocks.append(Block(1, "paragraph", text, boxed=boxed))

    def walk(self, el, boxed: bool = False) -> None:
        tag = el.tag
        if tag in HEADINGS:
            self.flush(boxed)
            text = inline_text(el)
            if text:
                kind, level = ("paragraph", None) if boxed else ("heading", HEADINGS[tag])
                self.blocks.append(Block(1, kind, text, level=level, boxed=boxed))
            return
        if tag == "li":
            self.flush(boxed)
            text = inline_text(el, frozenset({"ul", "ol", "table"}))
            if text:
                self.blocks.append(Block(1, "bullet", text, boxed=boxed))
            for child in el:
                if child.tag in ("ul", "ol", "table"):
                    self.walk(child, boxed)
            return
        if tag == "table":
            self.flush(boxed)
            self.table(el, boxed)
            return
        if tag == "br":
            self.buffer.append(" ")
            return
        block = tag in BLOCK_TAGS
        inner_boxed = boxed or tag in BOXED_TAGS
        if block:
            self.flush(boxed)
        self.buffer.append(el.text or "")
        for child in el:
            if isinstance(child.tag, str):
                self.walk(child, inner_boxed)
            self.buffer.append(child.tail or "")
        if block:
            self.flush(inner_boxed)

    def table(self, table, boxed: bool) -> None:
        """One block per cell (per list item in a cell), spans resolved, ``th`` cells as headers."""
        index = self.tables
        self.tables += 1
        rows = [tr for tr in table.iter("tr") if _nearest_table(tr) is table]
        caption = table.find("caption")
        if caption is not None and inline_text(caption):
            self.blocks.append(Block(1, "paragraph", inline_text(caption), boxed=boxed))
        grid: dict[tuple[int, int], object] = {}
        origins: list[tuple[int, int, object]] = []
        for r, tr in enumerate(rows):
            c = 0
            for cell in (x for x in tr if x.tag in ("td", "th")):
                while (r, c) in grid:
                    c += 1
                span, down = _span(cell.get("colspan")), _span(cell.get("rowspan"))
                for dr in range(down):
                    for dc in range(span):
                        grid[(r + dr, c + dc)] = cell
                origins.append((r, c, cell))
                c += span
        header_rows = [r for r, tr in enumerate(rows) if tr.getparent().tag == "thead"
                       or all(x.tag == "th" for x in tr if x.tag in ("td", "th"))]
        heads = header_rows or [0]

        def at(r: int, c: int) -> str:
            cell = grid.get((r, c))
            return inline_text(cell) if cell is not None else ""

        for r, c, cell in origins:
            col_header = None
            if r not in heads:
                names = list(dict.fromkeys(t for t in (at(h, c) for h in heads) if t))
                col_header = " / ".join(names) or None
            row_header = None
            if c > 0:
                row_th = [k for k in range(c) if getattr(grid.get((r, k)), "tag", None) == "th"]
                row_header = at(r, row_th[0] if row_th and r not in header_rows else 0) or None
            for text in _cell_texts(cell):
                self.blocks.append(Block(1, "table_cell", text, table=index, row=r, col=c,
                                         row_header=row_header, col_header=col_header, boxed=boxed))


def _nearest_table(el):
    return next((a for a in el.iterancestors() if a.tag == "table"), None)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def _cell_texts(cell) -> list[str]:
    """A cell's text: each list item apart, the rest of its text as one block."""
    items = [inline_text(li, frozenset({"ul", "ol"})) for li in cell.iter("li")]
    rest = inline_text(cell, frozenset({"ul", "ol"}))
    return [t for t in ([rest] if rest else []) + items if t]


def read_html(path: Path) -> list[Block]:
    """The blocks of the main content of a saved web page, with heading paths as sections.

    Raises
    ------
    UnreadableDocument
        When the file is not a web page, or its text encoding is unknown.
    """
    import lxml.html
    from lxml.etree import ParserError

    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableDocument(f"{path.name} is empty (0 bytes of text)")
    if data.startswith(b"%PDF-"):
        raise UnreadableDocument(f"{path.name} is a PDF, not a web page: rename it to .pdf")
    if data.startswith(b"PK\x03\x04"):
        raise UnreadableDocument(f"{path.name} is a zip archive (a Word file?), not a web page")
    text = decode_page(data, path.name)
    if "\x00" in text:
        raise UnreadableDocument(f"{path.name} is not a web page (it holds binary data)")
    try:
        root = lxml.html.document_fromstring(text)
    except (ParserError, ValueError) as exc:
        raise UnreadableDocument(f"{path.name} could not be parsed as HTML ({exc})") from exc
    main = find_main(root)
    drop_boilerplate(main)
    walker = _Walker()
    walker.walk(main)
    walker.flush(False)
    return assign_sections(walker.blocks)
