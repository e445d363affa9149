"""Read the pages of a PDF that have no text layer (scans) with OCR.

Only pages that hold images and no text go this way. Each is rendered with pypdfium2
(already a pdfplumber dependency) at ``DEFAULT_DPI`` and read by Debian's
``tesseract`` (``tesseract-ocr`` with ``tesseract-ocr-eng``), called once per page in
the extraction worker, so the document's time limit covers it. Tesseract's TSV gives
every word with its box and confidence; the words become the ``Word``s of a
``PageData``, so the same layout code as for a born-digital page makes headings,
paragraphs and list items of them:

- a word's box is its line's box (tesseract's own line), so a line stays one line;
- a line's type size is its box height (points) over ``LINE_HEIGHT_EM``, and sizes
  within ``SIZE_TOLERANCE`` of the document's most common size are that size, so
  body text is one size and only clearly larger lines are headings;
- words below ``MIN_WORD_CONFIDENCE`` that hold no letter or digit (specks) are dropped.

A page with fewer than ``MIN_WORDS`` confident words (a blank page, a photo, noise)
gives an ``UnreadablePage`` warning naming the file and page, and no words; the rest
of the document is read. Every block from an OCR page is marked ``ocr`` with the
page's mean word confidence (0-100).
"""

from __future__ import annotations

import csv
import io
import os
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


@dataclass
class OcrWord:
    """One word as tesseract read it, in pixels of the page image."""

    text: str
    left: int
    right: int
    line_top: int
    line_bottom: int
    confidence: float


@dataclass
class OcrPage(PageData):
    """A page read by OCR: its words as ``PageData`` and their mean confidence."""

    confidence: float = 0.0


def needs_ocr(page: PageData) -> bool:
    """Whether a page has images and no text layer (words or table text)."""
    return page.has_images and not page.words and not page.tables


def tesseract_tsv(png: bytes, dpi: int, name: str) -> str:
    """Tesseract's TSV for one page image (one thread: the workers already fill the cores)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run([*TESSERACT, "--dpi", str(dpi), "stdin", "stdout", "tsv"], input=png,
                              capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise NoTextLayer(
            f"{name} has pages without a text layer and tesseract is not installed to read them: "
            "apt-get install tesseract-ocr tesseract-ocr-eng"
        ) from None
    if done.returncode != 0:
        raise NoTextLayer(f"{name}: tesseract failed ({done.stderr.decode(errors='replace').strip()[:200]})")
    return done.stdout.decode("utf-8", errors="replace")


def tsv_to_words(tsv: str) -> list[OcrWord]:
    """The words of tesseract's TSV output, each with the box of its line.

    >>> tsv = ("level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext\\n"
    ...        "4\\t1\\t1\\t1\\t1\\t0\\t10\\t20\\t200\\t40\\t-1\\t\\n"
    ...        "5\\t1\\t1\\t1\\t1\\t1\\t10\\t25\\t90\\t30\\t96.5\\tSafeguarding\\n")
    >>> tsv_to_words(tsv)
    [OcrWord(text='Safeguarding', left=10, right=100, line_top=20, line_bottom=60, confidence=96.5)]
    """
    lines: dict[tuple[str, ...], tuple[int, int]] = {}
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
        top, height = int(row["top"]), int(row["height"])
        if row["level"] == "4":
            lines[key] = (top, top + height)
        elif row["level"] == "5" and (row.get("text") or "").strip():
            line_top, line_bottom = lines.get(key, (top, top + height))
            left = int(row["left"])
            words.append(OcrWord(row["text"].strip(), left, left + int(row["width"]), line_top, line_bottom,
                                 float(row["conf"])))
    return words


def keep_word(word: OcrWord) -> bool:
    """Drop the low-confidence marks with no letter or digit that specks of dust become."""
    return word.confidence >= MIN_WORD_CONFIDENCE or any(c.isalnum() for c in word.text)


def ocr_words_to_page(words: list[OcrWord], number: int, width: float, height: float, dpi: int) -> OcrPage:
    """A ``PageData`` of OCR words in points, with raw type sizes from line heights."""
    k = 72.0 / dpi
    out = [
        Word(w.text, w.left * k, w.right * k, w.line_top * k, w.line_bottom * k,
             round((w.line_bottom - w.line_top) * k / LINE_HEIGHT_EM, 1), False)
        for w in words
    ]
    confidence = statistics.fmean(w.confidence for w in words) if words else 0.0
    return OcrPage(number, width, height, out, [], True, round(confidence, 1))


def snap_sizes(pages: list[PageData]) -> None:
    """Give every OCR line near the document's most common size exactly that size (in place)."""
    sizes = Counter(round(w.size * 2) / 2 for p in pages if isinstance(p, OcrPage) for w in p.words)
    if not sizes:
        return
    body = sizes.most_common(1)[0][0]
    for page in pages:
        if isinstance(page, OcrPage):
            for w in page.words:
                w.size = body if abs(w.size - body) <= SIZE_TOLERANCE * body else float(round(w.size))


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
    words = [w for w in tsv_to_words(tesseract_tsv(buffer.getvalue(), dpi, name)) if keep_word(w)]
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
