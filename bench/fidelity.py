"""Measure extraction fidelity on typeset documents whose source text is known.

For every source in a folder (sample markup, see corpus/sources/FORMAT.md) it
typesets the PDF in each house style, extracts it with textmine, and prints:

- whole: share of source paragraphs, bullets and table cells (each bullet of a
  cell a unit of its own) that come out whole inside one extracted passage, in
  reading order;
- pure: share of extracted passages that are a piece of exactly one source unit;
- headers: table cell units that come out with the right row and column header
  (as the pipeline passes them on, after ``segment.assign_table_headers``);
- the same first two figures for plain pdfplumber ``extract_text()`` split at line
  ends, as a baseline;

and then one table over all documents, a row per house style, and the worst style.

With ``--formats docx,html,scan`` it scores the other formats instead (``formats_fidelity``):
every source written as a Word document and as a council web page (textmine.formats.write),
whole and pure as above; and typeset, scanned at ``--dpi`` (300) into an image-only PDF and
read back by OCR (pages rendered at ``--ocr-dpi``), the share of source units found in one
passage with at least 95% of their words in order, and the share of extracted passages marked
as OCR.

Usage: python bench/fidelity.py [corpus/sources | tests/fixtures] [--styles formal,plain,modern,grid,columns]
       [--office] [--browser] [--baseline] [--show N]
       python bench/fidelity.py [corpus/sources] --formats docx,html,scan [--dpi 300] [--ocr-dpi 300] [--show N]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from difflib import SequenceMatcher
from pathlib import Path

from textmine.extract import Block, extract_blocks
from textmine.segment import PASSAGE_KINDS, assign_table_headers
from textmine.typeset import STYLES, Source, parse_source, render_browser_pdfs, render_office_pdfs, render_pdf, source_text, table_cells


def norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def score(units: list[str], passages: list[str]) -> dict:
    """Whole-and-in-order share of ``units``, and pure share of ``passages``."""
    units_n = [norm(u) for u in units if norm(u)]
    passages_n = [norm(p) for p in passages if norm(p)]
    whole, last, missing = 0, -1, []
    for u in units_n:
        hits = [i for i, p in enumerate(passages_n) if u in p]
        ordered = [i for i in hits if i >= last]
        if ordered:
            whole += 1
            last = ordered[0]
        else:
            missing.append(u)
    pure = sum(1 for p in passages_n if sum(1 for u in units_n if p in u) >= 1 and any(p in u for u in units_n))
    return {
        "whole": whole / max(len(units_n), 1),
        "pure": pure / max(len(passages_n), 1),
        "units": len(units_n),
        "passages": len(passages_n),
        "missing": missing,
        "impure": [p for p in passages_n if not any(p in u for u in units_n)],
    }


def header_score(source: Source, blocks: list[Block]) -> tuple[int, int]:
    """(cells with the right row and column header, cells) over the source's table cell units.

    Each unit is matched, in order, to the next extracted cell with the same text,
    else to the first cell from the last one matched that contains it.
    """
    cells = [b for b in assign_table_headers(blocks) if b.kind == "table_cell"]
    texts = [norm(b.text) for b in cells]
    right, last = 0, -1
    wanted = table_cells(source)
    for text, row_header, col_header in wanted:
        unit = norm(text)
        exact = next((i for i in range(last + 1, len(cells)) if texts[i] == unit), None)
        match = exact if exact is not None else next(
            (i for i in range(max(last, 0), len(cells)) if unit and unit in texts[i]), None)
        if match is None:
            continue
        last = match
        cell = cells[match]
        right += norm(cell.row_header or "") == norm(row_header or "") and norm(cell.col_header or "") == norm(col_header or "")
    return right, len(wanted)


def baseline_passages(pdf: Path) -> list[str]:
    import pdfplumber

    out = []
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            out += [line for line in (page.extract_text() or "").split("\n") if line.strip()]
            page.close()
    return out


def words_found(unit: str, passages: list[list[str]], share: float = 0.95) -> bool:
    """Whether one passage holds the unit whole (as ``score`` counts it) or at least ``share`` of its words, in order."""
    words = re.findall(r"[a-z0-9]+", unit.lower())
    if not words or any(norm(unit) in "".join(passage) for passage in passages):
        return True
    need = share * len(words)
    vocabulary = set(words)
    for passage in passages:
        if sum(1 for w in passage if w in vocabulary) < need:
            continue  # cannot hold enough of the unit's words
        blocks = SequenceMatcher(None, words, passage, autojunk=False).get_matching_blocks()
        if sum(b.size for b in blocks) >= need:
            return True
    return False


def words_recovered(unit: str, passages: list[list[str]]) -> int:
    """The most words of the unit that one passage holds in order."""
    words = re.findall(r"[a-z0-9]+", unit.lower())
    vocabulary = set(words)
    best = 0
    for passage in passages:
        if sum(1 for w in passage if w in vocabulary) <= best:
            continue
        blocks = SequenceMatcher(None, words, passage, autojunk=False).get_matching_blocks()
        best = max(best, sum(b.size for b in blocks))
    return best


def _format_passages(job: tuple[str, str, str, int, int]) -> list[tuple[str, bool]]:
    """Write one source in one format into a folder, read it back; (text, ocr) of each passage.

    A scan is made at ``dpi`` and its pages rendered for OCR at ``ocr_dpi``.
    """
    from textmine.extract import pages_to_blocks, read_pages
    from textmine.formats import extract_file
    from textmine.formats.ocr import mark_ocr_blocks, ocr_image_pages
    from textmine.formats.write import pdf_to_scan, source_to_docx, source_to_web_page

    name, fmt, folder, dpi, ocr_dpi = job
    source = parse_source((Path(folder) / "sources" / f"{name}.txt").read_text(encoding="utf-8"))
    out = Path(folder) / f"{name}.{fmt}"
    if fmt == "docx":
        source_to_docx(source, out)
    elif fmt == "html":
        source_to_web_page(source, out)
    else:
        out = pdf_to_scan(render_pdf(source, out.with_suffix(".print.pdf")), out.with_suffix(".pdf"), dpi=dpi)
        pages = ocr_image_pages(out, list(read_pages(out)), dpi=ocr_dpi)
        blocks = mark_ocr_blocks(pages_to_blocks(pages), pages)
        return [(b.text, b.ocr) for b in blocks if b.kind in PASSAGE_KINDS]
    return [(b.text, b.ocr) for b in extract_file(out) if b.kind in PASSAGE_KINDS]


def formats_fidelity(folder: Path, formats: list[str], dpi: int, ocr_dpi: int, show: int) -> None:
    """Score Word, web page and scan round trips of every source in ``folder`` (see the module docstring)."""
    names = [src.stem for src in sorted(folder.glob("*.txt"))]
    totals: dict[str, list[tuple[float, float]]] = {}
    pooled = [0, 0, 0, 0]  # scan: units found, units, words recovered in order, words
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(2) as pool:
        (Path(tmp) / "sources").mkdir()
        for name in names:
            (Path(tmp) / "sources" / f"{name}.txt").write_text((folder / f"{name}.txt").read_text(encoding="utf-8"), encoding="utf-8")
        jobs = [(name, fmt, tmp, dpi, ocr_dpi) for fmt in formats for name in names]
        for (name, fmt, *_), got in zip(jobs, pool.map(_format_passages, jobs)):
            source = parse_source((folder / f"{name}.txt").read_text(encoding="utf-8"))
            units = [text for kind, text in source_text(source) if kind in PASSAGE_KINDS]
            texts = [text for text, _ in got]
            if fmt == "scan":
                tokens = [re.findall(r"[a-z0-9]+", t.lower()) for t in texts]
                missing = [u for u in units if not words_found(u, tokens)]
                found = 1 - len(missing) / max(len(units), 1)
                pooled[0] += len(units) - len(missing)
                pooled[1] += len(units)
                pooled[2] += sum(words_recovered(u, tokens) for u in units)
                pooled[3] += sum(len(re.findall(r"[a-z0-9]+", u.lower())) for u in units)
                marked = sum(1 for _, ocr in got if ocr) / max(len(got), 1)
                totals.setdefault(fmt, []).append((found, marked))
                print(f"{name:32} scan@{dpi} ocr@{ocr_dpi} found(95% of words in order) {found:.3f} ocr-marked {marked:.3f}")
            else:
                s = score(units, texts)
                missing = s["missing"]
                totals.setdefault(fmt, []).append((s["whole"], s["pure"]))
                print(f"{name:32} {fmt:7} whole {s['whole']:.3f} pure {s['pure']:.3f}")
            for m in missing[:show]:
                print("   missing:", m[:150])
    print()
    for fmt, values in totals.items():
        a = sum(v[0] for v in values) / len(values)
        b = sum(v[1] for v in values) / len(values)
        labels = ("found", "ocr-marked") if fmt == "scan" else ("whole", "pure")
        print(f"mean {fmt:16} {labels[0]} {a:.3f} {labels[1]} {b:.3f} over {len(values)} documents")
    if pooled[1]:
        print(f"scan: {pooled[0]} of {pooled[1]} source units found ({pooled[0] / pooled[1]:.3f}); "
              f"{pooled[2] / pooled[3]:.4f} of their {pooled[3]} words recovered in order")
    print(f"{time.perf_counter() - started:.0f} s for {len(names)} sources x {len(formats)} formats, 2 processes")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="?", type=Path, default=Path("corpus/sources"))
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--show", type=int, default=0, help="print up to N failures per document")
    parser.add_argument("--baseline", action="store_true", help="also score plain pdfplumber extract_text()")
    parser.add_argument("--office", action="store_true",
                        help="also typeset every source with LibreOffice (a word processor's layout) and score that")
    parser.add_argument("--browser", action="store_true",
                        help="also print every source to PDF with headless Chromium and score that")
    parser.add_argument("--formats", default="", help="score these other formats instead: docx,html,scan")
    parser.add_argument("--dpi", type=int, default=300, help="resolution of the scans for --formats scan")
    parser.add_argument("--ocr-dpi", type=int, default=None,
                        help="resolution pages are rendered at for OCR (default: textmine's, formats.ocr.DEFAULT_DPI)")
    args = parser.parse_args()
    if args.formats:
        from textmine.formats.ocr import DEFAULT_DPI

        formats_fidelity(args.sources, args.formats.split(","), args.dpi, args.ocr_dpi or DEFAULT_DPI, args.show)
        return
    totals: dict[str, list[tuple[float, float]]] = {}
    headers: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sources = {src.stem: parse_source(src.read_text(encoding="utf-8")) for src in sorted(args.sources.glob("*.txt"))}
        made = {}
        if args.office:
            made["office"] = render_office_pdfs(sources, Path(tmp) / "office")
        if args.browser:
            made["browser"] = render_browser_pdfs(sources, Path(tmp) / "browser")
        for name, source in sources.items():
            units = [text for kind, text in source_text(source) if kind in PASSAGE_KINDS]
            for style in args.styles.split(",") + list(made):
                if style in made:
                    pdf = made[style][name]
                else:
                    pdf = render_pdf(source, Path(tmp) / f"{name}-{style}.pdf", style)
                blocks = extract_blocks(pdf)
                s = score(units, [b.text for b in blocks if b.kind in PASSAGE_KINDS])
                right, cells = header_score(source, blocks)
                totals.setdefault(style, []).append((s["whole"], s["pure"]))
                counts = headers.setdefault(style, [0, 0])
                counts[0] += right
                counts[1] += cells
                line = f"{name:32} {style:7} whole {s['whole']:.3f} pure {s['pure']:.3f} headers {right}/{cells}"
                if args.baseline:
                    b = score(units, baseline_passages(pdf))
                    totals.setdefault(style + "-baseline", []).append((b["whole"], b["pure"]))
                    line += f"   baseline whole {b['whole']:.3f} pure {b['pure']:.3f}"
                print(line)
                for m in s["missing"][: args.show]:
                    print("   missing:", m[:150])
                for m in s["impure"][: args.show]:
                    print("   impure: ", m[:150])
    print()
    print("| house style | recovery (units found whole, in order) | purity (passages that hold one unit) "
          "| table cells with the right headers | documents |")
    print("|---|---|---|---|---|")
    means = {}
    for style, values in totals.items():
        w = sum(v[0] for v in values) / len(values)
        p = sum(v[1] for v in values) / len(values)
        means[style] = (w, p)
        right, cells = headers.get(style, (0, 0))
        cell_text = f"{right}/{cells} ({right / cells:.3f})" if cells else "-"
        print(f"| {style} | {w:.3f} | {p:.3f} | {cell_text} | {len(values)} |")
    scored = {k: v for k, v in means.items() if not k.endswith("-baseline")}
    if scored:
        worst_whole = min(scored, key=lambda k: scored[k][0])
        worst_pure = min(scored, key=lambda k: scored[k][1])
        print(f"\nworst style: recovery {scored[worst_whole][0]:.3f} ({worst_whole}), "
              f"purity {scored[worst_pure][1]:.3f} ({worst_pure})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
