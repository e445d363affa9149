"""Layout and reading order: lines, running headers and footers, columns, regions.

A page's body words (those outside its tables) become lines; lines that recur in
the margins are dropped; the rest are split into full-width bands and columns,
and tables are placed among them, which gives the page's regions in reading order.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, replace

from .defaults import DEFAULT_GUTTER_MIN_LINES, DEFAULT_MARGIN_BAND, DEFAULT_RUNNING_SHARE
from .model import Line, Region, Table, Word

PAGE_NUMBER = re.compile(r"^[-\u2013\u2014\s]*(page\s*)?#+(\s*(of|/)\s*#+)?[-\u2013\u2014\s]*$", re.I)


@dataclass
class PageLayout:
    """A page after table finding: its body words (outside tables) and its tables."""

    number: int
    width: float
    height: float
    words: list[Word]
    tables: list[Table]


def _norm_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().lower()))


def remove_running_lines(pages: list[PageLayout], body_size: float, band: float = DEFAULT_MARGIN_BAND,
                         share: float = DEFAULT_RUNNING_SHARE) -> list[PageLayout]:
    """Drop running headers, footers and page numbers.

    A line in the top or bottom ``band`` of the page is dropped when its text (digits
    folded) recurs on at least ``share`` of the pages of the same parity, when it is
    only a page number, or when it is set smaller than the body text. Odd and even
    pages are counted apart, since printed reports often carry different headers.
    """
    def margin_lines(page: PageLayout) -> list[Line]:
        lines = words_to_lines(page.words)
        return [
            ln for ln in lines
            if ln.bottom < page.height * band or ln.top > page.height * (1 - band)
        ]

    keyed = [(page, [(_norm_key(ln.text), ln) for ln in margin_lines(page)]) for page in pages]
    counts: dict[int, Counter] = {0: Counter(), 1: Counter()}
    totals = Counter(page.number % 2 for page in pages)
    for page, lines in keyed:
        counts[page.number % 2].update({k for k, _ in lines})
    cleaned = []
    for page, lines in keyed:
        parity = page.number % 2
        drop = set()
        for key, ln in lines:
            recurring = totals[parity] >= 2 and counts[parity][key] >= max(2, totals[parity] * share)
            small = ln.size < body_size - 0.5
            if recurring or small or PAGE_NUMBER.match(key):
                drop.update(id(w) for w in ln.words)
        words = [w for w in page.words if id(w) not in drop]
        cleaned.append(replace(page, words=words))
    return cleaned


# --------------------------------------------------------------------------- lines and columns


def words_to_lines(words: list[Word]) -> list[Line]:
    """Group words into lines by their vertical position, left to right."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (round(w.top), w.x0)):
        if lines:
            last = lines[-1]
            ref = last[0]
            if abs(w.top - ref.top) <= max(1.5, 0.35 * ref.size) or abs(w.bottom - ref.bottom) <= 1.0:
                last.append(w)
                continue
        lines.append([w])
    return [Line(sorted(ln, key=lambda w: w.x0)) for ln in lines]


def find_gutter(lines: list[Line], width: float, min_lines: int = DEFAULT_GUTTER_MIN_LINES) -> float | None:
    """The x of the gap between two columns of text, or None for a one-column page.

    A right column shows itself as at least three wide lines that start at the same
    x in the middle of the page; the left column as at least three wide lines that
    end before it. Both must be present.
    """
    starts = Counter(
        round(ln.x0 / 2) * 2 for ln in lines if width * 0.3 < ln.x0 < width * 0.7 and ln.x1 - ln.x0 > width * 0.2
    )
    for right_x, count in starts.most_common(3):
        if count < min_lines:
            break
        left = [ln for ln in lines if ln.x1 < right_x - 4 and ln.x0 < width * 0.3 and ln.x1 - ln.x0 > width * 0.2]
        if len(left) >= min_lines:
            return (max(ln.x1 for ln in left) + right_x) / 2
    # Lines of both columns may share a baseline: split them at wide gaps first.
    pieces = [Line(list(seg)) for ln in lines for seg in _split_at_gaps(ln)]
    if len(pieces) > len(lines):
        return find_gutter(pieces, width, min_lines)
    return None


def _split_at_gaps(line: Line) -> list[list[Word]]:
    gap = max(8.0, 1.2 * line.size)
    groups: list[list[Word]] = []
    for w in line.words:
        if groups and w.x0 - groups[-1][-1].x1 < gap:
            groups[-1].append(w)
        else:
            groups.append([w])
    return groups


def page_to_regions(page: PageLayout) -> list[Region]:
    """Split a page into regions in reading order: full-width bands, columns, tables."""
    lines = words_to_lines(page.words)
    gutter = find_gutter(lines, page.width)
    line_items = _assign_columns(lines, gutter, page.width) if gutter is not None else [(-1, ln) for ln in lines]
    # Consecutive full-width lines form one band; a run of column lines forms one
    # band that is read left column first, then right column.
    bands: list[tuple[str, list[tuple[int, Line]]]] = []
    for column, ln in line_items:
        kind = "full" if column < 0 else "columns"
        if bands and bands[-1][0] == kind:
            bands[-1][1].append((column, ln))
        else:
            bands.append((kind, [(column, ln)]))
    regions: list[Region] = []
    for kind, items in bands:
        top = items[0][1].top
        if kind == "full":
            regions.append(Region(top, 0, [ln for _, ln in items]))
            continue
        for column in (0, 1):
            col_lines = [ln for c, ln in items if c == column]
            if col_lines:
                regions.append(Region(top, column, col_lines))
    regions = _insert_tables(regions, page.tables, gutter)
    for region in regions:
        if region.lines:
            region.left = min(ln.x0 for ln in region.lines)
            region.right = max(ln.x1 for ln in region.lines)
    return regions


