"""The report a person reads: charts (PNG and embedded in one HTML file) with the evidence behind them.

``build_report`` takes the passages and the aggregate tables and returns the HTML
text and the PNG bytes of each chart; writing them is the caller's job. The HTML
is self-contained (images inline, no scripts, no web fonts), so it opens with no
network.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import aggregate as ag
from . import taxonomy
from .audit import START
from .evaluate import accuracy_table
from .labels import LABEL_FIELDS, PASSAGE_COLUMNS, model_labels

THEME_NAMES = {
    "practice_and_service_delivery": "Practice & service delivery",
    "capacity_and_resources": "Capacity & resources",
    "working_together": "Working together",
    "voice_of_the_child": "Voice of the child",
    "performance_management": "Performance management",
    "vision_strategy_leadership": "Vision, strategy & leadership",
}
STAGE_COLOURS = {"insight": "#9ecae1", "action": "#3182bd", "outcome": "#e6550d"}
EXAMPLES_PER_CHART = 4
# The labels whose measured accuracy stands beside each chart.
CHART_HEADS = {
    "council_theme_heatmap": tuple(taxonomy.THEMES),
    "theme_by_timepoint": tuple(taxonomy.THEMES),
    "theme_by_year": tuple(taxonomy.THEMES),
    "stage_shift": tuple(taxonomy.STAGES),
    "recommendations_by_council": ("recommendation",),
}


@dataclass
class Chart:
    """One chart: its file name, title, what it shows, PNG bytes and example passages."""

    name: str
    title: str
    caption: str
    png: bytes
    evidence: list[dict] = field(default_factory=list)
    evidence_title: str = ""


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _examples(df: pd.DataFrame, mask, n: int = EXAMPLES_PER_CHART) -> list[dict]:
    """The passages behind a cell: the most confident first, one per document where possible."""
    part = df[mask].copy()
    if part.empty:
        return []
    part["_conf"] = [_top_score(s) for s in part["scores"]]
    part = part.sort_values("_conf", ascending=False).drop_duplicates("file").head(n)
    return part[["file", "page", "council", "timepoint", "section", "text"]].to_dict("records")


def _top_score(scores) -> float:
    """The highest probability in a passage's row of scores by head."""
    return float(np.max(scores))


def heatmap_chart(df: pd.DataFrame, prev: pd.DataFrame) -> Chart | None:
    rows = prev[(prev.axis == "theme") & (prev.timepoint == ag.ALL) & (prev.period == ag.ALL)
                & (prev.doc_type == ag.ALL) & (prev.council != ag.ALL) & (prev.council != ag.MISSING)]
    if rows.empty:
        return None
    import matplotlib.pyplot as plt

    table = rows.pivot(index="council", columns="label", values="share").reindex(columns=list(taxonomy.THEMES))
    fig, ax = plt.subplots(figsize=(8.5, 0.55 * len(table) + 2.2))
    im = ax.imshow(table.values * 100, cmap="Blues", aspect="auto", vmin=0)
    ax.set_xticks(range(len(table.columns)), [THEME_NAMES[c] for c in table.columns], rotation=30, ha="right")
    ax.set_yticks(range(len(table.index)), table.index)
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            v = table.values[i, j] * 100
            ax.text(j, i, f"{v:.0f}%", ha="center", va="center", color="white" if v > table.values.max() * 60 else "black", fontsize=8)
    fig.colorbar(im, ax=ax, label="% of the council's passages")
    ax.set_title("Share of passages on each theme, by council")
    i, j = np.unravel_index(np.nanargmax(table.values), table.shape)
    council, theme = table.index[i], table.columns[j]
    mask = (df["council"] == council) & df["themes"].map(lambda v: theme in v)
    return Chart(
        "council_theme_heatmap", "Themes by council",
        "Each cell is the share of a council's passages that the classifier put on a theme (a passage can carry several).",
        _png(fig), _examples(df, mask), f"Evidence for the largest cell: {council}, {THEME_NAMES[theme]}",
    )


