"""Read the pages of a PDF that have no text layer (scans) with OCR.

Only pages that hold images and no text go this way. Each is rendered with pypdfium2
(already a pdfplumber dependency) at ``DEFAULT_DPI`` and read by Debian's
``tesseract`` (``tesseract-ocr`` with ``tesseract-ocr-eng``), called once per page in
the extraction worker, so the document's time limit covers it. Tesseract's hOCR gives
every word with its box and confidence, and every line with its box and text size
(``x_size``); the words become the ``Word``s of a ``PageData``, so the same layout
code as for a born-digital page makes headings, paragraphs and list items of them:

- a word's box is its line's box (tesseract's own line), so a line stays one line;
- a line's type size is its ``x_size`` (in points) over ``LINE_HEIGHT_EM``; sizes
  within ``SIZE_TOLERANCE`` of each other are one size (their cluster's most common
  measure), so body text is one size, headings of one level one size, and only
  clearly larger lines are headings (a line box's height would not do: a line
  without descenders is a fifth lower);
- words below ``MIN_WORD_CONFIDENCE`` that hold no letter or digit (specks) are dropped,
  and a bullet glyph misread as another mark (``¢``, ``«``, ``e``) becomes ``•`` again.

A page with fewer than ``MIN_WORDS`` confident words (a blank page, a photo, noise)
gives an ``UnreadablePage`` warning naming the file and page, and no words; the rest
of the document is read. Every block from an OCR page is marked ``ocr`` with the
page's mean word confidence (0-100).
"""

from __future__ import annotations

import io
import os
import re
import statistics
import subprocess
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import NoTextLayer, UnreadablePage
from ..extract import Block, PageData, Word

DEFAULT_DPI = 300
LINE_HEIGHT_EM = 0.95  # a line box (ascender to descender) is about this many ems high
SIZE_TOLERANCE = 0.15
MIN_WORD_CONFIDENCE = 40.0
MIN_WORDS = 5
TESSERACT = ("tesseract", "-l", "eng", "--psm", "3")


LINE_CLASSES = {"ocr_line", "ocr_header", "ocr_textfloat", "ocr_caption"}
# What tesseract reads a bullet glyph as, when it stands alone before a gap at the start of a line.
BULLET_MISREADS = set("\u2022\u00a2\u00ab\u00bb\u00a9\u00ae\u00b0\u00b7*+eo")


@dataclass
class OcrWord:
    """One word as tesseract read it, in pixels of the page image, with its line's box and text size."""

    text: str
    left: int
    right: int
    line_top: int
    line_bottom: int
    line_size: float
    confidence: float


@dataclass
class OcrPage(PageData):
    """A page read by OCR: its words as ``PageData`` and their mean confidence."""

    confidence: float = 0.0


def needs_ocr(page: PageData) -> bool:
    """Whether a page has images and no text layer (words or table text)."""
    return page.has_images and not page.words and not page.tables


