"""Extract PDF text as blocks in reading order.

pdfplumber parses each page once; from its words and ruling lines the page is
turned into blocks: headings, paragraphs, bullet items and table cells, in
reading order, with running headers, footers and page numbers removed,
hyphenated line ends joined and paragraphs that run over a page or column break
joined back together.

The work is a chain of small functions over plain data::

    pdf --read_pages--> PageData (words, rulings)
        --remove_running_lines--> body words
        --page_to_items--> lines and tables per region (columns resolved)
        --items_to_blocks--> Blocks with heading path

Only ``read_pages`` touches pdfplumber; everything after it is pure.
"""

from __future__ import annotations

import hashlib
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from .errors import EncryptedPDF, NoTextLayer, TextmineError, UnreadablePDF



@lru_cache(maxsize=1)
def extractor_version() -> str:
    """A fingerprint of this module's code: cached extractions are reused only by the same extractor."""
    return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:12]

BULLET_GLYPHS = set("\u2022\u25cf\u25aa\u25a0\u25e6\u2023\u2219\u00b7\u2013\u2014-*\u27a2\u25ba\u2043\u2713\u25c6\u25cb\uf0b7\uf0a7\uf0d8")
TERMINAL = re.compile(r"[.!?:;][\"'\u201d\u2019)\]]*$")
ENUMERATOR = re.compile(r"^(\(?[0-9]{1,2}[.)]|\(?[a-z][.)]|\(?(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)[.)])$")
NUMBERED_PARA = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,2}){1,3}\.?$")
PAGE_NUMBER = re.compile(r"^[-\u2013\u2014\s]*(page\s*)?#+(\s*(of|/)\s*#+)?[-\u2013\u2014\s]*$", re.I)
KEEP_HYPHEN_PREFIXES = {
    "multi", "self", "well", "cross", "non", "follow", "long", "short", "high", "low",
    "co", "part", "full", "front", "child", "family", "young", "decision", "evidence",
    "peer", "case", "sign", "step", "one", "two", "three", "four", "five", "six", "twelve",
    "looked", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "middle", "hands",
}


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class Table:
    """A ruled table on one page: cell texts by row and column, and its box."""

    bbox: tuple[float, float, float, float]
    rows: list[list[str]]


@dataclass
class PageData:
    number: int
    width: float
    height: float
    words: list[Word]
    tables: list[Table]
    has_images: bool = False


@dataclass
class Line:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def size(self) -> float:
        return round(statistics.median(w.size for w in self.words), 1)

    @property
    def bold(self) -> bool:
        return all(w.bold for w in self.words)


@dataclass
class Block:
    """One unit of a page in reading order."""

    page: int
    kind: str  # heading | paragraph | bullet | table_cell
    text: str
    section: str = ""
    level: int | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None
    # Context of a table cell: the text of its row's first cell and of its column's header.
    row_header: str | None = None
    col_header: str | None = None
    # Set apart from the running text: a shaded or framed box, a pull quote.
    boxed: bool = False
    # Read by OCR from a page image, with the engine's mean word confidence (0-100).
    ocr: bool = False
    ocr_confidence: float | None = None
    # Layout facts used to re-join paragraphs across breaks; not part of the output.
    ends_full: bool = field(default=False, repr=False, compare=False)
    starts_indented: bool = field(default=False, repr=False, compare=False)

    def to_dict(self) -> dict:
        skip = {"ends_full", "starts_indented"}
        return {k: v for k, v in asdict(self).items() if v is not None and v is not False and k not in skip}


@dataclass
class Region:
    """A vertical band of a page: one column of lines, or a table."""

    top: float
    column: int  # 0 full width / left, 1 right
    lines: list[Line] = field(default_factory=list)
    table: Table | None = None
    left: float = 0.0
    right: float = 0.0


# --------------------------------------------------------------------------- reading


def _is_bold(fontname: str) -> bool:
    name = fontname.split("+")[-1].lower()
    return any(tag in name for tag in ("bold", "black", "heavy", "semibold", ",b"))


def _clean(text: str) -> str:
    text = text.replace("(cid:127)", "\u2022")
    text = re.sub(r"\(cid:\d+\)", "", text)
    text = unicodedata.normalize("NFKC", text) if any(ord(c) > 0xFB00 for c in text) else text
    return text.replace("\u00ad", "")


ENGINES = ("auto", "pdfplumber")


