"""Prevalence tables: how often each label appears, by council, timepoint, period and document type.

Every function takes the passages table (one row per passage, as in
``passages.parquet``) and returns a plain DataFrame. ``ALL`` marks a margin (a
row over all values of that column); a missing value is its own group and is
written empty. Headings are never passages, so they never count.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import taxonomy
from .corpus import TIMEPOINTS, period
from .labels import HEAD_AXES, LABEL_FIELDS, head_names, indicator_matrix, join_labels, model_labels

ALL = "all"
GROUP_COLUMNS = ("council", "timepoint", "period", "doc_type")
# The groupings written to prevalence.csv: which columns are grouped, the rest are margins.
GROUPINGS: tuple[tuple[str, ...], ...] = (
    ("council", "timepoint"),
    ("council",),
    ("timepoint",),
    ("period",),
    ("doc_type",),
    (),
)
MISSING = ""
Z95 = 1.959964
# A group's own audited passages correct its shares when it has at least this many; a group with
# fewer takes the correction measured on the whole audit (and its note says so).
MIN_GROUP_AUDIT = 10
# Pseudo-errors each way in the variance of the model's error on the audit (see ``ppi_mean``).
PSEUDO_ERRORS = 1


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval for a proportion; (nan, nan) when ``total`` is 0.

    >>> [round(x, 4) for x in wilson(8, 20)]
    [0.2188, 0.6134]
    """
    if total <= 0:
        return (math.nan, math.nan)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def prepare(passages: pd.DataFrame) -> pd.DataFrame:
    """Passages with a ``period`` column and missing group values as ``MISSING`` (once: idempotent)."""
    if passages.attrs.get("prepared"):
        return passages
    df = passages.copy()
    if "period" not in df:
        df["period"] = [period(d) for d in df.get("date", pd.Series([None] * len(df)))]
    for col in GROUP_COLUMNS:
        if col not in df:
            df[col] = None
        df[col] = df[col].astype(object).where(df[col].notna(), MISSING).astype(str)
    for col in ("themes", "factors"):
        df[col] = [v if isinstance(v, list) else list(v) if isinstance(v, (tuple, np.ndarray)) else [] for v in df[col]]
    df["stage"] = df["stage"].astype(object).where(df["stage"].notna(), None)
    df.attrs["prepared"] = True
    return df