def tesseract_hocr(png: bytes, dpi: int, name: str) -> str:
    """Tesseract's hOCR for one page image (one thread: the workers already fill the cores)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run([*TESSERACT, "--dpi", str(dpi), "stdin", "stdout", "hocr"], input=png,
                              capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise NoTextLayer(
            f"{name} has pages without a text layer and tesseract is not installed to read them: "
            "apt-get install tesseract-ocr tesseract-ocr-eng"
        ) from None
    if done.returncode != 0:
        raise NoTextLayer(f"{name}: tesseract failed ({done.stderr.decode(errors='replace').strip()[:200]})")
    return done.stdout.decode("utf-8", errors="replace")


def _title(element) -> dict[str, list[str]]:
    """The properties of an hOCR ``title`` attribute: ``bbox 1 2 3 4; x_wconf 96`` -> {"bbox": [...], ...}."""
    fields = (part.split() for part in element.get("title", "").split(";"))
    return {f[0]: f[1:] for f in fields if f}


def hocr_to_words(hocr: str) -> list[OcrWord]:
    """The words of tesseract's hOCR output, each with its line's box and text size.

    >>> hocr = ("<html><body><span class='ocr_line' title='bbox 10 20 210 60; x_size 40'>"
    ...         "<span class='ocrx_word' title='bbox 10 25 100 58; x_wconf 96'>Safeguarding</span></span></body></html>")
    >>> hocr_to_words(hocr)
    [OcrWord(text='Safeguarding', left=10, right=100, line_top=20, line_bottom=60, line_size=40.0, confidence=96.0)]
    """
    import lxml.html

    words = []
    root = lxml.html.document_fromstring(hocr.encode("utf-8"))
    for line in root.iter("span"):
        if line.get("class") not in LINE_CLASSES:
            continue
        props = _title(line)
        _, top, _, bottom = (int(v) for v in props["bbox"])
        size = float(props.get("x_size", [bottom - top])[0])
        line_words = []
        for word in line.iter("span"):
            text = re.sub(r"\s+", "", word.text_content())
            if word.get("class") != "ocrx_word" or not text:
                continue
            wprops = _title(word)
            left, _, right, _ = (int(v) for v in wprops["bbox"])
            line_words.append(OcrWord(text, left, right, top, bottom, size, float(wprops.get("x_wconf", ["0"])[0])))
        words += restore_bullet(line_words)
    return words


def restore_bullet(line: list[OcrWord]) -> list[OcrWord]:
    """A line whose first word is a lone bullet misread (``¢``, ``e``) set apart by a wide gap starts with ``•``."""
    if len(line) > 1 and line[0].text in BULLET_MISREADS and line[1].left - line[0].right > 0.5 * line[0].line_size:
        line[0].text = "\u2022"
    return line


def keep_word(word: OcrWord) -> bool:
    """Drop the low-confidence marks with no letter or digit that specks of dust become (not bullets)."""
    return word.confidence >= MIN_WORD_CONFIDENCE or word.text == "\u2022" or any(c.isalnum() for c in word.text)


def ocr_words_to_page(words: list[OcrWord], number: int, width: float, height: float, dpi: int) -> OcrPage:
    """A ``PageData`` of OCR words in points, with raw type sizes from line heights."""
    k = 72.0 / dpi
    out = [
        Word(w.text, w.left * k, w.right * k, w.line_top * k, w.line_bottom * k,
             round(w.line_size * k / LINE_HEIGHT_EM, 1), False)
        for w in words
    ]
    confidence = statistics.fmean(w.confidence for w in words) if words else 0.0
    return OcrPage(number, width, height, out, [], True, round(confidence, 1))


def size_clusters(sizes: Counter, tolerance: float = SIZE_TOLERANCE) -> dict[float, float]:
    """Map each measured size to the most common size of its cluster (sizes within ``tolerance`` of the cluster's smallest).

    >>> size_clusters(Counter({10.0: 50, 10.5: 9, 9.5: 4, 15.5: 2, 16.5: 3}))
    {9.5: 10.0, 10.0: 10.0, 10.5: 10.0, 15.5: 16.5, 16.5: 16.5}
    """
    clusters: list[list[float]] = []
    for size in sorted(sizes):
        if clusters and size <= clusters[-1][0] * (1 + tolerance):
            clusters[-1].append(size)
        else:
            clusters.append([size])
    return {size: max(cluster, key=lambda s: sizes[s]) for cluster in clusters for size in cluster}


def snap_sizes(pages: list[PageData]) -> None:
    """Give the OCR lines of one type size one size: the most common measure of their cluster (in place)."""
    ocr_words = [w for p in pages if isinstance(p, OcrPage) for w in p.words]
    for w in ocr_words:
        w.size = round(w.size * 2) / 2
    snapped = size_clusters(Counter(w.size for w in ocr_words))
    for w in ocr_words:
        w.size = snapped[w.size]


def ocr_page(pdf, index: int, number: int, name: str, dpi: int = DEFAULT_DPI) -> OcrPage:
    """Render page ``index`` of an open pypdfium2 document and read it with tesseract."""
    page = pdf[index]
    try:
        width, height = page.get_width(), page.get_height()
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        page.close()
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG")
    words = [w for w in hocr_to_words(tesseract_hocr(buffer.getvalue(), dpi, name)) if keep_word(w)]
    confident = [w for w in words if w.confidence >= MIN_WORD_CONFIDENCE and any(c.isalpha() for c in w.text)]
    if len(confident) < MIN_WORDS:
        warnings.warn(UnreadablePage(
            f"{name}: page {number} has no text layer and OCR could not read it "
            f"({len(confident)} words read with confidence; a blank page, a photo or a poor scan?)"
        ), stacklevel=2)
        words = []
    return ocr_words_to_page(words, number, width, height, dpi)


def ocr_image_pages(path: Path, pages: list[PageData], dpi: int = DEFAULT_DPI) -> list[PageData]:
    """``pages`` with every page that has images and no text layer replaced by its OCR reading.

    Pages with text are returned as they are, and a document without image-only
    pages is not opened again.
    """
    todo = [i for i, page in enumerate(pages) if needs_ocr(page)]
    if not todo:
        return pages
    import pypdfium2 as pdfium

    out = list(pages)
    pdf = pdfium.PdfDocument(str(path))
    try:
        for i in todo:
            out[i] = ocr_page(pdf, i, pages[i].number, Path(path).name, dpi)
    finally:
        pdf.close()
    snap_sizes(out)
    return out


def mark_ocr_blocks(blocks: list[Block], pages: list[PageData]) -> list[Block]:
    """Mark the blocks of OCR pages ``ocr``, with their page's mean word confidence (in place)."""
    confidence = {p.number: p.confidence for p in pages if isinstance(p, OcrPage)}
    for block in blocks:
        if block.page in confidence:
            block.ocr = True
            block.ocr_confidence = confidence[block.page]
    return blocks
