"""Page reading: a PDF's pages as words and ruling lines (``PageData``), nothing more.

Only this module touches pdfplumber and pdfium; tables, columns and blocks are
worked out from its output by the pure functions of the other modules.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Iterator

from ..errors import EncryptedPDF, TextmineError, UnreadablePDF
from .defaults import DEFAULT_CHAR_GAP, DEFAULT_RULE_THICKNESS, DEFAULT_SIZE_CHANGE
from .model import PageData, Rule, Shade, Word
from .text import SPACES, clean_text

ENGINES = ("auto", "pdfplumber")
SEPARATORS = {" ", "\t", "\n", "\r", "\x00", "\ufffe", *SPACES}


def read_pages(path: Path, engine: str = "auto") -> Iterator[PageData]:
    """Parse each page of ``path`` once into words and ruling lines, closing pages as it goes.

    pdfplumber opens the file (and names what is wrong with a bad one). pdfium
    (already a pdfplumber dependency) reads the same words and ruling lines several
    times faster; ``engine="auto"`` uses it for every page whose drawings are
    straight lines and boxes, and pdfplumber for the rest (curved drawings in the
    page body), for pages pdfium cannot load or finds no words on while pdfplumber
    finds characters, and for files pdfium cannot open.
    When the two count different numbers of pages (a broken page tree), every page
    is read by pdfplumber. A page that gives no words carries ``unreadable``: why
    its content could not be read (``content_problem``, or the broken page tree),
    or "" when it draws no text. ``engine="pdfplumber"`` uses
    pdfplumber for every page. Both give the same blocks (``tests/test_extract.py``
    checks).

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
        raise UnreadablePDF(f"{path.name} could not be parsed as a PDF ({_cause(cause)})") from exc
    if engine not in ENGINES:
        raise ValueError(f"unknown extraction engine {engine!r}: use one of {', '.join(ENGINES)}")
    fast = _open_pdfium(path) if engine == "auto" else None
    tree_problem = ""
    if fast is not None and len(fast) != len(pages):  # the two read a broken page tree differently
        tree_problem = f"the page tree is broken: pdfium counts {len(fast)} pages, pdfplumber {len(pages)}"
        fast.close()
        fast = None
    with pdf:
        try:
            for index, page in enumerate(pages):
                fast_page = _pdfium_page(fast, index)
                try:
                    drawings = pdfium_drawings(fast_page) if fast_page is not None else None
                    data = pdfium_page_to_data(fast_page, page.page_number, *drawings) if drawings is not None else None
                    if data is None or (not data.words and page.chars):  # pdfium missed text pdfplumber finds
                        data = plumber_page_to_data(page)
                    if not data.words:
                        data.unreadable = content_problem(page.page_obj) or tree_problem
                    yield data
                except TextmineError:
                    raise
                except Exception as exc:
                    raise UnreadablePDF(f"{path.name}: page {page.page_number} could not be read ({_cause(exc)})") from exc
                finally:
                    page.close()
                    if fast_page is not None:
                        fast_page.close()
        finally:
            if fast is not None:
                fast.close()


def quiet_parser_warnings() -> None:
    """Keep pdfminer's notes on what it repaired in a malformed file off stderr.

    Without a handler, logging prints them through its last-resort handler
    ("Invalid MediaBox in /Page, ..."); textmine reports each document's outcome
    itself (errors.csv, or the one line of ``textmine extract``).
    """
    import logging

    logger = logging.getLogger("pdfminer")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def _cause(exc) -> str:
    """What went wrong inside the parser, in words: its exception's type and message."""
    if isinstance(exc, RecursionError):
        return "objects nested too deeply, or referring to each other in a loop"
    if isinstance(exc, BaseException):
        return f"{type(exc).__name__}: {exc}"
    return str(exc)  # pdfminer sometimes raises with a bare string as the cause


def content_problem(page_obj) -> str:
    """Why a page that gave no words could not be read (a broken content stream), or "" when it truly has no text.

    ``page_obj`` is pdfminer's ``PDFPage``. A page without a ``/Contents`` entry, or
    whose content draws no text, is blank or a scan: that is not a problem here.
    """
    from pdfminer.pdftypes import PDFObjRef, PDFStream, int_value, resolve1

    raw = page_obj.attrs.get("Contents")
    if raw is None:
        return ""
    listed = resolve1(raw)  # a stream, or an array of them
    for item in listed if isinstance(listed, list) else [raw]:
        target = resolve1(item)
        where = f"object {item.objid}" if isinstance(item, PDFObjRef) else "given inline"
        if target is None:
            return f"its content stream ({where}) is missing"
        if not isinstance(target, PDFStream):
            return f"its content ({where}) is a {type(target).__name__}, not a stream"
        filters = [str(getattr(f, "name", f)) for f, _ in target.get_filters()]
        if filters and not target.get_data().strip() and int_value(target.attrs.get("Length", 0)) > 0:
            return f"its content stream ({where}) could not be decompressed ({', '.join(filters)})"
    return ""


