"""The real report through the whole pipeline: typeset, `textmine run`, passages aligned to the hand labels.

Used by ``bench/real_text.py --pipeline``. The real passages (with the layout
``real_text.load_real`` rebuilt) are written as one source in the sample markup
(corpus/sources/FORMAT.md): a heading where the heading changes, paragraphs,
bullets, the recommendations as one table (a row per factor, a column per
audience, one cell bullet per recommendation) and the appendix lines as a list.
That source is typeset in each research-report house style (``grid``: one column,
grid-ruled tables; ``columns``: two columns, tables ruled by horizontal lines
only), run through ``textmine run`` with the model under test, and every real
passage is matched to the extracted passage(s) holding its text. A real passage
with no match counts as one the model labelled with nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STYLES = ("grid", "columns")
FACTOR_ORDER = ("team_composition", "staff_and_partner_involvement", "flexibility", "focus_and_depth", "engagement",
                "recommendations", "monitoring", "local_context_and_timing")


def norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def source_markup(real: list[dict], style: str) -> str:
    """The real passages as one source document in the sample markup."""
    from real_text import COLUMNS, ROW_NAMES

    lines = ["% title: The longer-term impact of safeguarding children peer reviews", "% council:",
             "% doc_type: research", f"% style: {style}", "% publisher: (a published evaluation report)", ""]
    heading, table_done = None, False
    cells: dict[tuple[str, str], list[str]] = {}
    for e in real:
        if e["kind"] == "table_cell" and e.get("col_header"):
            factor = next((f for f, name in ROW_NAMES.items() if name == e["row_header"]), "")
            audience = next(a for a, name in COLUMNS.items() if name == e["col_header"])
            cells.setdefault((factor, audience), []).append(e["text"])
    for e in real:
        if e["section"] != heading:
            heading = e["section"]
            lines += ["", f"# {heading}", ""]
        if e["kind"] == "table_cell" and e.get("col_header"):
            if not table_done:
                lines += ["", "| Factor | " + " | ".join(COLUMNS.values()) + " |"]
                for factor in [f for f in FACTOR_ORDER if any(k[0] == f for k in cells)]:
                    row = [" ".join(f"* {t}" for t in cells.get((factor, a), [])) or "-" for a in COLUMNS]
                    lines.append(f"| {ROW_NAMES[factor]} | " + " | ".join(row) + " |")
                lines.append("")
                table_done = True
        elif e["kind"] in ("bullet", "table_cell"):
            lines.append(f"- {e['text']}")
        else:
            lines += ["", e["text"], ""]
    return "\n".join(lines) + "\n"


def align(real: list[dict], extracted: list[dict]) -> tuple[list[dict], int]:
    """For each real passage, the union of the labels of the extracted passages that hold its text.

    An extracted passage holds a real one when either text contains the other
    (letters and digits only). Returns the predictions and how many real passages
    found no extracted passage.
    """
    pieces = [(norm(p["text"]), p) for p in extracted if norm(p["text"])]
    predictions, missing = [], 0
    for e in real:
        target = norm(e["text"])
        hits = [p for n, p in pieces if (n in target and len(n) >= 0.2 * len(target)) or target in n]
        if not hits:
            missing += 1
        themes = sorted({t for p in hits for t in p["themes"]})
        factors = sorted({f for p in hits for f in p["factors"]})
        stages = [p["stage"] for p in hits if p["stage"]]
        recs = [p for p in hits if p["recommendation"]]
        predictions.append({"themes": themes, "factors": factors, "stage": stages[0] if stages else None,
                            "recommendation": bool(recs), "audience": recs[0]["audience"] if recs else None})
    return predictions, missing


def pipeline_rows(real: list[dict], model: Path | None) -> list[tuple[str, dict]]:
    """Scores of a real `textmine run` over the real report typeset in each research house style."""
    from real_text import scores

    from textmine import store
    from textmine.typeset import parse_source, render_pdf

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for style in STYLES:
            corpus = Path(tmp) / style / "corpus"
            corpus.mkdir(parents=True)
            render_pdf(parse_source(source_markup(real, style)), corpus / f"real-report-{style}.pdf", style)
            out = Path(tmp) / style / "out"
            cmd = [sys.executable, "-m", "textmine.cli", "run", str(corpus), "--out", str(out)]
            if model:
                cmd += ["--model", str(model)]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            predictions, missing = align(real, store.read_passages(out / "passages.parquet"))
            rows.append((f"real report, `textmine run` on its PDF ({style} style; {missing} passages not found)",
                         scores(real, predictions)))
    return rows