def indicators(df: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per head (``labels.head_names``), one row per passage: does it carry the head."""
    return pd.DataFrame(indicator_matrix(df[list(LABEL_FIELDS)].to_dict("records")), columns=head_names(), index=df.index)


def label_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """The indicators of the taxonomy's labels, with columns (axis, label) as the tables name them."""
    heads = [head for head in head_names() if HEAD_AXES[head] in taxonomy.AXES]
    out = indicators(df)[heads]
    out.columns = pd.MultiIndex.from_tuples([(HEAD_AXES[head], head) for head in heads], names=["axis", "label"])
    return out


def _groups(df: pd.DataFrame):
    """Every group of ``GROUPINGS``: (its value of each grouping column, ``ALL`` for a margin; its passages)."""
    for grouped in GROUPINGS:
        keys = list(grouped)
        groups = df.groupby(keys, sort=True) if keys else [((), df)]
        for key, part in groups:
            key = key if isinstance(key, tuple) else (key,)
            values = dict(zip(keys, key))
            yield {c: values.get(c, ALL) for c in GROUP_COLUMNS}, part


def _group_rows(df: pd.DataFrame, unit_counts, count_name: str) -> pd.DataFrame:
    rows = []
    for group, part in _groups(df):
        counts, total = unit_counts(part)
        for (axis, label), n in counts.items():
            low, high = wilson(int(n), int(total))
            rows.append(
                {
                    "axis": axis,
                    "label": label,
                    **group,
                    count_name: int(n),
                    "total": int(total),
                    "share": n / total if total else math.nan,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    columns = ["axis", "label", *GROUP_COLUMNS, count_name, "total", "share", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns)


def prevalence(passages: pd.DataFrame, audit: dict[str, dict] | None = None) -> pd.DataFrame:
    """Share of passages carrying each label, per group and margin, with Wilson intervals.

    With ``audit`` (the audit's label set by passage id, see ``textmine.audit``)
    each row also gets its prediction-powered share (``corrected_shares``).
    """
    df = prepare(passages)
    ind = label_indicators(df)

    def counts(part: pd.DataFrame):
        return ind.loc[part.index].sum(), len(part)

    table = _group_rows(df, counts, "passages")
    if not audit:
        return table
    return table.merge(corrected_shares(df, audit), on=["axis", "label", *GROUP_COLUMNS], how="left", validate="1:1")


def ppi_mean(model_all: np.ndarray, truth: np.ndarray, model_audited: np.ndarray, z: float = Z95,
             pseudo: float = 0.0):
    """Prediction-powered estimate of a mean, with its interval (Angelopoulos et al., Science 2023).

    ``model_all`` holds the model's values on every passage (one column per
    label), ``truth`` and ``model_audited`` the audit's and the model's on the
    audited passages. The estimate is the model's mean plus its mean error on the
    audit; its variance is var(model)/N + var(truth - model)/n, population
    variances, as ``ppi_py.ppi_mean_ci`` with ``lam=1`` (``pseudo=0``).

    With ``pseudo`` > 0 the error's variance is estimated as if the audit also
    held ``pseudo`` passages the model missed and ``pseudo`` it wrongly labelled
    (the estimate itself is unchanged), as the Agresti-Caffo interval adds
    successes and failures: an audit that happens to catch no error of a rare
    label then still gives an interval as wide as its size allows (about 3/n),
    not the model's own confident one. Returns (estimate, low, high), not clipped.

    >>> [round(float(v), 3) for v in ppi_mean(np.array([1, 0, 0, 0]), np.array([1, 1]), np.array([1, 0]))]
    [0.75, -0.063, 1.563]
    >>> [round(float(v), 3) for v in ppi_mean(np.zeros(100), np.zeros(60), np.zeros(60), pseudo=1)]
    [0.0, -0.045, 0.045]
    """
    model_all = np.asarray(model_all, dtype=float)
    rectifier = np.asarray(truth, dtype=float) - np.asarray(model_audited, dtype=float)
    n = len(rectifier) + 2 * pseudo
    error_var = (np.square(rectifier).sum(axis=0) + 2 * pseudo) / n - np.square(rectifier.sum(axis=0) / n)
    estimate = model_all.mean(axis=0) + rectifier.mean(axis=0)
    half = z * np.sqrt(model_all.var(axis=0) / len(model_all) + error_var / len(rectifier))
    return estimate, estimate - half, estimate + half


def model_label_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """The indicators of the taxonomy's labels by the model's own labels (``labels.model_labels``), by head."""
    heads = [head for head in head_names() if HEAD_AXES[head] in taxonomy.AXES]
    records = df.reindex(columns=[*LABEL_FIELDS, "model_labels"]).to_dict("records")
    return pd.DataFrame(indicator_matrix([model_labels(r) for r in records]), columns=head_names(), index=df.index)[heads]


def corrected_shares(passages: pd.DataFrame, audit: dict[str, dict]) -> pd.DataFrame:
    """Per group and label the prediction-powered share (``ppi_mean``), clipped to [0, 1], and its audit count.

    The model's labels (before corrections) on the group's passages are corrected
    by their error on the audited passages of the group when it has at least
    ``MIN_GROUP_AUDIT`` of them, else by their error on the whole audit, and
    ``note`` says so: a group is never left without a corrected share.
    ``audit`` holds the audit's label set by passage id.
    """
    df = prepare(passages)
    model = model_label_indicators(df)
    audited = df["id"].isin(list(audit)).to_numpy()
    truth = pd.DataFrame(indicator_matrix([audit[i] for i in df.loc[audited, "id"]]), columns=head_names(),
                         index=df.index[audited])[model.columns]
    overall = (truth.to_numpy(), model[audited].to_numpy())
    rows = []
    for group, part in _groups(df):
        own = part.index[audited[df.index.get_indexer(part.index)]]
        if len(own) >= MIN_GROUP_AUDIT or all(v == ALL for v in group.values()):
            sample, note = (truth.loc[own].to_numpy(), model.loc[own].to_numpy()), ""
        else:
            sample = overall
            note = (f"{f'only {len(own)}' if len(own) else 'no'} audited passage{'' if len(own) == 1 else 's'} in this "
                    f"group: corrected by the model's error on the whole audit ({len(truth)} passages)")
        corrected = ppi_mean(model.loc[part.index].to_numpy(), *sample, pseudo=PSEUDO_ERRORS)
        estimate, low, high = (np.clip(v, 0.0, 1.0) for v in corrected)
        for k, label in enumerate(model.columns):
            rows.append({"axis": HEAD_AXES[label], "label": label, **group, "share_corrected": estimate[k],
                         "corrected_low": low[k], "corrected_high": high[k], "audited": len(own), "note": note})
    return pd.DataFrame(rows)


def document_prevalence(passages: pd.DataFrame) -> pd.DataFrame:
    """Share of documents that mention each label at least once, per group and margin."""
    df = prepare(passages)
    ind = label_indicators(df)

    def counts(part: pd.DataFrame):
        per_doc = ind.loc[part.index].groupby(part["file"]).any()
        return per_doc.sum(), len(per_doc)

    return _group_rows(df, counts, "documents")


def _is_recommendation(df: pd.DataFrame) -> pd.Series:
    return df["recommendation"].fillna(False).astype(bool)


def recommendations(passages: pd.DataFrame) -> pd.DataFrame:
    """The recommendation passages with their council, audience and labels (themes and factors as lists)."""
    df = prepare(passages)
    columns = ["id", "file", "council", "date", "timepoint", "doc_type", "page", "section", "themes", "factors", "audience", "text"]
    return df.loc[_is_recommendation(df), columns].reset_index(drop=True)


def to_csv(table: pd.DataFrame) -> bytes:
    """A table as CSV bytes, lists of labels joined into one cell (``labels.join_labels``), safe to open
    in a spreadsheet (``safe.table_to_csv``)."""
    from .safe import table_to_csv

    lists = [c for c in ("themes", "factors") if c in table]
    return table_to_csv(table.assign(**{c: table[c].map(join_labels) for c in lists}))


def chi_square(table: np.ndarray) -> dict:
    """Chi-square test of independence with adjusted standardised residuals.

    Rows or columns that sum to zero are left out of the test (their residuals are nan).
    Returns ``chi2``, ``dof``, ``p_value``, ``expected`` and ``residuals``; ``chi2`` is nan
    when fewer than two rows or columns have any counts.
    """
    from scipy.stats import chi2 as chi2_dist

    table = np.asarray(table, dtype=float)
    rows = table.sum(axis=1) > 0
    cols = table.sum(axis=0) > 0
    expected = np.full(table.shape, np.nan)
    residuals = np.full(table.shape, np.nan)
    if rows.sum() < 2 or cols.sum() < 2:
        return {"chi2": math.nan, "dof": 0, "p_value": math.nan, "expected": expected, "residuals": residuals}
    sub = table[np.ix_(rows, cols)]
    n = sub.sum()
    row_tot = sub.sum(axis=1, keepdims=True)
    col_tot = sub.sum(axis=0, keepdims=True)
    exp = row_tot @ col_tot / n
    stat = float(((sub - exp) ** 2 / exp).sum())
    dof = int((sub.shape[0] - 1) * (sub.shape[1] - 1))
    adj = (sub - exp) / np.sqrt(exp * (1 - row_tot / n) * (1 - col_tot / n))
    expected[np.ix_(rows, cols)] = exp
    residuals[np.ix_(rows, cols)] = adj
    return {"chi2": stat, "dof": dof, "p_value": float(chi2_dist.sf(stat, dof)), "expected": expected, "residuals": residuals}


def recommendation_comparison(passages: pd.DataFrame) -> pd.DataFrame:
    """Council x theme counts of recommendations, with a chi-square test and residuals.

    A recommendation with two themes counts once under each. The test's statistic,
    degrees of freedom and p-value repeat on every row; ``note`` says when a test
    could not be made.
    """
    df = prepare(passages)
    rec = _is_recommendation(df)
    themes = list(taxonomy.THEMES)
    counts = indicators(df).loc[rec, themes].groupby(df.loc[rec, "council"], sort=True).sum()
    councils = list(counts.index)
    table = counts.to_numpy(dtype=int)
    columns = ["council", "theme", "recommendations", "expected", "std_residual", "chi2", "dof", "p_value", "note"]
    if not councils:
        return pd.DataFrame(columns=columns)
    test = chi_square(table)
    note = ""
    if math.isnan(test["chi2"]):
        note = "needs recommendations from at least two councils on at least two themes"
    elif (test["expected"][~np.isnan(test["expected"])] < 5).mean() > 0.2:
        note = "over a fifth of expected counts are below 5: read the p-value with caution"
    rows = [
        {
            "council": c,
            "theme": t,
            "recommendations": int(table[i, j]),
            "expected": test["expected"][i, j],
            "std_residual": test["residuals"][i, j],
            "chi2": test["chi2"],
            "dof": test["dof"],
            "p_value": test["p_value"],
            "note": note,
        }
        for i, c in enumerate(councils)
        for j, t in enumerate(themes)
    ]
    return pd.DataFrame(rows, columns=columns)


def stage_shift(passages: pd.DataFrame, before: str = "3-6m", after: str = "12m") -> pd.DataFrame:
    """For each theme (and all passages) and timepoint, the share of its staged passages at each stage.

    The denominator is the theme's passages that have a stage. ``shift_chi2`` and
    ``shift_p`` test whether the stage balance differs between ``before`` and
    ``after`` (the same on every row of a theme).
    """
    df = prepare(passages)
    stages = list(taxonomy.STAGES)
    staged = df[df["stage"].isin(stages)]
    has = indicators(staged)
    rows = []
    for theme in [ALL, *taxonomy.THEMES]:
        part = staged if theme == ALL else staged[has[theme]]
        timepoints = [t for t in TIMEPOINTS if t in set(part["timepoint"])] + sorted(
            set(part["timepoint"]) - set(TIMEPOINTS)
        )
        test_table = np.array([[int(((part["timepoint"] == tp) & (part["stage"] == s)).sum()) for s in stages] for tp in (before, after)])
        test = chi_square(test_table)
        for tp in timepoints:
            at = part[part["timepoint"] == tp]
            for s in stages:
                n = int((at["stage"] == s).sum())
                low, high = wilson(n, len(at))
                rows.append(
                    {
                        "theme": theme, "timepoint": tp, "stage": s, "passages": n, "staged_total": len(at),
                        "share": n / len(at) if len(at) else math.nan, "ci_low": low, "ci_high": high,
                        "shift_chi2": test["chi2"], "shift_p": test["p_value"],
                    }
                )
    columns = ["theme", "timepoint", "stage", "passages", "staged_total", "share", "ci_low", "ci_high", "shift_chi2", "shift_p"]
    return pd.DataFrame(rows, columns=columns)


def cooccurrence(passages: pd.DataFrame) -> pd.DataFrame:
    """How often each theme and factor are carried by the same passage."""
    df = prepare(passages)
    has = indicators(df)
    rows = []
    for theme in taxonomy.THEMES:
        has_theme = has[theme].to_numpy()
        for factor in taxonomy.FACTORS:
            has_factor = has[factor].to_numpy()
            both = int((has_theme & has_factor).sum())
            either = int((has_theme | has_factor).sum())
            rows.append(
                {
                    "theme": theme, "factor": factor, "passages": both,
                    "theme_passages": int(has_theme.sum()), "factor_passages": int(has_factor.sum()),
                    "jaccard": both / either if either else 0.0,
                }
            )
    return pd.DataFrame(rows)


def data_gaps(passages: pd.DataFrame) -> list[str]:
    """Plain sentences about what the data lacks for the comparisons (shown in the report)."""
    df = prepare(passages)
    notes = []
    if df.empty:
        return ["There are no passages: no document could be read, or the corpus is empty."]
    for col, what in (("council", "a council"), ("timepoint", "a timepoint"), ("period", "a date"), ("doc_type", "a document type")):
        missing = int((df[col] == MISSING).sum())
        if missing == len(df):
            notes.append(f"No passage has {what}: comparisons by {col} are not possible.")
        elif missing:
            files = df.loc[df[col] == MISSING, "file"].nunique()
            notes.append(
                f"{missing} passages from {files} document{'s' if files != 1 else ''} have no {col}; "
                "they form their own (empty) group."
            )
    councils = sorted(set(df["council"]) - {MISSING})
    if len(councils) == 1:
        notes.append(f"Only one council ({councils[0]}): there is nothing to compare councils with.")
    if not _is_recommendation(df).any():
        notes.append("No passage was classified as a recommendation: there is no recommendations chart.")
    tps = set(df["timepoint"])
    if not {"3-6m", "12m"} <= tps:
        lacking = ", ".join(t for t in ("3-6m", "12m") if t not in tps)
        notes.append(f"No documents at {lacking}: the shift from actions to outcomes cannot be measured.")
    return notes
