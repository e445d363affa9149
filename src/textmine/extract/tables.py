"""Tables: found from a page's horizontal rules and the alignment of its words.

A chain of small pure functions over a page's rules and words::

    rules --horizontal_rules--> joined horizontal rules
          --rule_stacks--> stacks of rules of one extent
          --stack_to_tables--> the bands between rules, grouped into tables where
                               their columns line up: from vertical rules (a grid),
                               else from the gaps that run down through every band
          --split_band--> rows of a band ruled only above and below, cut where the
                          first column starts a new cell
          --Table--> cells as lines of words

Tables ruled only by horizontal lines may sit inside one column of a two-column
page; a stack of rules then belongs to that column alone, and text between two
tables of the same width (whose words cross the tables' column gaps) ends one
table and starts the next.
"""

from __future__ import annotations

import statistics

from .defaults import (
    DEFAULT_COLUMN_GAP,
    DEFAULT_MARGIN_BAND,
    DEFAULT_MAX_BAND,
    DEFAULT_RULE_MERGE,
    DEFAULT_RULE_MIN_LENGTH,
    DEFAULT_RULE_SNAP,
    DEFAULT_SEGMENT_JOIN,
)
from .model import PageData, Rule, Table, Word, words_to_lines
from .text import is_glyph

Interval = tuple[float, float]


def find_tables(page: PageData) -> list[Table]:
    """Ruled tables of a page (a full grid, or rules between rows only), top to bottom."""
    horizontal = horizontal_rules(page.rules)
    vertical = [(r.x0, r.top, r.bottom) for r in page.rules if r.orientation == "v" and r.bottom - r.top > 4]
    tables = []
    for x0, x1, ys in rule_stacks(horizontal):
        ys = _drop_running_rules(ys, x0, x1, page.words, page.height)
        for run in _chains(ys, DEFAULT_MAX_BAND * page.height):
            tables += stack_to_tables(run, x0, x1, vertical, page.words, page.height * (1 - DEFAULT_MARGIN_BAND))
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


def stack_to_tables(run: list[float], x0: float, x1: float, vertical: list[tuple[float, float, float]],
                    words: list[Word], foot: float, min_gap: float = DEFAULT_COLUMN_GAP) -> list[Table]:
    """The tables a stack of rules bounds: runs of bands whose columns line up.

    Each band between two rules has its columns: the vertical rules that cross it,
    else the gaps no word in it crosses. Consecutive bands with columns in common
    make a table (at least two bands, or one between ruled columns: the last row of
    a grid table, carried over to a new page); a band of running text, whose words
    cross every gap, ends it. A header row ruled only below belongs to the table
    below its rule when its words keep to the table's columns (``_row_above``). And
    a table runs on below the stack's last rule when every word below it, down to
    ``foot`` (the top of the page's footer band), keeps to its columns: it goes on in
    the next column or page, and its bottom rule is drawn only where it ends.
    """
    inner = [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and run[0] < (w.top + w.bottom) / 2 < run[-1]]
    tables: list[Table] = []
    group: list[tuple[float, float, list[Word], bool]] = []  # top, bottom, words, ruled columns
    common: list[Interval] = []

    def close() -> None:
        if not group:
            return
        edges = _drop_glyph_columns([w for band in group for w in band[2]], [x0] + [(a + b) / 2 for a, b in common] + [x1])
        size = statistics.median(w.size for band in group for w in band[2])
        head = [] if group[0][3] else _row_above(words, group[0][0], edges, size)
        if group[0][0] == run[-1] and not all(w.bold for w in head):
            head = []  # below the last rule alone, only a bold header row above it makes the text a table
        if head:
            group.insert(0, (min(w.top for w in head) - 1, group[0][0], head, False))
        if len(group) >= 2 or group[0][3]:
            tables.append(bands_to_table(group, edges))

    for top, bottom in zip(run, run[1:]):
        band_words = [w for w in inner if top < (w.top + w.bottom) / 2 < bottom]
        if not band_words:
            continue
        ruled = _dedupe(sorted(v[0] for v in vertical if x0 + 3 < v[0] < x1 - 3 and v[1] < bottom - 1 and v[2] > top + 1),
                        DEFAULT_RULE_MERGE)
        gaps = [(v - 1.0, v + 1.0) for v in ruled] if ruled else free_intervals(band_words, min_gap)
        shared = _intersect(common, gaps, 1.0 if ruled else min_gap) if group and group[-1][3] == bool(ruled) else []
        if shared and (len(group) == 1 or len(shared) == len(common)):  # a body row keeps every column
            group.append((top, bottom, band_words, bool(ruled)))
            common = shared
            continue
        close()
        group, common = ([(top, bottom, band_words, bool(ruled))], gaps) if gaps else ([], [])
    if not group or (not group[-1][3] and group[-1][1] == run[-1]):
        tail = [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and w.top > run[-1] and w.bottom < foot]
        gaps = free_intervals(tail, min_gap) if tail else []
        shared = _intersect(common, gaps, min_gap) if group else gaps
        if shared and (not group or len(shared) == len(common)):
            group.append((run[-1], max(w.bottom for w in tail) + 1, tail, False))
            common = shared
    close()
    return tables


