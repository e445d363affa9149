"""Rebuild the sample corpus documents and manifest.csv from corpus/sources/*.txt.

Each source is typeset as a PDF unless its ``% format:`` line says ``docx`` (a Word
document), ``html`` (a page of the council's website) or ``scan`` (the PDF printed,
scanned at 300 dpi and saved as an image-only PDF).

Usage: python corpus/build_sample.py [--sources corpus/sources] [--out corpus/sample]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

from textmine.formats.write import pdf_to_scan, source_to_docx, source_to_web_page
from textmine.typeset import Source, parse_source, render_pdf

HERE = Path(__file__).resolve().parent
FORMATS = ("pdf", "docx", "html", "scan")


def render(source: Source, stem: str, out: Path) -> Path:
    """Write one source in the format its front matter names; return the file."""
    kind = source.meta.get("format", "pdf")
    if kind not in FORMATS:
        raise ValueError(f"{stem}: unknown format {kind!r}: use one of {', '.join(FORMATS)}")
    if kind == "docx":
        path = out / f"{stem}.docx"
        source_to_docx(source, path)
        return path
    if kind == "html":
        return source_to_web_page(source, out / f"{stem}.html")
    if kind == "scan":
        with tempfile.TemporaryDirectory() as tmp:
            printed = render_pdf(source, Path(tmp) / f"{stem}.pdf")
            return pdf_to_scan(printed, out / f"{stem}.pdf", dpi=300, seed=len(stem))
    return render_pdf(source, out / f"{stem}.pdf")


def build(sources: Path, out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for src in sorted(sources.glob("*.txt")):
        source = parse_source(src.read_text(encoding="utf-8"))
        made = render(source, src.stem, out)
        rows.append({"file": made.name, **{k: source.meta.get(k, "") for k in ("council", "date", "timepoint", "doc_type")}})
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
    print(f"built {len(rows)} documents in {args.out}")
