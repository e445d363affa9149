"""Measure how well two main-content readers recover council web pages: our lxml rules and trafilatura.

Every source in corpus/sources is written as a council web page (textmine.formats.write)
in three layouts: the document in <main>; the same page with no <main> (the document in a
plain div, as older CMSs write it); and the document in an <article> inside <main> followed
by a "share this page" block and a feedback form. For each reader it prints whole
(source paragraphs, bullets and cells recovered whole, in order) and pure (extracted
passages that are a piece of one source unit) as bench/fidelity.py does, the share of
source headings recovered as headings, in order, and the time.

Usage: python bench/html_readers.py [corpus/sources]   (trafilatura: pip install trafilatura lxml_html_clean)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from fidelity import score
from textmine.formats.html import read_html
from textmine.formats.write import source_to_web_page
from textmine.segment import PASSAGE_KINDS
from textmine.typeset import parse_source, source_text

SHARE = ('<div class="share-page"><p>Share this page</p><a href="#">Facebook</a> <a href="#">X</a></div>'
         '<div class="page-feedback"><p>Was this page useful? Tell us how we could make it better.</p></div>')
LAYOUTS = {
    "main": lambda page: page,
    "no-main": lambda page: page.replace('<main id="content">', '<div class="mgContent">').replace("</main>", "</div>"),
    "article": lambda page: page.replace('<main id="content">', '<main id="content"><article>').replace(
        "</main>", f"</article>{SHARE}</main>"),
}


def trafilatura_read(path: Path) -> tuple[list[str], list[str]]:
    """Headings, and paragraphs, list items and cells, of trafilatura's XML output (tables and recall favoured)."""
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(path.read_text(encoding="utf-8"), output_format="xml", include_tables=True,
                              include_comments=False, favor_recall=True, deduplicate=False)
    if not xml:
        return [], []
    root = etree.fromstring(xml.encode("utf-8"))
    headings = [" ".join("".join(el.itertext()).split()) for el in root.iter("head")]
    out = []
    for el in root.iter("p", "item", "cell", "quote"):
        if el.tag == "p" and any(a.tag in ("item", "cell", "quote") for a in el.iterancestors()):
            continue
        text = " ".join("".join(el.itertext()).split())
        if text:
            out.append(text)
    return headings, out


def rules_read(path: Path) -> tuple[list[str], list[str]]:
    blocks = read_html(path)
    return [b.text for b in blocks if b.kind == "heading"], [b.text for b in blocks if b.kind in PASSAGE_KINDS]


READERS = {"rules": rules_read, "trafilatura": trafilatura_read}


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("corpus/sources")
    sources = {src.stem: parse_source(src.read_text(encoding="utf-8")) for src in sorted(folder.glob("*.txt"))}
    totals: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, source in sources.items():
            units = [text for kind, text in source_text(source) if kind in PASSAGE_KINDS]
            titles = [text for kind, text in source_text(source) if kind == "heading"]
            base = source_to_web_page(source, Path(tmp) / f"{name}.html").read_text(encoding="utf-8")
            for layout, change in LAYOUTS.items():
                page = Path(tmp) / f"{name}-{layout}.html"
                page.write_text(change(base), encoding="utf-8")
                for reader, read in READERS.items():
                    started = time.perf_counter()
                    headings, passages = read(page)
                    seconds = time.perf_counter() - started
                    s = score(units, passages)
                    h = score(titles, headings)
                    totals.setdefault((layout, reader), []).append((s["whole"], s["pure"], h["whole"], seconds))
    print(f"{'layout':8} {'reader':12} {'whole':>6} {'pure':>6} {'headings':>8} {'ms/page':>8}  over {len(sources)} pages")
    for (layout, reader), values in totals.items():
        whole, pure, headings, seconds = (sum(column) / len(values) for column in zip(*values))
        print(f"{layout:8} {reader:12} {whole:6.3f} {pure:6.3f} {headings:8.3f} {1000 * seconds:8.1f}")


if __name__ == "__main__":
    main()