def _theme_lines(rows: pd.DataFrame, column: str, order: list[str], title: str):
    """Theme shares (with 95% intervals) along the values of ``column``, as a figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for k, theme in enumerate(taxonomy.THEMES):
        r = rows[rows.label == theme].set_index(column).reindex(order)
        x = np.arange(len(order)) + (k - 2.5) * 0.06
        below = np.clip((r.share - r.ci_low).fillna(0).to_numpy() * 100, 0, None)
        above = np.clip((r.ci_high - r.share).fillna(0).to_numpy() * 100, 0, None)
        ax.errorbar(x, r.share * 100, yerr=[below, above], marker="o", capsize=3, label=THEME_NAMES[theme])
    ax.set_xticks(range(len(order)), order)
    ax.set_ylabel("% of passages (95% Wilson interval)")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    return fig


def _theme_rows(prev: pd.DataFrame, column: str) -> pd.DataFrame:
    """Theme prevalence rows grouped by ``column`` alone (every other grouping column a margin)."""
    mask = (prev.axis == "theme") & (prev[column] != ag.ALL) & (prev[column] != ag.MISSING)
    for other in ag.GROUP_COLUMNS:
        if other != column:
            mask &= prev[other] == ag.ALL
    return prev[mask]


def timepoint_chart(df: pd.DataFrame, prev: pd.DataFrame) -> Chart | None:
    rows = _theme_rows(prev, "timepoint")
    if rows.empty:
        return None
    order = [t for t in ag.TIMEPOINTS if t in set(rows.timepoint)] + sorted(set(rows.timepoint) - set(ag.TIMEPOINTS))
    fig = _theme_lines(rows, "timepoint", order, "Theme shares across timepoints")
    diff = _largest_change(rows, "3-6m", "12m")
    evidence, title = [], ""
    if diff:
        theme, _ = diff
        mask = (df["timepoint"] == "12m") & df["themes"].map(lambda v: theme in v)
        evidence, title = _examples(df, mask), f"Evidence at 12 months: {THEME_NAMES[theme]}"
    return Chart("theme_by_timepoint", "Themes over the impact journey",
                 "Share of all passages at each timepoint that carry each theme; bars are 95% intervals.",
                 _png(fig), evidence, title)


def period_chart(df: pd.DataFrame, prev: pd.DataFrame) -> Chart | None:
    rows = _theme_rows(prev, "period")
    order = sorted(set(rows.period))
    if len(order) < 2:
        return None
    fig = _theme_lines(rows, "period", order, "Theme shares by calendar year")
    latest = order[-1]
    top = rows[rows.period == latest].sort_values("share", ascending=False).iloc[0]
    mask = (df["period"] == latest) & df["themes"].map(lambda v: top.label in v)
    return Chart("theme_by_year", "Themes over calendar time",
                 "Share of all passages dated in each year that carry each theme; bars are 95% intervals.",
                 _png(fig), _examples(df, mask), f"Evidence for {latest}: {THEME_NAMES[top.label]}")


def _largest_change(rows: pd.DataFrame, before: str, after: str) -> tuple[str, float] | None:
    if not {before, after} <= set(rows.timepoint):
        return None
    a = rows[rows.timepoint == before].set_index("label").share
    b = rows[rows.timepoint == after].set_index("label").share
    change = (b - a).dropna()
    if change.empty:
        return None
    label = change.abs().idxmax()
    return label, float(change[label])


def stage_chart(df: pd.DataFrame, shift: pd.DataFrame) -> Chart | None:
    rows = shift[shift.timepoint.isin(["3-6m", "12m"])]
    if rows.empty:
        return None
    import matplotlib.pyplot as plt

    themes = [t for t in [ag.ALL, *taxonomy.THEMES] if t in set(rows.theme)]
    fig, ax = plt.subplots(figsize=(9, 4.4))
    labels = []
    y = 0
    for theme in themes:
        for tp in ("3-6m", "12m"):
            r = rows[(rows.theme == theme) & (rows.timepoint == tp)].set_index("stage")
            if r.empty or r.staged_total.iloc[0] == 0:
                continue
            left = 0.0
            for stage in taxonomy.STAGES:
                share = float(r.share.get(stage, 0) or 0) * 100
                ax.barh(y, share, left=left, color=STAGE_COLOURS[stage], label=stage if y == 0 else None)
                left += share
            labels.append(f"{'All passages' if theme == ag.ALL else THEME_NAMES[theme]} - {tp} (n={int(r.staged_total.iloc[0])})")
            y += 1
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("% of the theme's passages that have a stage")
    ax.set_title("From insight and action to outcome: 3-6 months vs 12 months")
    ax.legend(loc="lower right", fontsize=8)
    mask = (df["timepoint"] == "12m") & (df["stage"] == "outcome")
    return Chart("stage_shift", "The impact journey by theme",
                 "For each theme, the balance of insight, action and outcome among its passages at 3-6 and 12 months.",
                 _png(fig), _examples(df, mask), "Evidence: outcomes reported at 12 months")


def recommendation_chart(df: pd.DataFrame, comparison: pd.DataFrame) -> Chart | None:
    if comparison.empty or comparison.recommendations.sum() == 0:
        return None
    import matplotlib.pyplot as plt

    table = comparison.pivot(index="council", columns="theme", values="recommendations").reindex(columns=list(taxonomy.THEMES))
    fig, ax = plt.subplots(figsize=(9, 4.2))
    bottom = np.zeros(len(table))
    colours = plt.cm.tab10.colors
    for k, theme in enumerate(table.columns):
        ax.bar(range(len(table)), table[theme].values, bottom=bottom, label=THEME_NAMES[theme], color=colours[k])
        bottom += table[theme].values
    ax.set_xticks(range(len(table)), [c or "(no council)" for c in table.index], rotation=20, ha="right")
    ax.set_ylabel("recommendations (a recommendation may count under several themes)")
    ax.set_title("Recommendation themes by council")
    ax.legend(fontsize=7, ncol=2)
    best = comparison.dropna(subset=["std_residual"]).sort_values("std_residual", ascending=False).head(1)
    evidence, title = [], ""
    if not best.empty:
        c, t = best.iloc[0]["council"], best.iloc[0]["theme"]
        mask = df["recommendation"].fillna(False).astype(bool) & (df["council"] == c) & df["themes"].map(lambda v: t in v)
        evidence, title = _examples(df, mask), f"Evidence for the largest excess: {c or '(no council)'}, {THEME_NAMES[t]}"
    return Chart("recommendations_by_council", "Recommendations by council",
                 "Counts of recommendation passages per council and theme.", _png(fig), evidence, title)


def summary_sentences(prev: pd.DataFrame, shift: pd.DataFrame, comparison: pd.DataFrame) -> list[str]:
    """The largest changes and differences, in words, each with its numbers."""
    out = []
    theme_rows = prev[(prev.axis == "theme") & (prev.council == ag.ALL) & (prev.period == ag.ALL) & (prev.doc_type == ag.ALL)]
    change = _largest_change(theme_rows, "3-6m", "12m")
    if change:
        label, delta = change
        out.append(f"Between 3-6 and 12 months the largest change in theme share is {THEME_NAMES[label]}: "
                   f"{'up' if delta > 0 else 'down'} {abs(delta) * 100:.1f} percentage points.")
    all_rows = shift[shift.theme == ag.ALL]
    for stage in ("action", "outcome"):
        a = all_rows[(all_rows.timepoint == "3-6m") & (all_rows.stage == stage)]
        b = all_rows[(all_rows.timepoint == "12m") & (all_rows.stage == stage)]
        if not a.empty and not b.empty:
            out.append(f"{stage.capitalize()}s make up {a.share.iloc[0] * 100:.0f}% of staged passages at 3-6 months "
                       f"and {b.share.iloc[0] * 100:.0f}% at 12 months.")
    outcome = shift[(shift.theme != ag.ALL) & (shift.stage == "outcome")]
    rises = {}
    for theme, part in outcome.groupby("theme"):
        a, b = part[part.timepoint == "3-6m"], part[part.timepoint == "12m"]
        if not a.empty and not b.empty and a.staged_total.iloc[0] and b.staged_total.iloc[0]:
            rises[theme] = (b.share.iloc[0] - a.share.iloc[0], a.share.iloc[0], b.share.iloc[0])
    if rises:
        first = max(rises, key=lambda t: rises[t][0])
        last = min(rises, key=lambda t: rises[t][0])
        out.append(f"Outcomes rise most on {THEME_NAMES[first]} ({rises[first][1] * 100:.0f}% to {rises[first][2] * 100:.0f}% "
                   f"of its staged passages) and least on {THEME_NAMES[last]} ({rises[last][1] * 100:.0f}% to "
                   f"{rises[last][2] * 100:.0f}%).")
    if not all_rows.empty and not math.isnan(all_rows.shift_p.iloc[0]):
        out.append(f"The stage balance differs between 3-6 and 12 months (chi-square {all_rows.shift_chi2.iloc[0]:.1f}, "
                   f"p = {all_rows.shift_p.iloc[0]:.3g}).")
    res = comparison.dropna(subset=["std_residual"]).sort_values("std_residual", ascending=False)
    if not res.empty:
        top = res.iloc[0]
        out.append(f"{top.council or '(no council)'} received unusually many recommendations on {THEME_NAMES[top.theme]} "
                   f"({int(top.recommendations)} against {top.expected:.1f} expected; adjusted residual {top.std_residual:.1f}; "
                   f"overall test p = {top.p_value:.3g}).")
    return out


def overall_rows(prev: pd.DataFrame) -> pd.DataFrame:
    """The prevalence rows over all passages (every grouping column a margin), indexed by label."""
    mask = np.ones(len(prev), dtype=bool)
    for column in ag.GROUP_COLUMNS:
        mask &= (prev[column] == ag.ALL).to_numpy()
    return prev[mask].set_index("label")


def _pct(value: float) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value * 100:.1f}%"


def _ratio(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.2f}"


def accuracy_sentences(prev: pd.DataFrame, accuracy: pd.DataFrame) -> list[str]:
    """Where the corrected shares and the raw counts disagree, in words, one sentence or two per axis."""
    overall = overall_rows(prev)
    out = []
    for axis in taxonomy.AXES:
        rows = overall[overall.axis == axis]
        scored = accuracy[accuracy.axis == axis]
        raw, corrected = float(rows.share.sum()), float(rows.share_corrected.sum())
        tp, fp, fn = (int(scored[c].sum()) for c in ("tp", "fp", "fn"))
        found = f"it finds {tp} of the {tp + fn} {axis} labels the audit gives" if tp + fn else f"the audit gives no {axis} label"
        right = f"{tp} of its {tp + fp} are right" if tp + fp else f"it gives no {axis} label on the audited passages"
        name = axis.capitalize()
        if raw == 0:
            out.append(f"The model gives no passage a {axis} label; corrected by the audit, {axis} labels cover "
                       f"{corrected * 100:.0f}% of passages together ({found}).")
        elif corrected >= 1.25 * raw:
            share = tp / (tp + fn) if tp + fn else 1.0
            misses = "most" if share < 0.5 else "many" if share < 0.8 else "some"
            out.append(f"{name} shares are about {corrected / raw:.1f} times the raw counts; the model misses {misses} "
                       f"of them on this corpus ({found}; {right}).")
        elif corrected <= 0.8 * raw:
            out.append(f"{name} shares are about {corrected / raw:.1f} times the raw counts: the model gives {axis} labels "
                       f"that the audit does not ({right}; {found}).")
        else:
            out.append(f"{name} shares are close to the raw counts (together {corrected * 100:.0f}% against "
                       f"{raw * 100:.0f}%); {found}, and {right}.")
        outside = rows[(rows.share < rows.corrected_low) | (rows.share > rows.corrected_high)]
        if len(outside):
            out.append(f"Raw {axis} shares outside their corrected interval: " + "; ".join(
                f"{label} (raw {_pct(r.share)}, corrected {_pct(r.share_corrected)}, "
                f"{_pct(r.corrected_low)}-{_pct(r.corrected_high)})" for label, r in outside.iterrows()) + ".")
    return out


def _accuracy_rows(heads, prev: pd.DataFrame, accuracy: pd.DataFrame, compact: bool = False) -> str:
    """A table of the labels ``heads``: raw and corrected share, and the model's scores on the audit.

    ``compact`` (beside a chart) keeps the shares and the recall; the audit's
    positives, precision, F1 and kappa stand in the accuracy section.
    """
    overall = overall_rows(prev)
    scored = accuracy.set_index("label")
    columns = (["label", "raw (95%)", "corrected (95%)", "recall"] if compact else
               ["label", "raw share (95% Wilson)", "corrected share (95% PPI)", "positives in audit", "recall",
                "precision", "F1", "kappa"])
    rows = []
    for head in heads:
        a = scored.loc[head]
        raw = (f"{_pct(overall.share[head])} ({_pct(overall.ci_low[head])}-{_pct(overall.ci_high[head])})"
               if head in overall.index else "-")
        corrected = (f"{_pct(overall.share_corrected[head])} ({_pct(overall.corrected_low[head])}-"
                     f"{_pct(overall.corrected_high[head])})" if head in overall.index else "-")
        cells = [html.escape(THEME_NAMES.get(head, head)), raw, corrected, _ratio(a.recall)] if compact else [
            html.escape(THEME_NAMES.get(head, head)), raw, corrected, str(int(a.tp + a.fn)), _ratio(a.recall),
            _ratio(a.precision), _ratio(a.f1), _ratio(a.kappa)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = "<tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    return f"<table class='accuracy'>{header}{''.join(rows)}</table>"


def no_audit_html(out: str = "OUT") -> str:
    """What the report says when no accuracy has been measured, and how to start."""
    return ("<div class='notes' id='accuracy'><strong>No accuracy has been measured on this corpus.</strong> The shares "
            "below are the classifier's counts, and their intervals assume its labels are right; on real reports it can "
            "miss many of the passages that carry a label. To measure it, draw an audit sample: "
            f"<code>{html.escape(START.format(out=out))}</code>, label its passages in the browser's Audit page "
            f"(<code>textmine browse {html.escape(out)}</code>) or import labels made elsewhere "
            f"(<code>textmine audit {html.escape(out)} --labels FILE.jsonl</code>), and run again: the report then "
            "shows the measured accuracy and corrected shares beside the raw ones.</div>")


def accuracy_html(prev: pd.DataFrame, accuracy: pd.DataFrame) -> str:
    """The report's section on the model's accuracy measured by the audit, and the corrected shares."""
    audited = int(accuracy.audited.max())
    parts = [
        "<section id='accuracy'><h2>Accuracy on this corpus</h2>",
        f"<p>Measured on an audit of {audited} passages drawn at random from this corpus and labelled by a researcher "
        "without seeing the model's labels. Corrected shares combine the model's labels on every passage with its "
        "errors on the audit (prediction-powered inference; 95% intervals): they are unbiased whatever the model's "
        "errors, and an audit of a few dozen passages gives wide intervals.</p>",
        "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in accuracy_sentences(prev, accuracy)) + "</ul>",
    ]
    for axis, heads in taxonomy.AXES.items():
        parts.append(f"<h3>{axis.capitalize()}s</h3>{_accuracy_rows(heads, prev, accuracy)}")
    parts.append("</section>")
    return "".join(parts)


def chart_accuracy_html(chart: Chart, prev: pd.DataFrame, accuracy: pd.DataFrame | None) -> str:
    """The measured accuracy and corrected shares of a chart's labels, for beside the chart."""
    if accuracy is None:
        return "<p class='muted accuracy-note'>No accuracy measured on this corpus yet (see above).</p>"
    return f"<h4>Measured on this corpus</h4>{_accuracy_rows(CHART_HEADS[chart.name], prev, accuracy, compact=True)}"


