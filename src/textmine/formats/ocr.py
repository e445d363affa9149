"""Read the pages of a PDF that have no text layer (scans) with OCR.

Only pages that hold images and no text go this way. Each is rendered with pypdfium2
(already a pdfplumber dependency) at ``DEFAULT_DPI`` and read by Debian's
``tesseract`` (``tesseract-ocr`` with ``tesseract-ocr-eng``), called once per page in
the extraction worker, so the document's time limit covers it. Tesseract's hOCR gives
every word with its box and confidence, and every line with its box and text size
(``x_size``); the words become the ``Word``s of a ``PageData``, so the same layout
code as for a born-digital page makes headings, paragraphs and list items of them:

- the page image is first turned level (the angle that gives the sharpest profile
  of its rows of ink, within ``MAX_SKEW_DEGREES``); its ruling lines (thin runs of
  pixels, ``RULE_DENSITY`` dark over ``RULE_MIN_POINTS``) become the ruling edges of the page, so
  the same table finder reads ruled tables cell by cell, and are whitened before
  tesseract reads the page, so that it does not read them as ``|`` and ``_``;
- a word's box is its line's box (tesseract's own line), so a line stays one line;
- a line's type size is its ``x_size`` (in points) over ``LINE_HEIGHT_EM``; sizes
  within ``SIZE_TOLERANCE`` of each other are one size (their cluster's most common
  measure), so body text is one size, headings of one level one size, and only
  clearly larger lines are headings (a line box's height would not do: a line
  without descenders is a fifth lower);
- words below ``MIN_WORD_CONFIDENCE`` that hold no letter or digit (specks) are dropped,
  and a bullet glyph misread as another mark (``¢``, ``«``, ``e``) becomes ``•`` again.

A page that is blank or mostly dark (under ``BLANK_INK`` or over ``PHOTO_INK`` of its
pixels dark: a photo, noise) is not given to tesseract at all, which would spend
minutes on it; it, a page tesseract has not read within ``OCR_PAGE_SECONDS``, and a
page with fewer than ``MIN_WORDS`` confident words each give an ``UnreadablePage``
warning naming the file, the page and why, and no words; the rest of the document is
read. Every block from an OCR page is marked ``ocr`` with the
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
from typing import Callable

from ..errors import NoTextLayer, UnreadablePage
from ..extract import Block, PageData, Rule, Word

DEFAULT_DPI = 200  # as many words as 300 dpi on 300- and 200-dpi scans, and faster (README, bench/fidelity.py)
MAX_SKEW_DEGREES = 2.0
SKEW_STEP_DEGREES = 0.1
RULE_MIN_POINTS = 40.0  # the table finder keeps horizontal rules longer than 40 pt
DARK = 200  # grey levels below this are ink (a thin grey rule is scanned at 150-190)
RULE_DENSITY = 0.95
RULE_CLEARANCE_POINTS = 2.0  # a rule is thinner than this, a line of type thicker
RULE_SNAP_POINTS = 3.0
LINE_HEIGHT_EM = 0.95  # tesseract's x_size of a line is about this many ems of its type
SIZE_TOLERANCE = 0.15
MIN_WORD_CONFIDENCE = 40.0
MIN_WORDS = 5
BLANK_INK, PHOTO_INK = 0.0005, 0.4  # shares of dark pixels below and above which a page is not text
OCR_PAGE_SECONDS = 60.0
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
    """Whether a page has images and no text layer."""
    return page.has_images and not page.words


def _die_with_parent() -> None:
    """In the child: be killed when the extraction worker is (killed at its time limit), on Linux."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def tesseract_hocr(png: bytes, dpi: int, name: str) -> str:
    """Tesseract's hOCR for one page image (one thread: the workers already fill the cores)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run([*TESSERACT, "--dpi", str(dpi), "stdin", "stdout", "hocr"], input=png,
                              capture_output=True, env=env, check=False, preexec_fn=_die_with_parent,
                              timeout=OCR_PAGE_SECONDS)
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


def ocr_words_to_page(words: list[OcrWord], edges: list[tuple], number: int, width: float, height: float,
                      dpi: int) -> OcrPage:
    """A ``PageData`` of OCR words in points (raw type sizes from ``x_size``) and the rules found in the image."""
    k = 72.0 / dpi
    out = [
        Word(w.text, w.left * k, w.right * k, w.line_top * k, w.line_bottom * k,
             round(w.line_size * k / LINE_HEIGHT_EM, 1), False)
        for w in words
    ]
    confidence = statistics.fmean(w.confidence for w in words) if words else 0.0
    return OcrPage(number, width, height, out, rules=[Rule(*edge) for edge in edges], has_images=True,
                   confidence=round(confidence, 1))


def cluster_modes(counts: Counter, joins: Callable[[list, float], bool]) -> dict:
    """Map each value to the most common value of its cluster.

    Values are taken in order; one joins the cluster before it while ``joins(cluster, value)``.

    >>> cluster_modes(Counter({10.0: 50, 10.5: 9, 9.5: 4, 15.5: 2, 16.5: 3}), lambda c, v: v <= c[0] * 1.15)
    {9.5: 10.0, 10.0: 10.0, 10.5: 10.0, 15.5: 16.5, 16.5: 16.5}
    """
    clusters: list[list] = []
    for value in sorted(counts):
        if clusters and joins(clusters[-1], value):
            clusters[-1].append(value)
        else:
            clusters.append([value])
    return {value: max(cluster, key=lambda v: counts[v]) for cluster in clusters for value in cluster}


def snap_sizes(pages: list[PageData]) -> None:
    """Give the OCR lines of one type size one size: the most common measure of their cluster (in place)."""
    ocr_words = [w for p in pages if isinstance(p, OcrPage) for w in p.words]
    for w in ocr_words:
        w.size = round(w.size * 2) / 2
    snapped = cluster_modes(Counter(w.size for w in ocr_words), lambda c, v: v <= c[0] * (1 + SIZE_TOLERANCE))
    for w in ocr_words:
        w.size = snapped[w.size]


def estimate_skew(image, max_degrees: float = MAX_SKEW_DEGREES, step: float = SKEW_STEP_DEGREES) -> float:
    """The rotation (degrees, counter-clockwise) that makes the lines of a greyscale page image level.

    Rows of text give a sharp profile of ink per pixel row only when they are level:
    the angle whose profile changes most from row to row wins (on a quarter-size image).
    """
    import numpy as np
    from PIL import ImageOps

    small = ImageOps.invert(image.reduce(4))
    best, best_score = 0.0, -1.0
    for angle in np.arange(-max_degrees, max_degrees + step / 2, step):
        profile = np.asarray(small.rotate(float(angle), fillcolor=0), dtype=np.float64).sum(axis=1)
        score = float(np.square(np.diff(profile)).sum())
        if score > best_score:
            best, best_score = float(angle), score
    return round(best, 2)


def rule_mask(dark, length: int, clearance: int, density: float = RULE_DENSITY):
    """The pixels of each row covered by a thin window of ``length`` pixels that is at least ``density`` dark.

    A rule scanned with specks, JPEG blur or a gap here and there is still dense
    over its length; a line of text, with the gaps between its letters, is not. A
    pixel counts as dark when it or the one below is, so a thin rule that drifts by
    a pixel over its length (a scan a little askew) stays dense; and a
    window counts only when the same window ``clearance`` rows above and below is
    not dense, so the strokes of a line of bold type never make a rule.
    """
    import numpy as np

    height, width = dark.shape
    if width < length or height <= 2 * clearance:
        return np.zeros_like(dark)
    dark = dark.copy()
    dark[:-1] |= dark[1:]
    sums = np.zeros((height, width + 1), dtype=np.int32)
    np.cumsum(dark, axis=1, out=sums[:, 1:])
    dense = (sums[:, length:] - sums[:, :-length]) >= density * length  # windows by their first pixel
    thin = np.zeros_like(dense)
    thin[clearance:-clearance] = (dense[clearance:-clearance] & ~dense[: -2 * clearance] & ~dense[2 * clearance:])
    dense = thin
    marks = np.zeros((height, width + 1), dtype=np.int32)
    marks[:, : width - length + 1] += dense
    marks[:, length:] -= dense
    return np.cumsum(marks, axis=1)[:, :width] > 0


def _runs(mask, min_length: int) -> list[tuple[int, int, int]]:
    """Runs of True along each row of a boolean array at least ``min_length`` long: (row, start, end)."""
    import numpy as np

    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _, ends = np.nonzero(step == -1)
    keep = ends - starts >= min_length
    return list(zip(rows[keep].tolist(), starts[keep].tolist(), ends[keep].tolist()))


def rules_to_edges(pixels, dpi: int) -> list[tuple]:
    """The ruling lines of a level page image as ruling edges in points, like pdfplumber's, and whitened.

    Every pixel row (column) of a horizontal (vertical) rule is one edge; the table
    finder merges them. ``pixels`` (a uint8 array) has the rules set to white.
    """
    k = 72.0 / dpi
    dark = pixels < DARK
    min_length = int(RULE_MIN_POINTS / k)
    clearance = max(2, round(RULE_CLEARANCE_POINTS / k))
    horizontal = _runs(rule_mask(dark, min_length, clearance), min_length)
    vertical = _runs(rule_mask(dark.T, min_length, clearance), min_length)
    for row, start, end in horizontal:
        pixels[row, start:end] = 255
    for col, start, end in vertical:
        pixels[start:end, col] = 255
    horizontal, vertical = merge_runs(horizontal), merge_runs(vertical)
    # The rules of one table share their ends; on a scan they are a few pixels out.
    tolerance = round(RULE_SNAP_POINTS / k)
    snap = cluster_modes(Counter([s for _, s, _ in horizontal] + [e for _, _, e in horizontal]),
                         lambda c, v: v - c[-1] <= tolerance)
    return ([("h", snap[s] * k, snap[e] * k, r * k, r * k) for r, s, e in horizontal]
            + [("v", c * k, c * k, s * k, e * k) for c, s, e in vertical])


def merge_runs(runs: list[tuple[int, int, int]], gap: int = 2) -> list[tuple[int, int, int]]:
    """One rule for the runs of neighbouring pixel rows that overlap: (middle row, first pixel, last pixel).

    >>> merge_runs([(10, 5, 300), (11, 0, 300), (12, 0, 290), (40, 0, 300)])
    [(11, 0, 300), (40, 0, 300)]
    """
    rules: list[list[int]] = []  # first row, last row, start, end
    for row, start, end in sorted(runs):
        for rule in rules:
            if row - rule[1] <= gap and start < rule[3] and end > rule[2]:
                rule[1], rule[2], rule[3] = row, min(rule[2], start), max(rule[3], end)
                break
        else:
            rules.append([row, row, start, end])
    return [((first + last) // 2, start, end) for first, last, start, end in rules]




def ocr_page(pdf, index: int, number: int, name: str, dpi: int = DEFAULT_DPI) -> OcrPage:
    """Render page ``index`` of an open pypdfium2 document, level it, find its rules and read it with tesseract."""
    import numpy as np
    from PIL import Image

    page = pdf[index]
    try:
        width, height = page.get_width(), page.get_height()
        image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        page.close()
    unread = OcrPage(number, width, height, [], has_images=True)
    ink = float((np.asarray(image) < DARK).mean())
    if ink < BLANK_INK or ink > PHOTO_INK:  # tesseract would find nothing, slowly (minutes on noise)
        _unreadable(name, number, "it is blank" if ink < BLANK_INK else f"{ink:.0%} of it is dark: a photo or noise?")
        return unread
    skew = estimate_skew(image)
    if skew:
        image = image.rotate(skew, resample=Image.BICUBIC, fillcolor=255)
    pixels = np.asarray(image, dtype=np.uint8).copy()
    edges = rules_to_edges(pixels, dpi)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    try:
        hocr = tesseract_hocr(buffer.getvalue(), dpi, name)
    except subprocess.TimeoutExpired:
        _unreadable(name, number, f"tesseract gave up after {OCR_PAGE_SECONDS:g} s")
        return unread
    words = [w for w in hocr_to_words(hocr) if keep_word(w)]
    confident = [w for w in words if w.confidence >= MIN_WORD_CONFIDENCE and any(c.isalpha() for c in w.text)]
    if len(confident) < MIN_WORDS:
        _unreadable(name, number, f"{len(confident)} words read with confidence: a blank page, a photo or a poor scan?")
        return unread
    return ocr_words_to_page(words, edges, number, width, height, dpi)


def _unreadable(name: str, number: int, why: str) -> None:
    warnings.warn(UnreadablePage(f"{name}: page {number} has no text layer and OCR could not read it ({why})"),
                  stacklevel=3)


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
