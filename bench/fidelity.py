"""Measure extraction fidelity on typeset documents whose source text is known.

For every source in a folder (sample markup, see corpus/sources/FORMAT.md) it
typesets the PDF in each house style, extracts it with textmine, and prints:

- whole: share of source paragraphs, bullets and table cells that come out whole
  inside one extracted passage, in reading order;
- pure: share of extracted passages that are a piece of exactly one source unit;
- the same two figures for plain pdfplumber ``extract_text()`` split at blank lines
  or line ends, as a baseline.

Usage: python bench/fidelity.py [corpus/sources] [--styles formal,plain,modern] [--office] [--browser] [--baseline] [--show N]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from textmine.extract import extract_blocks
from textmine.segment import PASSAGE_KINDS
from textmine.typeset import parse_source, render_browser_pdfs, render_office_pdfs, render_pdf, source_text


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
    parser.add_argument("--styles", default="formal,plain,modern")
    parser.add_argument("--show", type=int, default=0, help="print up to N failures per document")
    parser.add_argument("--baseline", action="store_true", help="also score plain pdfplumber extract_text()")
    parser.add_argument("--office", action="store_true",
                        help="also typeset every source with LibreOffice (a word processor's layout) and score that")
    parser.add_argument("--browser", action="store_true",
                        help="also print every source to PDF with headless Chromium and score that")
    args = parser.parse_args()
    totals: dict[str, list[float]] = {}
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
                passages = [b.text for b in extract_blocks(pdf) if b.kind in PASSAGE_KINDS]
                s = score(units, passages)
                totals.setdefault(style, []).append((s["whole"], s["pure"]))
                line = f"{name:32} {style:7} whole {s['whole']:.3f} pure {s['pure']:.3f}"
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
    for style, values in totals.items():
        w = sum(v[0] for v in values) / len(values)
        p = sum(v[1] for v in values) / len(values)
        print(f"mean {style:16} whole {w:.3f} pure {p:.3f} over {len(values)} documents")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
