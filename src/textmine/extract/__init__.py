"""Extract PDF text as blocks in reading order.

Each page is read once into words, ruling lines and shaded areas; from those the
document is turned into blocks: headings, paragraphs, bullet items, table cells
(one per bullet of a cell, with its row and column headers) and footnotes, in
reading order, boxes and pull quotes marked, with running headers, footers and
page numbers removed, hyphenated line ends joined and paragraphs and tables that
run over a page or column break joined back together.

The work is a chain of small functions over plain data, one module per seam::

    pdf --read_pages (read)--> PageData (words, rules, shaded areas)
        --find_tables (tables), find_boxes (boxes)--> tables, boxes, and the body words outside them
        --remove_running_lines, split_footnotes, page_to_regions (layout)--> regions in reading order
        --pages_to_blocks (blocks)--> Blocks with heading path

Only ``read`` touches pdfplumber and pdfium; everything after it is pure, so a
page read another way (OCR of a page image) joins the chain as a ``PageData``.
Tolerances are named in ``defaults``.
"""

from __future__ import annotations

import hashlib
import warnings
from functools import lru_cache
from pathlib import Path

from ..errors import NoTextLayer, UnreadablePage, UnreadablePDF
from .blocks import assign_sections, pages_to_blocks
from .model import Block, Line, PageData, Rule, Shade, Table, Word
from .read import ENGINES, read_pages
from .text import join_hyphenated

__all__ = [
    "Block", "ENGINES", "Line", "PageData", "Rule", "Shade", "Table", "Word", "assign_sections", "extract_blocks",
    "extractor_version", "join_hyphenated", "page_count", "pages_to_blocks", "read_pages",
]


@lru_cache(maxsize=1)
def extractor_version() -> str:
    """A fingerprint of this package's code: cached extractions are reused only by the same extractor.

    Every module of the package counts, so a change in any of them invalidates the cache.
    """
    digest = hashlib.sha1()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def extract_blocks(path: Path, engine: str = "auto") -> list[Block]:
    """Extract the blocks of one PDF in reading order.

    Raises
    ------
    UnreadablePDF, EncryptedPDF, NoTextLayer
        With a message that names the file and the problem. ``NoTextLayer`` only
        when no page draws text; a page whose content cannot be decoded makes the
        file unreadable (or, when other pages have text, an ``UnreadablePage``
        warning), with its cause.

    Examples
    --------
    >>> blocks = extract_blocks(Path("corpus/sample/ashcombe_report.pdf"))
    >>> blocks[0].kind, blocks[0].page
    ('heading', 1)
    >>> sorted({b.kind for b in blocks})
    ['bullet', 'heading', 'paragraph', 'table_cell']
    """
    from ..formats.ocr import mark_ocr_blocks, ocr_image_pages

    path = Path(path)
    pages = list(read_pages(path, engine))
    if not pages:
        raise UnreadablePDF(f"{path.name} has no pages")
    pages = ocr_image_pages(path, pages)  # pages with images and no text layer, read by OCR
    broken = [page for page in pages if page.unreadable]
    if not any(page.words for page in pages):
        if broken:
            raise UnreadablePDF(f"{path.name} could not be read: page {broken[0].number}: {broken[0].unreadable}")
        hint = " and OCR found no text on its pages (blank or photos?)" if any(page.has_images for page in pages) else ""
        raise NoTextLayer(f"{path.name} has no text layer{hint}")
    for page in broken:
        warnings.warn(UnreadablePage(f"{path.name}: page {page.number} could not be read ({page.unreadable}); "
                                     "the other pages were"), stacklevel=2)
    return mark_ocr_blocks(pages_to_blocks(pages), pages)


def page_count(blocks: list[Block]) -> int:
    """The number of the last page that gave a block."""
    return max((b.page for b in blocks), default=0)