def read_pages(path: Path, engine: str = "auto") -> Iterator[PageData]:
    """Parse each page of ``path`` once into words and tables, closing pages as it goes.

    pdfplumber opens the file (and names what is wrong with a bad one) and analyses
    every page that has ruling lines or boxes in its body, where tables may be. The
    pdfium (already a pdfplumber dependency) reads the same words and ruling lines
    several times faster; ``engine="auto"`` uses it for every page whose drawings are
    straight lines and boxes, and pdfplumber for the rest (curved drawings in the page
    body) and for files pdfium cannot open. ``engine="pdfplumber"`` uses pdfplumber
    for every page. Both give the same blocks (``tests/test_extract.py`` checks).

    Raises
    ------
    UnreadablePDF, EncryptedPDF
        When the file cannot be opened as a PDF.
    """
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    path = Path(path)
    if path.stat().st_size == 0:
        raise UnreadablePDF(f"{path.name} is empty (0 bytes)")
    try:
        pdf = pdfplumber.open(path)
        pages = pdf.pages
    except Exception as exc:  # pdfplumber wraps every pdfminer failure in PdfminerException
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect) or "password" in repr(cause).lower():
            raise EncryptedPDF(f"{path.name} is encrypted with a password: save an unprotected copy") from exc
        head = path.read_bytes()[:5]
        if type(cause).__name__ == "PSEOF":
            raise UnreadablePDF(f"{path.name} is truncated (the file ends early): copy it again from its source") from exc
        if head != b"%PDF-":
            raise UnreadablePDF(f"{path.name} is not a PDF (it starts with {head!r})") from exc
        raise UnreadablePDF(f"{path.name} could not be parsed as a PDF ({type(cause).__name__}: {cause})") from exc
    if engine not in ENGINES:
        raise ValueError(f"unknown extraction engine {engine!r}: use one of {', '.join(ENGINES)}")
    fast = _open_pdfium(path) if engine == "auto" else None
    with pdf:
        try:
            for index, page in enumerate(pages):
                fast_page = fast[index] if fast is not None and index < len(fast) else None
                try:
                    edges = pdfium_edges(fast_page) if fast_page is not None else None
                    if edges is not None:
                        yield pdfium_page_to_data(fast_page, page.page_number, edges)
                    else:
                        yield page_to_data(page)
                except TextmineError:
                    raise
                except Exception as exc:
                    raise UnreadablePDF(f"{path.name}: page {page.page_number} could not be read ({exc})") from exc
                finally:
                    page.close()
                    if fast_page is not None:
                        fast_page.close()
        finally:
            if fast is not None:
                fast.close()


def _open_pdfium(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except Exception:  # pdfplumber opened it; analyse every page with pdfplumber instead
        return None


def pdfium_edges(page) -> list[tuple] | None:
    """Ruling edges of a pdfium page as (orientation, x0, x1, top, bottom), like pdfplumber's.

    Every straight segment of every path (stroked rules, and the sides of filled
    boxes) becomes an edge. Returns None when a path in the page body has curves,
    which pdfplumber should then analyse.
    """
    import ctypes

    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    edges: list[tuple] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=4):
        m = obj.get_matrix()
        points: list[tuple[int, float, float, bool]] = []
        for i in range(pdfium_c.FPDFPath_CountSegments(obj.raw)):
            seg = pdfium_c.FPDFPath_GetPathSegment(obj.raw, i)
            kind = pdfium_c.FPDFPathSegment_GetType(seg)
            pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
            px = m.a * x.value + m.c * y.value + m.e
            py = height - (m.b * x.value + m.d * y.value + m.f)
            points.append((kind, px, py, bool(pdfium_c.FPDFPathSegment_GetClose(seg))))
        if any(kind == pdfium_c.FPDF_SEGMENT_BEZIERTO for kind, *_ in points):
            left, bottom, right, top = obj.get_bounds()
            if right - left > 30 and height * 0.06 < height - top and height - bottom < height * 0.94:
                return None
            continue
        start = None
        prev = None
        for kind, px, py, close in points:
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = prev = (px, py)
                continue
            if prev is not None:
                edges += _segment_edge(prev, (px, py))
            prev = (px, py)
            if close and start is not None:
                edges += _segment_edge(prev, start)
                prev = start
    return edges


def _segment_edge(a: tuple[float, float], b: tuple[float, float]) -> list[tuple]:
    (x0, y0), (x1, y1) = a, b
    if abs(y1 - y0) < 1.0 and abs(x1 - x0) >= 1.0:
        return [("h", min(x0, x1), max(x0, x1), (y0 + y1) / 2, (y0 + y1) / 2)]
    if abs(x1 - x0) < 1.0 and abs(y1 - y0) >= 1.0:
        return [("v", (x0 + x1) / 2, (x0 + x1) / 2, min(y0, y1), max(y0, y1))]
    return []


SEPARATORS = {" ", "\t", "\n", "\r", "\x00", "\ufffe"}