def build_charts(passages: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> list[Chart]:
    import matplotlib

    matplotlib.use("Agg")
    df = ag.prepare(passages)
    charts = [
        heatmap_chart(df, tables["prevalence"]),
        timepoint_chart(df, tables["prevalence"]),
        period_chart(df, tables["prevalence"]),
        stage_chart(df, tables["stage_shift"]),
        recommendation_chart(df, tables["recommendation_comparison"]),
    ]
    return [c for c in charts if c is not None]


def missing_charts(df: pd.DataFrame, drawn: list[Chart]) -> list[str]:
    """Why each chart that is not in the report is missing, one sentence per chart, in report order.

    ``df`` is the prepared passages table (``aggregate.prepare``).
    """
    if df.empty:
        return []
    names = {c.name for c in drawn}
    has = {col: set(df[col]) - {ag.MISSING} for col in ("council", "timepoint", "period")}
    recs = df[df["recommendation"].fillna(False).astype(bool)]
    years = f"all dated passages are from {', '.join(sorted(has['period']))}" if has["period"] else "no passage has a date"
    reasons = {
        "council_theme_heatmap": "Themes by council: no passage has a council (give each document one in manifest.csv).",
        "theme_by_timepoint": "Themes over the impact journey: no passage has a timepoint (pre, review, 3-6m or 12m in manifest.csv).",
        "theme_by_year": f"Themes over calendar time: needs documents dated in at least two years; {years}.",
        "stage_shift": (
            "The impact journey by theme: no documents at 3-6m or 12m." if not {"3-6m", "12m"} & has["timepoint"]
            else "The impact journey by theme: no passage at 3-6m or 12m has a stage (insight, action or outcome)."
        ),
        "recommendations_by_council": (
            "Recommendations by council: no passage was classified as a recommendation." if recs.empty
            else f"Recommendations by council: none of the {len(recs)} recommendations carries a theme."
        ),
    }
    notes = [reason for name, reason in reasons.items() if name not in names]
    labelled = sum(bool(len(t) or len(f) or s) for t, f, s in zip(df["themes"], df["factors"], df["stage"]))
    if not labelled and notes:
        notes.append(f"None of the {len(df):,} passages carries a theme, factor or stage.")
    elif not drawn:
        notes.insert(0, f"No chart could be drawn, although {labelled:,} of {len(df):,} passages carry a theme, factor or stage:")
    return notes


def _evidence_html(chart: Chart) -> str:
    if not chart.evidence:
        return "<p class='muted'>No passages behind this chart.</p>"
    items = "".join(
        f"<li><q>{html.escape(e['text'][:400])}</q><br><span class='src'>{html.escape(str(e['file']))}, page {e['page']}"
        f"{' &middot; ' + html.escape(e['section']) if e.get('section') else ''}</span></li>"
        for e in chart.evidence
    )
    return f"<h4>{html.escape(chart.evidence_title)}</h4><ul class='evidence'>{items}</ul>"


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em} .muted{color:#777} .chart{display:flex;gap:1.5em;border-top:1px solid #ddd;padding:1em 0}
.chart img{max-width:640px;width:60%} .chart .side{flex:1;font-size:.9em} .evidence li{margin:.5em 0}
.src{color:#555;font-size:.85em} table{border-collapse:collapse;font-size:.85em} td,th{border:1px solid #ccc;padding:2px 6px}
.notes{background:#fff8e1;padding:.6em 1em;border-left:4px solid #f0b400}
table.accuracy td:not(:first-child){text-align:right;white-space:nowrap} .side table.accuracy{font-size:.8em}
"""


def _corrected(df: pd.DataFrame) -> str:
    n = int((df["label_source"] == "human").sum()) if len(df) else 0
    return f"{n} passage{'' if n == 1 else 's'}"


def build_report(passages: pd.DataFrame, tables: dict[str, pd.DataFrame], title: str = "textmine report",
                 out: str = "OUT") -> tuple[str, dict[str, bytes]]:
    """The report HTML and the charts as PNG bytes by file name.

    With an audit (``tables["accuracy"]``) it shows the measured accuracy and the
    corrected shares, and beside each chart those of its labels; without one it
    says that no accuracy has been measured and how to start (naming ``out``).
    """
    accuracy = tables.get("accuracy")
    charts = build_charts(passages, tables)
    notes = ag.data_gaps(passages)
    summary = summary_sentences(tables["prevalence"], tables["stage_shift"], tables["recommendation_comparison"])
    df = ag.prepare(passages)
    missing = missing_charts(df, charts)
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='muted'>{len(df)} passages from {df['file'].nunique() if len(df) else 0} documents, "
        f"{len(set(df['council']) - {ag.MISSING}) if len(df) else 0} councils. Labels come from the classifier, "
        f"except for {_corrected(df)} corrected by a researcher, which count with their corrected labels; "
        "every number below can be checked against the passages quoted beside it.</p>",
    ]
    if summary:
        parts.append("<h2>Summary</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in summary) + "</ul>")
    parts.append(no_audit_html(out) if accuracy is None else accuracy_html(tables["prevalence"], accuracy))
    if notes:
        parts.append("<div class='notes'><strong>What the data lacks</strong><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul></div>")
    for chart in charts:
        data = base64.b64encode(chart.png).decode("ascii")
        parts.append(
            f"<section class='chart' id='{chart.name}'><img alt='{html.escape(chart.title)}' src='data:image/png;base64,{data}'>"
            f"<div class='side'><h3>{html.escape(chart.title)}</h3><p>{html.escape(chart.caption)}</p>"
            f"{chart_accuracy_html(chart, tables['prevalence'], accuracy)}{_evidence_html(chart)}</div></section>"
        )
    if missing:
        parts.append("<div class='notes' id='missing-charts'><strong>Charts not drawn, and why</strong><ul>"
                     + "".join(f"<li>{html.escape(m)}</li>" for m in missing) + "</ul></div>")
    if not charts and df.empty:
        parts.append("<p>No charts: there are no passages to count.</p>")
    parts.append("</body></html>")
    return "".join(parts), {f"charts/{c.name}.png": c.png for c in charts}


def all_tables(passages: pd.DataFrame, audit: dict[str, dict] | None = None) -> dict[str, pd.DataFrame]:
    """Every aggregate table by its name (file stem); with audit answers (by passage id), ``accuracy`` too."""
    tables = {
        "prevalence": ag.prevalence(passages, audit),
        "document_prevalence": ag.document_prevalence(passages),
        "recommendations": ag.recommendations(passages),
        "recommendation_comparison": ag.recommendation_comparison(passages),
        "stage_shift": ag.stage_shift(passages),
        "cooccurrence": ag.cooccurrence(passages),
    }
    if audit:
        audited = passages[passages["id"].isin(list(audit))]
        model = [model_labels(r) for r in audited.reindex(columns=[*LABEL_FIELDS, "model_labels"]).to_dict("records")]
        tables["accuracy"] = accuracy_table([audit[i] for i in audited["id"]], model)
    return tables


def output_files(passages: list[dict], title: str = "textmine report", audit: dict[str, dict] | None = None,
                 out: str = "OUT") -> tuple[dict[str, bytes], dict[str, pd.DataFrame], list[str]]:
    """Every aggregate CSV, the report and its charts as bytes by file name, plus the tables and summary.

    ``audit`` holds the audit's label sets by passage id (``run.audit_answers``):
    with it, ``accuracy.csv`` and the corrected shares in ``prevalence.csv``.
    """
    # object columns: no copy of every passage's text into another string type
    df = ag.prepare(pd.DataFrame({c: pd.Series([p.get(c) for p in passages], dtype=object) for c in PASSAGE_COLUMNS}))
    tables = all_tables(df, audit)
    files = {f"{name}.csv": ag.to_csv(table) for name, table in tables.items()}
    report_html, charts = build_report(df, tables, title, out)
    files["report.html"] = report_html.encode("utf-8")
    files.update(charts)
    summary = summary_sentences(tables["prevalence"], tables["stage_shift"], tables["recommendation_comparison"])
    if "accuracy" in tables:
        summary += accuracy_sentences(tables["prevalence"], tables["accuracy"])
    return files, tables, summary
