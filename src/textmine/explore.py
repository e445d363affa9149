"""Query a run's passages for researchers: filters, context, review queue, exports.

Pure functions over the published outputs of one run; the web app (``web.py``)
only parses requests and formats what these return.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from . import safe, store, taxonomy
from .corpus import period
from .corrections import apply_corrections, corrections_path, latest_corrections
from .errors import BadInput
from .labels import HEAD_AXES, LABEL_FIELDS, PASSAGE_COLUMNS, check_label, join_labels

# The heads a researcher filters and reviews on: the labels of the taxonomy.
LABEL_HEADS = [head for head, axis in HEAD_AXES.items() if axis in taxonomy.AXES]


@dataclass
class Filters:
    """What a researcher filters on; every field optional. Validated on creation."""

    theme: str | None = None
    factor: str | None = None
    stage: str | None = None
    recommendation: bool | None = None
    council: str | None = None
    timepoint: str | None = None
    period: str | None = None
    file: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    q: str | None = None

    def __post_init__(self) -> None:
        for axis in taxonomy.AXES:
            if getattr(self, axis) is not None:
                check_label(axis, getattr(self, axis))
        for name in ("min_score", "max_score"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise BadInput(f"{name} must be between 0 and 1, not {value}")

    @classmethod
    def from_query(cls, params: dict[str, str]) -> "Filters":
        """Filters from query-string values (empty strings mean 'any')."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - known - {"page", "order", "token", "format"})
        if unknown:
            raise BadInput(f"unknown filter {unknown[0]!r}: use {', '.join(sorted(known))}")
        values: dict = {}
        for key in known:
            raw = (params.get(key) or "").strip()
            if not raw:
                continue
            if key == "recommendation":
                if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise BadInput(f"recommendation must be true or false, not {raw!r}")
                values[key] = raw.lower() in ("true", "1", "yes")
            elif key in ("min_score", "max_score"):
                try:
                    values[key] = float(raw)
                except ValueError as exc:
                    raise BadInput(f"{key} must be a number between 0 and 1, not {raw!r}") from exc
            else:
                values[key] = raw
        return cls(**values)

    def query(self) -> dict[str, str]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = str(value).lower() if isinstance(value, bool) else str(value)
        return out


def page_number(raw: str | None, pages: int) -> int:
    """The page asked for in a ``page`` query value: a whole number from 1 to ``pages`` (default 1).

    >>> page_number(None, 3), page_number("2", 3)
    (1, 2)
    """
    raw = (raw or "").strip() or "1"
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not 1 <= int(raw) <= pages:
        raise BadInput(f"page must be a whole number from 1 to {pages}, not {raw[:20]!r}")
    return int(raw)


def certainty(scores: dict) -> float:
    """How far the least certain label decision is from a coin flip: 0 (unsure) to 1 (sure)."""
    values = [scores[h] for h in LABEL_HEADS if h in scores]
    if not values:
        return 1.0
    return round(min(abs(v - 0.5) * 2 for v in values), 4)


@dataclass
class RunView:
    """The current run's passages (corrections applied) and the previous run's labels."""

    passages: pd.DataFrame
    previous: dict[str, dict]
    run_dir: Path | None


_CACHE: dict[tuple, pd.DataFrame] = {}
_CACHE_LOCK = threading.Lock()


def _read_run(run_dir: Path) -> pd.DataFrame:
    key = (str(run_dir), (run_dir / "passages.parquet").stat().st_mtime_ns)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE.clear()
            df = pd.DataFrame(store.read_passages(run_dir / "passages.parquet"), columns=PASSAGE_COLUMNS)
            for col in ("council", "date", "timepoint", "doc_type", "section", "stage", "audience"):
                df[col] = df[col].astype(object).where(df[col].notna(), None)
            df["period"] = [period(d) for d in df["date"]]
            df["order"] = range(len(df))
            df["certainty"] = [certainty(s) for s in df["scores"]]
            _CACHE[key] = df
        return _CACHE[key]


def load_run(out: Path) -> RunView:
    """The published run in ``out``, read from its own folder so a new run can replace it meanwhile.

    The run applied the corrections saved before it; those saved since are applied
    here, by the same function (applying one again gives the same labels).
    """
    run_dir = store.previous_run_dir(out)
    if run_dir is None or not (run_dir / "passages.parquet").exists():
        raise BadInput(f"{out} has no published run yet: run `textmine run CORPUS --out {out}` first")
    df = _read_run(run_dir).copy()
    corrections = latest_corrections(corrections_path(out))
    hits = df.index[df["id"].isin(list(corrections))]
    columns = [*LABEL_FIELDS, "label_source", "model_labels"]
    corrected = apply_corrections(df.loc[hits, ["id", *columns]].to_dict("records"), corrections)
    for index, passage in zip(hits, corrected):
        for column in columns:
            df.at[index, column] = passage[column]
    return RunView(df, previous_labels(out, run_dir), run_dir)