def pdfium_page_to_data(page, number: int, edges: list[tuple]) -> PageData:
    """Words (outside tables) and tables of a page, read with pdfium."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        height, width = page.get_height(), page.get_width()
        raw = textpage.raw
        box = pdfium_c.FS_RECTF()
        name = ctypes.create_string_buffer(128)
        flags = ctypes.c_int()
        words: list[Word] = []
        chars: list[tuple[str, float, float, float]] = []  # text, x0, x1, bottom
        size = 0.0
        bold = False

        def flush() -> None:
            if chars:
                text = _clean("".join(c[0] for c in chars))
                bottom = chars[0][3]
                if text.strip():
                    words.append(Word(text, chars[0][1], chars[-1][2], bottom - size, bottom, size, bold))
                chars.clear()

        for k in range(textpage.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(raw, k)
            char = "-" if code == 2 else chr(code)
            if char in SEPARATORS or pdfium_c.FPDFText_IsGenerated(raw, k) == 1:
                flush()
                continue
            pdfium_c.FPDFText_GetLooseCharBox(raw, k, box)
            x0, x1, bottom = box.left, box.right, height - box.bottom
            if chars and (x0 > chars[-1][2] + 3 or abs(bottom - chars[-1][3]) > 3 or x0 < chars[-1][1] - 1):
                flush()
            if not chars:
                size = round(pdfium_c.FPDFText_GetFontSize(raw, k), 1)
                pdfium_c.FPDFText_GetFontInfo(raw, k, name, 128, flags)
                bold = _is_bold(name.value.decode("latin-1")) or bool(flags.value & 0x40000)
            chars.append((char, x0, x1, bottom))
        flush()
        has_images = any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4))
        return words_to_page_data(number, width, height, words, edges, has_images)
    finally:
        textpage.close()


def page_to_data(page) -> PageData:
    """Words (outside tables) and tables of one pdfplumber page."""
    raw = page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False)
    words = [
        Word(_clean(w["text"]), w["x0"], w["x1"], w["top"], w["bottom"], round(w["size"], 1), _is_bold(w["fontname"]))
        for w in raw
        if w.get("upright", True)
    ]
    words = [w for w in words if w.text.strip()]
    edges = [(e["orientation"], e["x0"], e["x1"], e["top"], e["bottom"]) for e in page.edges]
    return words_to_page_data(page.page_number, page.width, page.height, words, edges, bool(page.images))


def words_to_page_data(number: int, width: float, height: float, words: list[Word], edges: list[tuple],
                       has_images: bool) -> PageData:
    """Find the tables among a page's words and rules; keep the other words as body text."""
    tables = find_tables(edges, words, height)
    inside = [t.bbox for t in tables]
    body = [w for w in words if not any(_in_box(w, box) for box in inside)]
    return PageData(number, width, height, body, tables, has_images)


def _in_box(w: Word, box: tuple[float, float, float, float]) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
    return box[0] - 1 <= cx <= box[2] + 1 and box[1] - 1 <= cy <= box[3] + 1


# --------------------------------------------------------------------------- tables


def find_tables(edges: list[tuple], words: list[Word], page_height: float) -> list[Table]:
    """Ruled tables from horizontal rules (a full grid, or rules between rows only).

    A table is a stack of at least three horizontal rules of the same extent; its
    columns come from vertical rules where there are any, else from the gaps that
    run down through the words of every row.
    """
    horizontal = [h for h in _join_segments([(x0, x1, top) for o, x0, x1, top, _ in edges if o == "h"]) if h[1] - h[0] > 40]
    vertical = [(x0, top, bottom) for o, x0, _, top, bottom in edges if o == "v" and bottom - top > 4]
    groups: dict[tuple[int, int], list[float]] = {}
    for x0, x1, top in horizontal:
        key = (round(x0 / 4), round(x1 / 4))
        groups.setdefault(key, []).append(top)
    tables = []
    for (kx0, kx1), tops in groups.items():
        gx0 = min(h[0] for h in horizontal if round(h[0] / 4) == kx0)
        gx1 = max(h[1] for h in horizontal if round(h[1] / 4) == kx1)
        ys = _drop_running_rules(_dedupe(sorted(tops), 2.0), gx0, gx1, words, page_height)
        for run in _chains(ys, max_gap=200.0):
            x0, x1 = gx0, gx1
            top, bottom = run[0], run[-1]
            verticals = [v[0] for v in vertical if x0 + 3 < v[0] < x1 - 3 and v[1] < bottom and v[2] > top]
            # Three rules make a table; two make one when ruled columns stand between them
            # (the last row of a grid table, carried over to a new page).
            if len(run) < 2 or (len(run) == 2 and not verticals):
                continue
            inner = [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and top < (w.top + w.bottom) / 2 < bottom]
            if not inner:
                continue
            separators = _dedupe(sorted(verticals), 2.0) if verticals else _column_gaps(inner, x0, x1)
            cols = [x0] + separators + [x1]
            rows = []
            for r_top, r_bottom in zip(run, run[1:]):
                row = []
                for c_left, c_right in zip(cols, cols[1:]):
                    cell = [
                        w for w in inner
                        if c_left <= (w.x0 + w.x1) / 2 < c_right and r_top < (w.top + w.bottom) / 2 < r_bottom
                    ]
                    row.append(lines_to_text(words_to_lines(cell)))
                rows.append(row)
            rows = [row for row in rows if any(row)]
            if rows:
                tables.append(Table((x0, top, x1, bottom), rows))
    return sorted(tables, key=lambda t: t.bbox[1])