def _pdfium_page(doc, index: int):
    """Page ``index`` of a pdfium document, or None when pdfium has no such page or cannot load it (pdfplumber reads it)."""
    import pypdfium2 as pdfium

    if doc is None or index >= len(doc):
        return None
    try:
        return doc[index]
    except pdfium.PdfiumError:
        return None


def _open_pdfium(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except Exception:  # pdfplumber opened it; analyse every page with pdfplumber instead
        return None


def is_bold(fontname: str) -> bool:
    """Whether a font name names a bold face (``ABCDEF+Times-Bold``, ``Arial,Bold``)."""
    name = fontname.split("+")[-1].lower()
    return any(tag in name for tag in ("bold", "black", "heavy", "semibold", ",b"))


def is_italic(fontname: str) -> bool:
    """Whether a font name names an italic or oblique face (``Times-Italic``, ``Arial,BoldItalic``)."""
    name = fontname.split("+")[-1].lower()
    return "italic" in name or "oblique" in name


def is_white(colour) -> bool:
    """Whether a fill colour (grey, RGB or CMYK components from 0 to 1) is white or near it."""
    if colour is None:
        return False
    values = list(colour) if isinstance(colour, (list, tuple)) else [colour]
    if not values or not all(isinstance(v, (int, float)) for v in values):
        return False
    if len(values) == 4:
        return all(v <= 0.05 for v in values)
    return all(v >= 0.95 for v in values)


def is_thin(width: float, height: float, thickness: float = DEFAULT_RULE_THICKNESS) -> bool:
    """Whether a filled rectangle is thin enough to be a rule (many producers draw rules that way)."""
    return width < thickness or height < thickness


# --------------------------------------------------------------------------- pdfplumber


def plumber_page_to_data(page) -> PageData:
    """Words, ruling lines and shaded areas of one pdfplumber page."""
    from pdfplumber.utils import line_to_edge, rect_to_edges

    raw = page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False)
    words = [
        Word(clean_text(w["text"], w["fontname"]), w["x0"], w["x1"], w["top"], w["bottom"], round(w["size"], 1),
             is_bold(w["fontname"]), is_italic(w["fontname"]))
        for w in raw
        if w.get("upright", True)
    ]
    words = [w for w in words if w.text.strip()]
    discs = [(c["x0"], c["top"], c["x1"], c["bottom"]) for c in page.curves if c.get("fill")]
    words += drawn_bullets(discs, words)
    edges = [line_to_edge(line) for line in page.lines] + page.curve_edges
    shades = []
    for rect in page.rects:
        if rect.get("fill") and not rect.get("stroke") and not is_thin(rect["width"], rect["height"]):
            if not is_white(rect.get("non_stroking_color")):
                shades.append(Shade(rect["x0"], rect["top"], rect["x1"], rect["bottom"]))
        else:
            edges += rect_to_edges(rect)
    rules = [Rule(e["orientation"], e["x0"], e["x1"], e["top"], e["bottom"]) for e in edges]
    return PageData(page.page_number, page.width, page.height, words, rules=rules, shades=shades,
                    has_images=bool(page.images))


def drawn_bullets(shapes: list[tuple[float, float, float, float]], words: list[Word], largest: float = 8.0) -> list[Word]:
    """Bullets drawn as small filled discs (as browsers draw list markers), as bullet words.

    A filled curved shape (x0, top, x1, bottom) counts when it is small and round
    and a word starts just to its right on the same line; the bullet takes that
    word's line (top, bottom and size), so it groups with it.
    """
    bullets = []
    for x0, top, x1, bottom in shapes:
        if not 1.5 <= x1 - x0 <= largest or abs((x1 - x0) - (bottom - top)) > 1.0:
            continue
        middle = (top + bottom) / 2
        after = [w for w in words if w.top <= middle <= w.bottom and 0 < w.x0 - x1 < 3 * w.size]
        if after:
            w = min(after, key=lambda w: w.x0)
            bullets.append(Word("\u2022", x0, x1, w.top, w.bottom, w.size, False))
    return bullets


# --------------------------------------------------------------------------- pdfium


