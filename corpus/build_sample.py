"""Rebuild the sample corpus PDFs and manifest.csv from corpus/sources/*.txt.

Usage: python corpus/build_sample.py [--sources corpus/sources] [--out corpus/sample]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from textmine.typeset import parse_source, render_pdf

HERE = Path(__file__).resolve().parent


def build(sources: Path, out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for src in sorted(sources.glob("*.txt")):
        source = parse_source(src.read_text(encoding="utf-8"))
        pdf = out / f"{src.stem}.pdf"
        render_pdf(source, pdf)
        rows.append({"file": pdf.name, **{k: source.meta.get(k, "") for k in ("council", "date", "timepoint", "doc_type")}})
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "council", "date", "timepoint", "doc_type"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=HERE / "sources")
    parser.add_argument("--out", type=Path, default=HERE / "sample")
    args = parser.parse_args()
    rows = build(args.sources, args.out)
    print(f"built {len(rows)} PDFs in {args.out}")