def _join_segments(segments: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Join horizontal rules that continue one another (a browser draws a row's rule cell by cell)."""
    joined: list[list[float]] = []
    for x0, x1, y in sorted(segments, key=lambda s: (round(s[2] * 2), s[0])):
        last = joined[-1] if joined else None
        if last is not None and abs(last[2] - y) < 1.0 and x0 <= last[1] + 2.0:
            last[1] = max(last[1], x1)
        else:
            joined.append([x0, x1, y])
    return [(x0, x1, y) for x0, x1, y in joined]


def _drop_running_rules(ys: list[float], x0: float, x1: float, words: list[Word], page_height: float,
                        band: float = 0.1) -> list[float]:
    """Drop a rule under a running header (or over a footer) from a stack of rules.

    Only the topmost rule of a stack can underline a header: it lies in the top margin
    with text right above it and none right below it (a table's top rule has its first
    row right below). Likewise only the lowest rule can sit over a footer.
    """
    def hugged(y: float, above: bool) -> bool:
        return any(
            w.x1 > x0 and w.x0 < x1 and (y - 8 <= w.bottom <= y + 1 if above else y - 1 <= w.top <= y + 8)
            for w in words
        )

    if ys and ys[0] < page_height * band and hugged(ys[0], above=True) and not hugged(ys[0], above=False):
        ys = ys[1:]
    if ys and ys[-1] > page_height * (1 - band) and hugged(ys[-1], above=False) and not hugged(ys[-1], above=True):
        ys = ys[:-1]
    return ys


def _dedupe(values: list[float], tolerance: float) -> list[float]:
    out: list[float] = []
    for v in values:
        if not out or v - out[-1] > tolerance:
            out.append(v)
    return out


def _chains(ys: list[float], max_gap: float) -> list[list[float]]:
    runs: list[list[float]] = []
    for y in ys:
        if runs and y - runs[-1][-1] <= max_gap:
            runs[-1].append(y)
        else:
            runs.append([y])
    return runs


def _column_gaps(words: list[Word], x0: float, x1: float, min_gap: float = 4.0) -> list[float]:
    covered = sorted((w.x0, w.x1) for w in words)
    gaps, reach = [], x0
    for a, b in covered:
        if a - reach >= min_gap and reach > x0:
            gaps.append((reach + a) / 2)
        reach = max(reach, b)
    return gaps


# --------------------------------------------------------------------------- running lines


def _norm_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().lower()))


def remove_running_lines(pages: list[PageData], body_size: float, band: float = 0.1) -> list[PageData]:
    """Drop running headers, footers and page numbers.

    A line in the top or bottom ``band`` of the page is dropped when its text (digits
    folded) recurs on at least a third of the pages of the same parity, when it is
    only a page number, or when it is set smaller than the body text. Odd and even
    pages are counted apart, since printed reports often carry different headers.
    """
    def margin_lines(page: PageData) -> list[Line]:
        lines = words_to_lines(page.words)
        return [
            ln for ln in lines
            if ln.bottom < page.height * band or ln.top > page.height * (1 - band)
        ]

    keyed = [(page, [(_norm_key(ln.text), ln) for ln in margin_lines(page)]) for page in pages]
    counts: dict[int, Counter] = {0: Counter(), 1: Counter()}
    totals = Counter(page.number % 2 for page in pages)
    for page, lines in keyed:
        counts[page.number % 2].update({k for k, _ in lines})
    cleaned = []
    for page, lines in keyed:
        parity = page.number % 2
        drop = set()
        for key, ln in lines:
            recurring = totals[parity] >= 2 and counts[parity][key] >= max(2, totals[parity] / 3)
            small = ln.size < body_size - 0.5
            if recurring or small or PAGE_NUMBER.match(key):
                drop.update(id(w) for w in ln.words)
        words = [w for w in page.words if id(w) not in drop]
        cleaned.append(PageData(page.number, page.width, page.height, words, page.tables, page.has_images))
    return cleaned


# --------------------------------------------------------------------------- lines and columns