def pdfium_drawings(page) -> tuple[list[Rule], list[Shade], list[tuple[float, float, float, float]]] | None:
    """Ruling lines, shaded areas and filled curved shapes of a pdfium page, as pdfplumber's reader finds them.

    Every straight segment of a stroked path, or of a filled one too thin to be an
    area, becomes a rule; a filled rectangle in a colour other than white becomes a
    shaded area; a small filled curved shape may be a drawn bullet. Returns None
    when a larger path in the page body has curves, which pdfplumber should then
    analyse.
    """
    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    rules: list[Rule] = []
    shades: list[Shade] = []
    discs: list[tuple[float, float, float, float]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
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
        left, bottom, right, top = obj.get_bounds()
        pdfium_c.FPDFPath_GetDrawMode(obj.raw, fill_mode, stroke)
        if any(kind == pdfium_c.FPDF_SEGMENT_BEZIERTO for kind, *_ in points):
            if right - left > 30 and height * 0.06 < height - top and height - bottom < height * 0.94:
                return None
            if fill_mode.value:
                discs.append((left, height - top, right, height - bottom))
            continue
        if fill_mode.value and not stroke.value and not is_thin(right - left, top - bottom):
            pdfium_c.FPDFPageObj_GetFillColor(obj.raw, r, g, b, a)
            if a.value and not is_white((r.value / 255, g.value / 255, b.value / 255)):
                shades.append(Shade(left, height - top, right, height - bottom))
            continue
        start = None
        prev = None
        for kind, px, py, close in points:
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = prev = (px, py)
                continue
            if prev is not None:
                rules += _segment_rule(prev, (px, py))
            prev = (px, py)
            if close and start is not None:
                rules += _segment_rule(prev, start)
                prev = start
    return rules, shades, discs


def _segment_rule(a: tuple[float, float], b: tuple[float, float]) -> list[Rule]:
    (x0, y0), (x1, y1) = a, b
    if abs(y1 - y0) < 1.0 and abs(x1 - x0) >= 1.0:
        return [Rule("h", min(x0, x1), max(x0, x1), (y0 + y1) / 2, (y0 + y1) / 2)]
    if abs(x1 - x0) < 1.0 and abs(y1 - y0) >= 1.0:
        return [Rule("v", (x0 + x1) / 2, (x0 + x1) / 2, min(y0, y1), max(y0, y1))]
    return []


def pdfium_page_to_data(page, number: int, rules: list[Rule], shades: list[Shade],
                        discs: list[tuple[float, float, float, float]], char_gap: float = DEFAULT_CHAR_GAP,
                        size_change: float = DEFAULT_SIZE_CHANGE) -> PageData:
    """Words, ruling lines and shaded areas of a page, read with pdfium.

    A word ends at a space, at a gap wider than ``char_gap`` or a baseline shift as
    large, and where the type changes size by more than ``size_change`` (a
    superscript footnote marker, a bullet set in another font).
    """
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        height, width = page.get_height(), page.get_width()
        raw = textpage.raw
        box = pdfium_c.FS_RECTF()
        name = ctypes.create_string_buffer(128)
        flags = ctypes.c_int()
        words: list[Word] = []
        chars: list[tuple[str, float, float, float, float]] = []  # text, x0, x1, bottom, box height
        size = 0.0
        bold = italic = False
        font = ""
        faces: dict[tuple[bytes, int], tuple[str, bool, bool]] = {}  # font name and flags: name, bold, italic

        def flush() -> None:
            if chars:
                text = clean_text("".join(c[0] for c in chars), font)
                bottom = chars[0][3]
                if text.strip():
                    words.append(Word(text, chars[0][1], chars[-1][2], bottom - size, bottom, size, bold, italic))
                chars.clear()

        for k in range(textpage.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(raw, k)
            char = "-" if code == 2 else chr(code)
            if char in SEPARATORS or pdfium_c.FPDFText_IsGenerated(raw, k) == 1:
                flush()
                continue
            pdfium_c.FPDFText_GetLooseCharBox(raw, k, box)
            x0, x1, bottom, tall = box.left, box.right, height - box.bottom, box.top - box.bottom
            if chars and (x0 > chars[-1][2] + char_gap or abs(bottom - chars[-1][3]) > char_gap or x0 < chars[-1][1] - 1
                          or (abs(tall - chars[-1][4]) > size_change * chars[-1][4]  # the box changes: check the type
                              and abs(pdfium_c.FPDFText_GetFontSize(raw, k) - size) > size_change * size)):
                flush()
            if not chars:
                size = round(pdfium_c.FPDFText_GetFontSize(raw, k), 1)
                pdfium_c.FPDFText_GetFontInfo(raw, k, name, 128, flags)
                key = (name.value, flags.value)
                if key not in faces:
                    face = name.value.decode("latin-1")
                    faces[key] = (face, is_bold(face) or bool(flags.value & 0x40000), is_italic(face) or bool(flags.value & 0x40))
                font, bold, italic = faces[key]
            chars.append((char, x0, x1, bottom, tall))
        flush()
        words += drawn_bullets(discs, words)
        has_images = any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4))
        return PageData(number, width, height, words, rules=rules, shades=shades, has_images=has_images)
    finally:
        textpage.close()