def _assign_columns(lines: list[Line], gutter: float, width: float) -> list[tuple[int, Line]]:
    """Label each line -1 (crosses the gutter), 0 (left column) or 1 (right column).

    Lines that cross the gutter are cut at it first when the cut falls in a wide gap
    (a left and a right column line that share a baseline).
    """
    out: list[tuple[int, Line]] = []
    for ln in lines:
        left = [w for w in ln.words if w.x1 <= gutter]
        right = [w for w in ln.words if w.x0 >= gutter]
        if left and right and len(left) + len(right) == len(ln.words):
            gap = right[0].x0 - left[-1].x1
            if gap >= max(8.0, 1.2 * ln.size):
                out += [(0, Line(left)), (1, Line(right))]
                continue
        if not left and right and len(right) == len(ln.words):
            out.append((1, ln))
        elif left and not right and len(left) == len(ln.words):
            out.append((0, ln))
        else:
            out.append((-1, ln))
    # A short run of column lines between full-width lines is not a column layout.
    labelled: list[tuple[int, Line]] = []
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and out[j][0] >= 0:
            j += 1
        run = out[i:j]
        rights = [ln for c, ln in run if c == 1]
        lefts = [ln for c, ln in run if c == 0]
        wide = lambda ls: ls and statistics.median(l.x1 - l.x0 for l in ls) > width * 0.2  # noqa: E731
        if len(rights) >= 2 and len(lefts) >= 2 and wide(rights) and wide(lefts):
            # The last line of a full-width paragraph, just above the columns, still belongs to it.
            while run and run[0][0] == 0 and labelled and labelled[-1][0] == -1:
                prev = labelled[-1][1]
                if run[0][1].top - prev.top > 1.6 * prev.size or prev.x1 - prev.x0 < width * 0.6:
                    break
                labelled.append((-1, run.pop(0)[1]))
            labelled += run
            labelled += _after_balanced_columns(labelled, run)
        else:
            labelled += [(-1, ln) for _, ln in sorted(run, key=lambda t: (round(t[1].top), t[1].x0))]
        if j < len(out):
            labelled.append(out[j])
        i = j + 1
    # Re-join single-column lines that were split at the gutter.
    result: list[tuple[int, Line]] = []
    for c, ln in labelled:
        if c == -1 and result and result[-1][0] == -1 and abs(result[-1][1].top - ln.top) < 1.0:
            result[-1] = (-1, Line(result[-1][1].words + ln.words))
        else:
            result.append((c, ln))
    return result


def _after_balanced_columns(labelled: list[tuple[int, Line]], run: list[tuple[int, Line]]) -> list[tuple[int, Line]]:
    """Move lines under balanced columns (both ending level) out of the left column.

    A word processor or browser balances the columns of a section and sets what follows
    at full width below them; a short left-only line there (a heading, set apart by
    space or type size) is not part of the left column. Columns that are not balanced
    keep their lines.
    """
    rights = [ln for c, ln in run if c == 1]
    if not rights:
        return []
    right_end = max(ln.bottom for ln in rights)
    tail = [(c, ln) for c, ln in run if c == 0 and ln.top > right_end]
    if not tail:
        return []
    above = [ln for c, ln in run if c == 0 and ln.top <= right_end]
    size = rights[-1].size
    if not above or abs(max(ln.bottom for ln in above) - right_end) > 1.5 * size:
        return []
    gap = tail[0][1].top - max(ln.bottom for ln in above)
    if len(tail) > 2 or (gap < 1.3 * size and abs(tail[0][1].size - size) < 0.5):
        return []  # the left column simply goes on below the right one
    for item in tail:
        labelled.remove(item)
    return [(-1, ln) for _, ln in tail]


def _insert_tables(regions: list[Region], tables: list[Table], gutter: float | None) -> list[Region]:
    out = list(regions)
    for table in tables:
        x0, top, x1, _ = table.bbox
        column = 1 if gutter is not None and x0 >= gutter else 0
        region = Region(top, column, table=table)
        # Place the table before the first region of its column that starts below it;
        # split a text region that the table interrupts.
        placed = False
        for i, r in enumerate(out):
            if r.table is None and r.column == column and r.lines and r.lines[0].top < top < r.lines[-1].bottom:
                above = [ln for ln in r.lines if ln.top < top]
                below = [ln for ln in r.lines if ln.top >= top]
                out[i:i + 1] = [Region(r.top, column, above), region, Region(top + 0.1, column, below)]
                placed = True
                break
            if r.column >= column and r.top > top:
                out.insert(i, region)
                placed = True
                break
        if not placed:
            out.append(region)
    return [r for r in out if r.lines or r.table is not None]