def words_to_lines(words: list[Word]) -> list[Line]:
    """Group words into lines by their vertical position, left to right."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (round(w.top), w.x0)):
        if lines:
            last = lines[-1]
            ref = last[0]
            if abs(w.top - ref.top) <= max(1.5, 0.35 * ref.size) or abs(w.bottom - ref.bottom) <= 1.0:
                last.append(w)
                continue
        lines.append([w])
    return [Line(sorted(ln, key=lambda w: w.x0)) for ln in lines]


def find_gutter(lines: list[Line], width: float) -> float | None:
    """The x of the gap between two columns of text, or None for a one-column page.

    A right column shows itself as at least three wide lines that start at the same
    x in the middle of the page; the left column as at least three wide lines that
    end before it. Both must be present.
    """
    starts = Counter(
        round(ln.x0 / 2) * 2 for ln in lines if width * 0.3 < ln.x0 < width * 0.7 and ln.x1 - ln.x0 > width * 0.2
    )
    for right_x, count in starts.most_common(3):
        if count < 3:
            break
        left = [ln for ln in lines if ln.x1 < right_x - 4 and ln.x0 < width * 0.3 and ln.x1 - ln.x0 > width * 0.2]
        if len(left) >= 3:
            return (max(ln.x1 for ln in left) + right_x) / 2
    # Lines of both columns may share a baseline: split them at wide gaps first.
    pieces = [Line(list(seg)) for ln in lines for seg in _split_at_gaps(ln)]
    if len(pieces) > len(lines):
        return find_gutter(pieces, width)
    return None


def _split_at_gaps(line: Line) -> list[list[Word]]:
    gap = max(8.0, 1.2 * line.size)
    groups: list[list[Word]] = []
    for w in line.words:
        if groups and w.x0 - groups[-1][-1].x1 < gap:
            groups[-1].append(w)
        else:
            groups.append([w])
    return groups


def page_to_regions(page: PageData) -> list[Region]:
    """Split a page into regions in reading order: full-width bands, columns, tables."""
    lines = words_to_lines(page.words)
    gutter = find_gutter(lines, page.width)
    line_items = _assign_columns(lines, gutter, page.width) if gutter is not None else [(-1, ln) for ln in lines]
    # Consecutive full-width lines form one band; a run of column lines forms one
    # band that is read left column first, then right column.
    bands: list[tuple[str, list[tuple[int, Line]]]] = []
    for column, ln in line_items:
        kind = "full" if column < 0 else "columns"
        if bands and bands[-1][0] == kind:
            bands[-1][1].append((column, ln))
        else:
            bands.append((kind, [(column, ln)]))
    regions: list[Region] = []
    for kind, items in bands:
        top = items[0][1].top
        if kind == "full":
            regions.append(Region(top, 0, [ln for _, ln in items]))
            continue
        for column in (0, 1):
            col_lines = [ln for c, ln in items if c == column]
            if col_lines:
                regions.append(Region(top, column, col_lines))
    regions = _insert_tables(regions, page.tables, gutter)
    for region in regions:
        if region.lines:
            region.left = min(ln.x0 for ln in region.lines)
            region.right = max(ln.x1 for ln in region.lines)
    return regions


def _assign_columns(lines: list[Line], gutter: float, width: float) -> list[tuple[int, Line]]:
    """Label each line -1 (crosses the gutter), 0 (left column) or 1 (right column).

    Lines that cross the gutter are cut at it first when the cut falls in a wide gap
    (a left and a right column line that share a baseline).
    """
    out: list[tuple[int, Line]] = []
    for ln in lines:
        left = [w for w in ln.words if w.x1 <= gutter]
        right = [w for w in ln.words if w.x0 >= gutter]
        if left and right and len(left) + len(right) == len(ln.words):
            gap = right[0].x0 - left[-1].x1
            if gap >= max(8.0, 1.2 * ln.size):
                out += [(0, Line(left)), (1, Line(right))]
                continue
        if not left and right and len(right) == len(ln.words):
            out.append((1, ln))
        elif left and not right and len(left) == len(ln.words):
            out.append((0, ln))
        else:
            out.append((-1, ln))
    # A short run of column lines between full-width lines is not a column layout.
    labelled: list[tuple[int, Line]] = []
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and out[j][0] >= 0:
            j += 1
        run = out[i:j]
        rights = [ln for c, ln in run if c == 1]
        lefts = [ln for c, ln in run if c == 0]
        wide = lambda ls: ls and statistics.median(l.x1 - l.x0 for l in ls) > width * 0.2  # noqa: E731
        if len(rights) >= 2 and len(lefts) >= 2 and wide(rights) and wide(lefts):
            # The last line of a full-width paragraph, just above the columns, still belongs to it.
            while run and run[0][0] == 0 and labelled and labelled[-1][0] == -1:
                prev = labelled[-1][1]
                if run[0][1].top - prev.top > 1.6 * prev.size or prev.x1 - prev.x0 < width * 0.6:
                    break
                labelled.append((-1, run.pop(0)[1]))
            labelled += run
            labelled += _after_balanced_columns(labelled, run)
        else:
            labelled += [(-1, ln) for _, ln in sorted(run, key=lambda t: (round(t[1].top), t[1].x0))]
        if j < len(out):
            labelled.append(out[j])
        i = j + 1
    # Re-join single-column lines that were split at the gutter.
    result: list[tuple[int, Line]] = []
    for c, ln in labelled:
        if c == -1 and result and result[-1][0] == -1 and abs(result[-1][1].top - ln.top) < 1.0:
            result[-1] = (-1, Line(result[-1][1].words + ln.words))
        else:
            result.append((c, ln))
    return result


def _after_balanced_columns(labelled: list[tuple[int, Line]], run: list[tuple[int, Line]]) -> list[tuple[int, Line]]:
    """Move lines under balanced columns (both ending level) out of the left column.

    A word processor or browser balances the columns of a section and sets what follows
    at full width below them; a short left-only line there (a heading, set apart by
    space or type size) is not part of the left column. Columns that are not balanced
    keep their lines.
    """
    rights = [ln for c, ln in run if c == 1]
    if not rights:
        return []
    right_end = max(ln.bottom for ln in rights)
    tail = [(c, ln) for c, ln in run if c == 0 and ln.top > right_end]
    if not tail:
        return []
    above = [ln for c, ln in run if c == 0 and ln.top <= right_end]
    size = rights[-1].size
    if not above or abs(max(ln.bottom for ln in above) - right_end) > 1.5 * size:
        return []
    gap = tail[0][1].top - max(ln.bottom for ln in above)
    if len(tail) > 2 or (gap < 1.3 * size and abs(tail[0][1].size - size) < 0.5):
        return []  # the left column simply goes on below the right one
    for item in tail:
        labelled.remove(item)
    return [(-1, ln) for _, ln in tail]


def _insert_tables(regions: list[Region], tables: list[Table], gutter: float | None) -> list[Region]:
    out = list(regions)
    for table in tables:
        x0, top, x1, _ = table.bbox
        column = 1 if gutter is not None and x0 >= gutter else 0
        region = Region(top, column, table=table)
        # Place the table before the first region of its column that starts below it;
        # split a text region that the table interrupts.
        placed = False
        for i, r in enumerate(out):
            if r.table is None and r.column == column and r.lines and r.lines[0].top < top < r.lines[-1].bottom:
                above = [ln for ln in r.lines if ln.top < top]
                below = [ln for ln in r.lines if ln.top >= top]
                out[i:i + 1] = [Region(r.top, column, above), region, Region(top + 0.1, column, below)]
                placed = True
                break
            if r.column >= column and r.top > top:
                out.insert(i, region)
                placed = True
                break
        if not placed:
            out.append(region)
    return [r for r in out if r.lines or r.table is not None]


# --------------------------------------------------------------------------- blocks


def join_hyphenated(first: str, second: str, vocabulary: Counter | None = None) -> str:
    """Join two lines, undoing a line-end hyphen where it split a word.

    >>> join_hyphenated("the account-", "ability of leaders")
    'the accountability of leaders'
    >>> join_hyphenated("a multi-", "agency group")
    'a multi-agency group'
    """
    if not first:
        return second
    if not second:
        return first
    m = re.search(r"([A-Za-z]+)-$", first)
    if m and second[:1].islower():
        head = m.group(1)
        tail = re.match(r"[A-Za-z]+", second)
        tail_word = tail.group(0) if tail else ""
        joined, hyphened = (head + tail_word).lower(), f"{head}-{tail_word}".lower()
        keep = head.lower() in KEEP_HYPHEN_PREFIXES
        if vocabulary:
            if vocabulary[hyphened] > vocabulary[joined]:
                keep = True
            elif vocabulary[joined] > vocabulary[hyphened]:
                keep = False
        return first + second if keep else first[:-1] + second
    if first.endswith(("-", "\u2013", "/")) and not first.endswith(" -"):
        return first + second
    return f"{first} {second}"


def lines_to_text(lines: Iterable[Line], vocabulary: Counter | None = None) -> str:
    text = ""
    for ln in lines:
        text = join_hyphenated(text, ln.text.strip(), vocabulary)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _Style:
    body_size: float
    body_bold: bool
    heading_levels: dict[tuple[float, bool], int]
    pitch: float = 0.0  # the usual distance between the tops of two body lines


def document_style(pages: list[PageData]) -> _Style:
    """The body font and the heading levels of a document, from its character sizes."""
    weights: Counter = Counter()
    for page in pages:
        for w in page.words:
            weights[(w.size, w.bold)] += len(w.text)
    if not weights:
        return _Style(10.0, False, {}, 13.0)
    (body_size, body_bold), _ = weights.most_common(1)[0]
    pitches: Counter = Counter()
    for page in pages:
        lines = [ln for ln in words_to_lines(page.words) if ln.size == body_size]
        for a, b in zip(lines, lines[1:]):
            if 0.8 * body_size < b.top - a.top < 2.5 * body_size:
                pitches[round((b.top - a.top) * 2) / 2] += 1
    pitch = pitches.most_common(1)[0][0] if pitches else body_size * 1.25
    heading_styles = sorted(
        {k for k in weights if k[0] >= body_size + 0.9 or (k[1] and not body_bold and k[0] >= body_size - 0.5)},
        key=lambda k: (-k[0], not k[1]),
    )
    return _Style(body_size, body_bold, {k: i + 1 for i, k in enumerate(heading_styles)}, pitch)


def _line_style(ln: Line) -> tuple[float, bool]:
    return (ln.size, ln.bold)


def _is_heading_line(ln: Line, style: _Style) -> bool:
    key = _line_style(ln)
    if key not in style.heading_levels:
        return False
    text = ln.text.strip()
    if len(text) > 160 or not re.search(r"[A-Za-z]", text):
        return False
    return True


def _bullet_start(ln: Line) -> tuple[bool, str]:
    """Whether a line starts a list item, and its text without the glyph."""
    first = ln.words[0].text
    rest = " ".join(w.text for w in ln.words[1:])
    glyph = first[:1]
    if first in BULLET_GLYPHS or (len(first) == 1 and 0xE000 <= ord(first) <= 0xF8FF):
        return True, rest
    if glyph in BULLET_GLYPHS - {"-", "*", "\u2013", "\u2014"} and len(first) > 1:
        return True, " ".join([first[1:]] + [w.text for w in ln.words[1:]]).strip()
    if ENUMERATOR.match(first) and len(ln.words) > 1:
        return True, ln.text
    return False, ln.text


def region_to_blocks(region: Region, page: int, style: _Style, vocabulary: Counter) -> list[Block]:
    """Blocks of one region: headings, paragraphs and bullet items, or table cells."""
    if region.table is not None:
        return [
            Block(page, "table_cell", cell, row=r, col=c)
            for r, row in enumerate(region.table.rows)
            for c, cell in enumerate(row)
            if cell
        ]
    lines = region.lines
    if not lines:
        return []
    pitch = style.pitch or style.body_size * 1.3
    width = region.right - region.left
    blocks: list[tuple[str, list[Line], int | None]] = []  # kind, lines, heading level
    bullet_indent: float | None = None
    for i, ln in enumerate(lines):
        prev = lines[i - 1] if i else None
        if _is_heading_line(ln, style):
            level = style.heading_levels[_line_style(ln)]
            if blocks and blocks[-1][0] == "heading" and blocks[-1][2] == level and prev is not None and ln.top - prev.bottom < ln.size * 0.8:
                blocks[-1][1].append(ln)
            else:
                blocks.append(("heading", [ln], level))
            bullet_indent = None
            continue
        is_bullet, _ = _bullet_start(ln)
        if is_bullet and prev is not None and ENUMERATOR.match(ln.words[0].text) and not TERMINAL.search(prev.text):
            is_bullet = ln.top - prev.top > pitch * 1.35  # "... under\n18. A third" is not a list item
        new = prev is None or not blocks or blocks[-1][0] == "heading"
        if not new and prev is not None:
            gap = ln.top - prev.top
            if gap > pitch * 1.35 or gap < 0:
                new = True
            elif is_bullet:
                new = True
            elif blocks[-1][0] == "bullet" and bullet_indent is not None and ln.x0 < bullet_indent - 2:
                new = True
            elif blocks[-1][0] != "bullet" and ln.x0 > region.left + style.body_size * 0.8 and abs(prev.x0 - region.left) < 2:
                new = True  # first-line indent
            elif NUMBERED_PARA.match(ln.words[0].text) and TERMINAL.search(prev.text):
                new = True  # a numbered paragraph ("3.2 The council ...") after a finished sentence
            elif (
                TERMINAL.search(prev.text)
                and prev.x1 < region.left + width * 0.7
                and ln.words[0].text[:1].isupper()
            ):
                new = True  # the previous line ended a paragraph short of the margin
        if new:
            if is_bullet:
                blocks.append(("bullet", [ln], None))
                bullet_indent = ln.words[1].x0 if len(ln.words) > 1 else ln.x0
            else:
                blocks.append(("paragraph", [ln], None))
                bullet_indent = None
        else:
            blocks[-1][1].append(ln)
    out = []
    for kind, blines, level in blocks:
        if kind == "bullet":
            _, first = _bullet_start(blines[0])
            text = lines_to_text([_text_line(first)] + blines[1:], vocabulary)
        else:
            text = lines_to_text(blines, vocabulary)
        if text:
            block = Block(page, kind, text, level=level)
            block.ends_full = blines[-1].x1 >= region.right - max(0.06 * width, style.body_size)
            block.starts_indented = blines[0].x0 > region.left + style.body_size * 0.8
            out.append(block)
    return out


def _text_line(text: str) -> Line:
    return Line([Word(text, 0, 0, 0, 0, 0, False)])


def _continues(prev: Block, nxt: Block) -> bool:
    """Whether ``nxt`` (first block after a page or column break) continues ``prev``.

    It does when ``prev`` stops mid-sentence, when ``nxt`` starts in lower case, or
    when ``prev`` fills its last line to the margin and ``nxt`` starts without an
    indent (a sentence that happened to end at the foot of the page).
    """
    if prev.kind not in ("paragraph", "bullet") or nxt.kind != "paragraph":
        return False
    if not TERMINAL.search(prev.text) or nxt.text[:1].islower():
        return True
    return prev.ends_full and not nxt.starts_indented


def _vocabulary(pages: list[PageData]) -> Counter:
    vocab: Counter = Counter()
    for page in pages:
        for w in page.words:
            for token in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", w.text):
                if not w.text.endswith("-"):
                    vocab[token.lower()] += 1
    return vocab


@dataclass
class _TableState:
    index: int = -1
    header: list[str] | None = None
    columns: int = 0
    rows: int = 0  # rows numbered so far in the current table


def _table_blocks(region: Region, new_blocks: list[Block], blocks: list[Block], state: _TableState,
                  after_break: bool, vocabulary: Counter) -> list[Block]:
    """Number a table's cells; carry a table over a page break as one table.

    A table that opens a page right after a table closed the previous one, with the
    same number of columns, continues it: a repeated header row is dropped, and a
    row split by the break (its first cell empty on the new page) is joined to the
    row it started in.
    """
    rows = region.table.rows
    header = rows[0] if rows else None
    columns = max((len(r) for r in rows), default=0)
    continuing = after_break and bool(blocks) and blocks[-1].kind == "table_cell" and columns == state.columns
    if not continuing:
        state.index, state.header, state.columns, state.rows = state.index + 1, header, columns, 0
        for b in new_blocks:
            b.table = state.index
        state.rows = len(rows)
        return new_blocks
    skip = 1 if header == state.header else 0
    kept = [b for b in new_blocks if (b.row or 0) >= skip]
    first = rows[skip] if len(rows) > skip else None
    merged = 0
    if first is not None and not first[0] and any(first[1:]):
        last_row = state.rows - 1
        previous = {b.col: b for b in blocks if b.kind == "table_cell" and b.table == state.index and b.row == last_row}
        if previous:
            for b in (b for b in kept if b.row == skip):
                if b.col in previous:
                    previous[b.col].text = join_hyphenated(previous[b.col].text, b.text, vocabulary)
                else:
                    b.table, b.row = state.index, last_row
                    blocks.append(b)
            kept = [b for b in kept if b.row != skip and b.table is None]
            merged = 1
    offset = state.rows - skip - merged
    for b in kept:
        b.row = (b.row or 0) + offset
        b.table = state.index
    state.rows += len(rows) - skip - merged
    return kept


def pages_to_blocks(pages: list[PageData]) -> list[Block]:
    """Blocks of a whole document in reading order, with heading paths as sections."""
    style = document_style(pages)
    pages = remove_running_lines(pages, style.body_size)
    vocabulary = _vocabulary(pages)
    blocks: list[Block] = []
    tables = _TableState()
    for page in pages:
        after_break = True  # the next region follows a page break
        for region in page_to_regions(page):
            new_blocks = region_to_blocks(region, page.number, style, vocabulary)
            if not new_blocks:
                continue
            if region.table is not None:
                new_blocks = _table_blocks(region, new_blocks, blocks, tables, after_break, vocabulary)
            elif (after_break or region.column == 1) and blocks and _continues(blocks[-1], new_blocks[0]):
                blocks[-1].text = join_hyphenated(blocks[-1].text, new_blocks[0].text, vocabulary)
                blocks[-1].ends_full = new_blocks[0].ends_full
                new_blocks = new_blocks[1:]
            after_break = False
            blocks += new_blocks
    return assign_sections(blocks)


def assign_sections(blocks: list[Block]) -> list[Block]:
    """Give each block the heading path it sits under, e.g. ``2. Findings > 2.1 Early help``."""
    path: list[tuple[int, str]] = []
    for block in blocks:
        if block.kind == "heading":
            level = block.level or 1
            path = [(lv, t) for lv, t in path if lv < level]
            block.section = " > ".join(t for _, t in path)
            path.append((level, block.text))
        else:
            block.section = " > ".join(t for _, t in path)
    return blocks


def extract_blocks(path: Path, engine: str = "auto") -> list[Block]:
    """Extract the blocks of one PDF in reading order.

    Raises
    ------
    UnreadablePDF, EncryptedPDF, NoTextLayer
        With a message that names the file and the problem.

    Examples
    --------
    >>> blocks = extract_blocks(Path("corpus/sample/ashcombe_report.pdf"))
    >>> blocks[0].kind, blocks[0].page
    ('heading', 1)
    >>> sorted({b.kind for b in blocks})
    ['bullet', 'heading', 'paragraph', 'table_cell']
    """
    from .formats.ocr import mark_ocr_blocks, ocr_image_pages

    path = Path(path)
    pages = list(read_pages(path, engine))
    if not pages:
        raise UnreadablePDF(f"{path.name} has no pages")
    pages = ocr_image_pages(path, pages)  # pages with images and no text layer, read by OCR
    if not any(page.words or page.tables for page in pages):
        hint = " and OCR found no text on its pages (blank or photos?)" if any(page.has_images for page in pages) else ""
        raise NoTextLayer(f"{path.name} has no text layer{hint}")
    return mark_ocr_blocks(pages_to_blocks(pages), pages)


def page_count(blocks: list[Block]) -> int:
    return max((b.page for b in blocks), default=0)