def _row_above(words: list[Word], rule: float, edges: list[float], size: float) -> list[Word]:
    """The words of a row set right above a table's first rule, with no rule over it (a header
    row ruled only below), or nothing.

    The lines just above the rule, one close under the next and set in the table's
    type ``size`` (a heading over the table is larger), count when no word of theirs
    crosses the table's column edges and they fill at least two columns.
    """
    x0, x1 = edges[0], edges[-1]
    above = [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and w.bottom <= rule + 1 and w.bottom > rule - 80
             and abs(w.size - size) <= 1.0]
    row: list[Word] = []
    edge, size = rule, None
    for line in sorted(words_to_lines(above), key=lambda ln: -ln.bottom):
        if edge - line.bottom > (1.2 * line.size if size is None else 0.8 * min(size, line.size)):
            break
        row += line.words
        edge, size = line.top, line.size
    inner = edges[1:-1]
    if not row or any(w.x0 + 1 < e < w.x1 - 1 for w in row for e in inner):
        return []
    filled = {sum(1 for e in inner if (w.x0 + w.x1) / 2 > e) for w in row}
    return row if len(filled) >= 2 else []


def bands_to_table(bands: list[tuple[float, float, list[Word], bool]], edges: list[float]) -> Table:
    """A table from its bands and the x of its column edges (outer ones included): cells as lines, row by row."""
    rows = []
    for _, _, band_words, ruled in bands:
        for row_words in split_band(band_words, edges, ruled):
            rows.append([words_to_lines([w for w in row_words if left <= (w.x0 + w.x1) / 2 < right])
                         for left, right in zip(edges, edges[1:])])
    return Table((edges[0], bands[0][0], edges[-1], bands[-1][1]), rows)


def free_intervals(words: list[Word], min_gap: float = DEFAULT_COLUMN_GAP) -> list[Interval]:
    """The x-intervals at least ``min_gap`` wide, between the words' extremes, that no word crosses."""
    covered = sorted((w.x0, w.x1) for w in words)
    gaps, reach = [], None
    for a, b in covered:
        if reach is not None and a - reach >= min_gap:
            gaps.append((reach, a))
        reach = b if reach is None else max(reach, b)
    return gaps


def _intersect(a: list[Interval], b: list[Interval], min_width: float) -> list[Interval]:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo >= min_width:
                out.append((lo, hi))
    return out


def _drop_glyph_columns(words: list[Word], edges: list[float]) -> list[float]:
    """Merge a 'column' that holds only bullet glyphs into the column to its right.

    Bullets stand apart from their text by a gap that can run down a whole table
    fragment (one without its header row); that gap is not a column.
    """
    kept = [edges[0]]
    for left, right, following in zip(edges, edges[1:], edges[2:] + [None]):
        inside = [w for w in words if left <= (w.x0 + w.x1) / 2 < right]
        if following is not None and inside and all(is_glyph(w.text) for w in inside):
            continue
        kept.append(right)
    return kept


def split_band(words: list[Word], edges: list[float], ruled: bool) -> list[list[Word]]:
    """The rows of one band between two rules.

    A band of a grid, or one whose first column holds a single cell, is one row.
    A table ruled only at its top, under its header and at its foot has all its
    body rows in one band: a new row starts where the first column starts a new
    cell (text after a gap taller than a line's spacing), and the cut between two
    rows goes through the widest empty strip above that cell.
    """
    if ruled or len(edges) < 3:
        return [words]
    first = sorted((ln for ln in words_to_lines([w for w in words if (w.x0 + w.x1) / 2 < edges[1]])),
                   key=lambda ln: ln.top)
    starts = [b for a, b in zip(first, first[1:]) if b.top - a.bottom > 0.8 * max(a.size, b.size)]
    if not starts:
        return [words]
    cuts = []
    previous = first[0].bottom
    for start in starts:
        above = max((ln.bottom for ln in first if ln.bottom <= start.top), default=previous)
        cuts.append(_widest_gap(words, above, start.top + 0.5 * start.size))
        previous = start.bottom
    rows: list[list[Word]] = [[] for _ in range(len(cuts) + 1)]
    for w in words:
        middle = (w.top + w.bottom) / 2
        rows[sum(1 for c in cuts if middle > c)].append(w)
    return [row for row in rows if row]


def _widest_gap(words: list[Word], low: float, high: float) -> float:
    """The middle of the widest strip between ``low`` and ``high`` that no word covers."""
    spans = sorted((w.top, w.bottom) for w in words if w.bottom > low and w.top < high)
    best, best_width, reach = (low + high) / 2, -1.0, low
    for top, bottom in spans + [(high, high)]:
        if top - reach > best_width:
            best, best_width = (reach + top) / 2, top - reach
        reach = max(reach, bottom)
    return best


def _drop_running_rules(ys: list[float], x0: float, x1: float, words: list[Word], page_height: float,
                        band: float = DEFAULT_MARGIN_BAND) -> list[float]:
    """Drop a rule under a running header (or over a footer) from a stack of rules.

    Only the topmost rule of a stack can underline a header: it lies in the top margin
    with text right above it and none right below it (a table's top rule has its first
    row right below). Likewise only the lowest rule can sit over a footer.
    """
    def hugged(y: float, above: bool, reach: float = 8.0) -> bool:
        return any(
            w.x1 > x0 and w.x0 < x1 and (y - reach <= w.bottom <= y + 1 if above else y - 1 <= w.top <= y + reach)
            for w in words
        )

    if ys and ys[0] < page_height * band and hugged(ys[0], above=True) and not hugged(ys[0], above=False):
        ys = ys[1:]
    # A table's last row may sit well clear of its bottom rule (its text centred in a tall row).
    if ys and ys[-1] > page_height * (1 - band) and hugged(ys[-1], above=False) and not hugged(ys[-1], True, 24.0):
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