def previous_labels(out: Path, current: Path) -> dict[str, dict]:
    """Labels of the run published before ``current``, by passage id (empty if none kept)."""
    runs = sorted(p for p in (store.state_dir(out) / "runs").iterdir() if p.name < current.name and (p / "passages.parquet").exists())
    if not runs:
        return {}
    return {p["id"]: {f: p.get(f) for f in LABEL_FIELDS} for p in store.read_passages(runs[-1] / "passages.parquet")}


def filter_passages(df: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Passages matching every filter, in document order."""
    mask = pd.Series(True, index=df.index)
    if f.theme:
        mask &= df["themes"].map(lambda v: f.theme in v)
    if f.factor:
        mask &= df["factors"].map(lambda v: f.factor in v)
    if f.stage:
        mask &= df["stage"] == f.stage
    if f.recommendation is not None:
        mask &= df["recommendation"].fillna(False).astype(bool) == f.recommendation
    for col in ("council", "timepoint", "period", "file"):
        value = getattr(f, col)
        if value:
            mask &= df[col].fillna("") == ("" if value == "(none)" else value)
    if f.q:
        mask &= df["text"].str.contains(f.q, case=False, regex=False) | df["section"].fillna("").str.contains(f.q, case=False, regex=False)
    if f.min_score is not None or f.max_score is not None:
        label = f.theme or f.factor or f.stage
        score = df["scores"].map(lambda s: s.get(label, 0.0) if label else max([s[h] for h in LABEL_HEADS if h in s] or [0.0]))
        if f.min_score is not None:
            mask &= score >= f.min_score
        if f.max_score is not None:
            mask &= score <= f.max_score
    return df[mask]


def find(df: pd.DataFrame, passage_id: str) -> pd.DataFrame:
    """The row of one passage (empty when there is no passage with that id)."""
    return df[df["id"] == passage_id]


def context(df: pd.DataFrame, passage_id: str, around: int = 3) -> tuple[dict, list[dict], list[dict]]:
    """A passage with the passages before and after it in its document."""
    hits = df.index[df["id"] == passage_id]
    if not len(hits):
        raise KeyError(passage_id)
    row = df.loc[hits[0]]
    doc = df[df["file"] == row["file"]].sort_values("order")
    pos = list(doc["id"]).index(passage_id)
    records = doc.to_dict("records")
    return records[pos], records[max(0, pos - around):pos], records[pos + 1:pos + 1 + around]


def disagreement(row: dict, previous: dict[str, dict]) -> int:
    """How many label fields differ from the previous run's labels (0 when the passage is new)."""
    before = previous.get(row["id"])
    if not before:
        return 0
    n = 0
    for f in LABEL_FIELDS:
        a, b = row.get(f), before.get(f)
        if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
            n += len(set(a or []) ^ set(b or []))
        elif (a or None) != (b or None):
            n += 1
    return n


def review_queue(view: RunView, df: pd.DataFrame, order: str = "certainty") -> pd.DataFrame:
    """Passages to check first: least certain first, or most changed since the previous run."""
    if order == "certainty":
        return df[df["label_source"] != "human"].sort_values(["certainty", "order"])
    if order == "disagreement":
        if not view.previous:
            raise BadInput("no previous run is kept in this output folder, so there is nothing to compare with")
        scored = df.assign(disagreement=[disagreement(r, view.previous) for r in df.to_dict("records")])
        return scored[scored["disagreement"] > 0].sort_values(["disagreement", "order"], ascending=[False, True])
    raise BadInput(f"unknown order {order!r}: use certainty or disagreement")


def facet_values(df: pd.DataFrame) -> dict[str, list[str]]:
    """The values each filter can take in this run, for the filter form."""
    def values(col: str) -> list[str]:
        return sorted({v for v in df[col].dropna().astype(str) if v})

    return {"council": values("council"), "timepoint": values("timepoint"), "period": values("period"), "file": values("file")}


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-ready passages with every column of passages.parquet."""
    out = []
    for row in df[PASSAGE_COLUMNS].to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                value = None
            elif hasattr(value, "tolist"):
                value = value.tolist()
            clean[key] = value
        clean["themes"] = list(clean["themes"] or [])
        clean["factors"] = list(clean["factors"] or [])
        out.append(clean)
    return out


def flat_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per passage with lists joined by ';' and one column per score, for CSV and Excel."""
    table = df[[c for c in PASSAGE_COLUMNS if c not in ("scores", "model_labels")]].copy()
    table["themes"] = [join_labels(v) for v in df["themes"]]
    table["factors"] = [join_labels(v) for v in df["factors"]]
    for head in sorted({k for s in df["scores"] for k in s}):
        table[f"score_{head}"] = [s.get(head) for s in df["scores"]]
    return table


def to_csv(df: pd.DataFrame) -> bytes:
    """The passages as CSV: text kept whole, cells that could start a formula neutralised."""
    return safe.table_to_csv(flat_table(df))


def to_xlsx(df: pd.DataFrame) -> bytes:
    """The passages as an Excel workbook; what Excel cannot hold is replaced or cut and listed on a notes sheet."""
    return safe.table_to_xlsx(flat_table(df), sheet="passages", key="id")
