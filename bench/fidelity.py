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

Usage: python bench/fidelity.py [corpus/sources | tests/fixtures] [--styles formal,plain,modern,grid,columns]
       [--office] [--browser] [--baseline] [--show N]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
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
    args = parser.parse_args()
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
