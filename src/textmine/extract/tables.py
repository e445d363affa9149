"""Tables: found from a page's horizontal rules and the alignment of its words.

A chain of small pure functions over a page's rules and words::

    rules --horizontal_rules--> joined horizontal rules
          --rule_stacks--> stacks of rules of one extent (table candidates)
          --stack_to_table--> Table (columns from vertical rules or from the gaps
                              that run down through every row)
"""

from __future__ import annotations

from .defaults import (
    DEFAULT_COLUMN_GAP,
    DEFAULT_MARGIN_BAND,
    DEFAULT_MAX_ROW_HEIGHT,
    DEFAULT_RULE_MERGE,
    DEFAULT_RULE_MIN_LENGTH,
    DEFAULT_RULE_SNAP,
    DEFAULT_SEGMENT_JOIN,
)
from .layout import words_to_lines
from .model import PageData, Rule, Table, Word
from .text import lines_to_text


def find_tables(page: PageData) -> list[Table]:
    """Ruled tables of a page (a full grid, or rules between rows only), top to bottom.

    A table is a stack of at least three horizontal rules of the same extent; its
    columns come from vertical rules where there are any, else from the gaps that
    run down through the words of every row.
    """
    horizontal = horizontal_rules(page.rules)
    vertical = [(r.x0, r.top, r.bottom) for r in page.rules if r.orientation == "v" and r.bottom - r.top > 4]
    tables = []
    for x0, x1, ys in rule_stacks(horizontal):
        ys = _drop_running_rules(ys, x0, x1, page.words, page.height)
        for run in _chains(ys, DEFAULT_MAX_ROW_HEIGHT):
            table = stack_to_table(run, x0, x1, vertical, page.words)
            if table is not None:
                tables.append(table)
    return sorted(tables, key=lambda t: t.bbox[1])


def horizontal_rules(rules: list[Rule], min_length: float = DEFAULT_RULE_MIN_LENGTH,
                     join: float = DEFAULT_SEGMENT_JOIN) -> list[tuple[float, float, float]]:
    """Horizontal rules as (x0, x1, y), segments that continue one another joined.

    A browser draws a row's rule cell by cell; the pieces make one rule.
    """
    joined: list[list[float]] = []
    segments = [(r.x0, r.x1, r.top) for r in rules if r.orientation == "h"]
    for x0, x1, y in sorted(segments, key=lambda s: (round(s[2] * 2), s[0])):
        last = joined[-1] if joined else None
        if last is not None and abs(last[2] - y) < 1.0 and x0 <= last[1] + join:
            last[1] = max(last[1], x1)
        else:
            joined.append([x0, x1, y])
    return [(x0, x1, y) for x0, x1, y in joined if x1 - x0 > min_length]


def rule_stacks(horizontal: list[tuple[float, float, float]], snap: float = DEFAULT_RULE_SNAP,
                merge: float = DEFAULT_RULE_MERGE) -> list[tuple[float, float, list[float]]]:
    """Group rules whose ends agree into stacks: (x0, x1, sorted ys)."""
    groups: dict[tuple[int, int], list[float]] = {}
    for x0, x1, y in horizontal:
        groups.setdefault((round(x0 / snap), round(x1 / snap)), []).append(y)
    stacks = []
    for (kx0, kx1), ys in groups.items():
        gx0 = min(h[0] for h in horizontal if round(h[0] / snap) == kx0)
        gx1 = max(h[1] for h in horizontal if round(h[1] / snap) == kx1)
        stacks.append((gx0, gx1, _dedupe(sorted(ys), merge)))
    return stacks


def stack_to_table(run: list[float], x0: float, x1: float, vertical: list[tuple[float, float, float]],
                   words: list[Word]) -> Table | None:
    """The table a stack of rules bounds, or None when it bounds no table."""
    top, bottom = run[0], run[-1]
    verticals = [v[0] for v in vertical if x0 + 3 < v[0] < x1 - 3 and v[1] < bottom and v[2] > top]
    # Three rules make a table; two make one when ruled columns stand between them
    # (the last row of a grid table, carried over to a new page).
    if len(run) < 2 or (len(run) == 2 and not verticals):
        return None
    inner = [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and top < (w.top + w.bottom) / 2 < bottom]
    if not inner:
        return None
    separators = _dedupe(sorted(verticals), DEFAULT_RULE_MERGE) if verticals else column_gaps(inner, x0, x1)
    cols = [x0] + separators + [x1]
    rows = []
    for r_top, r_bottom in zip(run, run[1:]):
        row = []
        for c_left, c_right in zip(cols, cols[1:]):
            cell = [
                w for w in inner
                if c_left <= (w.x0 + w.x1) / 2 < c_right and r_top < (w.top + w.bottom) / 2 < r_bottom
            ]
            row.append(lines_to_text(words_to_lines(cell)))
        rows.append(row)
    rows = [row for row in rows if any(row)]
    return Table((x0, top, x1, bottom), rows) if rows else None


def _drop_running_rules(ys: list[float], x0: float, x1: float, words: list[Word], page_height: float,
                        band: float = DEFAULT_MARGIN_BAND) -> list[float]:
    """Drop a rule under a running header (or over a footer) from a stack of rules.

    Only the topmost rule of a stack can underline a header: it lies in the top margin
    with text right above it and none right below it (a table's top rule has its first
    row right below). Likewise only the lowest rule can sit over a footer.
    """
    def hugged(y: float, above: bool) -> bool:
        return any(
            w.x1 > x0 and w.x0 < x1 and (y - 8 <= w.bottom <= y + 1 if above else y - 1 <= w.top <= y + 8)
            for w in words
        )

    if ys and ys[0] < page_height * band and hugged(ys[0], above=True) and not hugged(ys[0], above=False):
        ys = ys[1:]
    if ys and ys[-1] > page_height * (1 - band) and hugged(ys[-1], above=False) and not hugged(ys[-1], above=True):
        ys = ys[:-1]
    return ys


def _dedupe(values: list[float], tolerance: float) -> list[float]:
    out: list[float] = []
    for v in values:
        if not out or v - out[-1] > tolerance:
            out.append(v)
    return out


def _chains(ys: list[float], max_gap: float) -> list[list[float]]:
    runs: list[list[float]] = []
    for y in ys:
        if runs and y - runs[-1][-1] <= max_gap:
            runs[-1].append(y)
        else:
            runs.append([y])
    return runs


def column_gaps(words: list[Word], x0: float, x1: float, min_gap: float = DEFAULT_COLUMN_GAP) -> list[float]:
    """The x of every gap at least ``min_gap`` wide that no word crosses, between x0 and x1."""
    covered = sorted((w.x0, w.x1) for w in words)
    gaps, reach = [], x0
    for a, b in covered:
        if a - reach >= min_gap and reach > x0:
            gaps.append((reach + a) / 2)
        reach = max(reach, b)
    return gaps
