"""Read every document format of a corpus into the same blocks: PDF (scans by OCR), Word, web pages.

``extract_file`` picks the reader by the file's suffix (any case):

=============  ==========================================================
``.pdf``       ``textmine.extract.extract_blocks`` (pages without a text
               layer read by OCR, ``formats/ocr.py``)
``.docx``      ``formats/docx.py`` (python-docx and lxml)
``.html/.htm`` ``formats/html.py`` (the main content, by lxml rules)
=============  ==========================================================

A page that OCR cannot read is not an error for the whole document: it is an
``UnreadablePage`` warning, which ``collect_problems`` gathers for the run's
errors.csv while the document's other pages come through.
"""

from __future__ import annotations

import hashlib
import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from ..errors import UnreadableDocument, UnreadablePage

SUFFIXES = (".pdf", ".docx", ".html", ".htm")


def is_readable(path: Path) -> bool:
    """Whether textmine reads files of this kind (by suffix, any case).

    >>> is_readable(Path("Minutes 2014.HTM")), is_readable(Path("plan.doc"))
    (True, False)
    """
    return Path(path).suffix.lower() in SUFFIXES


def reader_modules() -> list[Path]:
    """The code of the readers here (OCR included): changing any of them makes cached extractions stale."""
    return sorted(Path(__file__).parent.glob("*.py"))


def code_fingerprint(files: list[Path], seed: str = "") -> str:
    """A short hash of ``seed`` and the bytes of ``files``."""
    digest = hashlib.sha1(seed.encode())
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=1)
def reader_version() -> str:
    """A fingerprint of the PDF extractor and every reader here: a cached extraction is reused only by the same code."""
    from ..extract import extractor_version

    return code_fingerprint(reader_modules(), extractor_version())


def extract_file(path: Path) -> list:
    """The blocks of one document (PDF, .docx, .html or .htm) in reading order.

    Raises
    ------
    UnreadablePDF, EncryptedPDF, NoTextLayer, UnreadableDocument
        With a message that names the file and the problem.

    Examples
    --------
    >>> blocks = extract_file(Path("corpus/sample/dunmoor_action_plan_update.docx"))
    >>> blocks[0].kind, blocks[0].page
    ('heading', 1)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from ..extract import extract_blocks

        return extract_blocks(path)
    if suffix == ".docx":
        from .docx import read_docx as read
    elif suffix in (".html", ".htm"):
        from .html import read_html as read
    else:
        raise UnreadableDocument(f"{path.name}: textmine reads {', '.join(SUFFIXES)} files, not {suffix or 'files without a suffix'}")
    blocks = read(path)
    if not blocks:
        raise UnreadableDocument(f"{path.name} has no text")
    return blocks


@contextmanager
def collect_problems() -> Iterator[list[str]]:
    """Gather the ``UnreadablePage`` warnings raised inside the block into a list of messages.

    >>> with collect_problems() as problems:
    ...     warnings.warn(UnreadablePage("scan.pdf: page 2 has no text layer and OCR could not read it"))
    >>> problems
    ['scan.pdf: page 2 has no text layer and OCR could not read it']
    """
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnreadablePage)
        try:
            yield problems
        finally:  # also when the document fails as a whole
            problems += [str(w.message) for w in caught if issubclass(w.category, UnreadablePage)]
