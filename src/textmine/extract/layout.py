"""Layout and reading order: lines, running headers and footers, footnotes, columns, regions.

A page's body words (those outside its tables and boxes) become lines; footnote
markers are taken out of the words they touch; lines that recur in the margins
are dropped and footnotes at the page foot set aside; the rest are split into
full-width bands and columns, and tables and boxes are placed among them, which
gives the page's regions in reading order.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace

from .defaults import DEFAULT_GUTTER_MIN_LINES, DEFAULT_MARGIN_BAND, DEFAULT_MARKER_SIZE, DEFAULT_RUNNING_SHARE
from .model import Box, Line, Region, Table, Word, words_to_lines

PAGE_NUMBER = re.compile(r"^[-\u2013\u2014\s]*(page\s*)?#+(\s*(of|/)\s*#+)?[-\u2013\u2014\s]*$", re.I)
MARKER = re.compile(r"^(\d{1,3}(,\d{1,3})*|[*\u2020\u2021\u00a7]{1,3})$")


@dataclass
class PageLayout:
    """A page after table and box finding: its body words (outside both), tables, boxes and footnotes."""

    number: int
    width: float
    height: float
    words: list[Word]
    tables: list[Table]
    boxes: list[Box] = field(default_factory=list)
    footnotes: list[Line] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)  # the body's lines, once footnotes are set aside


def drop_footnote_markers(words: list[Word], marker_size: float = DEFAULT_MARKER_SIZE) -> list[Word]:
    """Words without the superscript footnote markers that follow them.

    A marker is a number or a dagger set smaller than the word it touches and
    raised above its baseline ("evidence\u00b9"); a number that starts a footnote, with
    no word before it, stays.
    """
    if not words:
        return words
    usual = statistics.median(w.size for w in words)
    markers = set()
    for i, m in enumerate(words):
        if m.size > marker_size * usual or not MARKER.match(m.text):
            continue
        near = [words[i - 1]] if i else []
        for w in near + words:
            if (w is not m and m.size <= marker_size * w.size and -1.0 <= m.x0 - w.x1 <= 1.5
                    and m.bottom < w.bottom - 0.15 * w.size and m.bottom > w.top):
                markers.add(id(m))
                break
    return [w for w in words if id(w) not in markers] if markers else words


def _norm_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().lower()))


def remove_running_lines(pages: list[PageLayout], body_size: float, band: float = DEFAULT_MARGIN_BAND,
                         share: float = DEFAULT_RUNNING_SHARE) -> list[PageLayout]:
    """Drop running headers, footers and page numbers.

    A line in the top or bottom ``band`` of the page is dropped when its text (digits
    folded) recurs on at least ``share`` of the pages of the same parity, when it is
    only a page number, or when it is set smaller than the body text, unless it is
    part of a footnote (small text at the foot that starts with a note's number, or
    runs on from such a line). Odd and even pages are counted apart, since printed
    reports often carry different headers.
    """
    paged = [(page, words_to_lines(page.words)) for page in pages]
    keyed = [
        (page, lines, [(_norm_key(ln.text), ln) for ln in lines
                       if ln.bottom < page.height * band or ln.top > page.height * (1 - band)])
        for page, lines in paged
    ]
    counts: dict[int, Counter] = {0: Counter(), 1: Counter()}
    totals = Counter(page.number % 2 for page in pages)
    for page, _, margin in keyed:
        counts[page.number % 2].update({k for k, _ in margin})
    cleaned = []
    for page, lines, margin in keyed:
        parity = page.number % 2
        drop = set()
        for key, ln in margin:
            recurring = totals[parity] >= 2 and counts[parity][key] >= max(2, totals[parity] * share)
            small = ln.size < body_size - 0.5
            if recurring or PAGE_NUMBER.match(key) or (small and not _in_footnote(ln, lines, drop, page.height * (1 - band))):
                drop.update(id(w) for w in ln.words)
        words = [w for w in page.words if id(w) not in drop]
        cleaned.append(replace(page, words=words))
    return cleaned


def _in_footnote(line: Line, lines: list[Line], dropped: set[int], foot: float) -> bool:
    """Whether a small line at the foot of a page belongs to a footnote.

    It does when it starts with a note's number and some words, or runs on (close
    below, no larger) from a kept line that does, or from small text above ``foot``.
    """
    if line.top < foot:
        return False
    if MARKER.match(line.words[0].text.rstrip(".")) and len(line.words) >= 3:
        return True
    above = [ln for ln in lines if ln.bottom <= line.top + 0.5]
    if not above:
        return False
    nearest = max(above, key=lambda ln: ln.bottom)
    return (nearest.size < line.size + 0.5 and line.top - nearest.bottom < 0.8 * line.size
            and id(nearest.words[0]) not in dropped and (nearest.top < foot or _in_footnote(nearest, lines, dropped, foot)))


def split_footnotes(page: PageLayout, body_size: float) -> PageLayout:
    """Set aside the footnotes at the foot of a page, and group the rest of its body into lines.

    Footnotes are the page's lowest lines, set smaller than the body, the first of
    them starting with a note's number or mark.
    """
    lines = words_to_lines(page.words)
    by_foot = sorted(lines, key=lambda ln: ln.bottom)
    notes: list[Line] = []
    for ln in reversed(by_foot):
        if ln.size >= body_size - 0.5:
            break
        notes.insert(0, ln)
    while notes and not MARKER.match(notes[0].words[0].text.rstrip(".")):
        notes.pop(0)  # small text above the notes (a caption) stays in the body
    if not notes:
        return replace(page, lines=lines)
    taken = {id(w) for ln in notes for w in ln.words}
    return replace(page, words=[w for w in page.words if id(w) not in taken], footnotes=notes,
                   lines=[ln for ln in lines if id(ln.words[0]) not in taken])


# --------------------------------------------------------------------------- lines and columns


def find_gutter(lines: list[Line], width: float, inserts: list[tuple[float, float, float, float]] = (),
                min_lines: int = DEFAULT_GUTTER_MIN_LINES) -> float | None:
    """The x of the gap between two columns of text, or None for a one-column page.

    A right column shows itself as at least three wide lines that start at the same
    x in the middle of the page; the left column as at least three wide lines that
    end before it. Both must be present. Failing that, a table or box (``inserts``,
    as boxes) that fills one column while text or another insert fills the other
    shows the gutter beside it.
    """
    gutter = _gutter_from_lines(lines, width, min_lines)
    if gutter is None and inserts:
        gutter = _gutter_beside_inserts(lines, width, inserts)
    return gutter


def _gutter_from_lines(lines: list[Line], width: float, min_lines: int) -> float | None:
    # Lines of both columns may share a baseline: split them at wide gaps first.
    pieces = [Line(list(seg)) for ln in lines for seg in _split_at_gaps(ln)]
    starts = Counter(
        round(ln.x0 / 2) * 2 for ln in pieces if width * 0.3 < ln.x0 < width * 0.7 and ln.x1 - ln.x0 > width * 0.1
    )
    for right_x, count in starts.most_common(3):
        if count < min_lines:
            break
        left = [ln for ln in pieces if ln.x1 < right_x - 4 and ln.x0 < width * 0.3 and ln.x1 - ln.x0 > width * 0.2]
        right = [ln for ln in pieces if abs(ln.x0 - right_x) <= 2 and ln.x1 - ln.x0 > width * 0.2]
        if len(left) >= min_lines and right:
            # The right column starts at its leftmost line (an indented bullet's text is not its edge).
            left_end = max(ln.x1 for ln in left)
            start = min((ln.x0 for ln in pieces if left_end + 2 < ln.x0 <= right_x + 2), default=right_x)
            gutter = (left_end + start) / 2
            # A true gutter is a channel of white where the right column runs: few lines cross it there.
            top, bottom = min(ln.top for ln in right), max(ln.bottom for ln in right)
            beside = [ln for ln in pieces if ln.bottom > top and ln.top < bottom]
            if sum(1 for ln in beside if ln.x0 < gutter < ln.x1) <= 0.2 * len(beside):
                return gutter
    return None


def _gutter_beside_inserts(lines: list[Line], width: float, inserts: list[tuple[float, float, float, float]]) -> float | None:
    pieces = [Line(list(seg)) for ln in lines for seg in _split_at_gaps(ln)]
    spans = [(ln.x0, ln.x1) for ln in pieces] + [(b[0], b[2]) for b in inserts]
    for x0, _, x1, _ in inserts:
        if not width * 0.25 < x1 - x0 < width * 0.55:
            continue
        if x1 < width * 0.6:
            starts = [a for a, _ in spans if a > x1 + 4]
            gutter = (x1 + min(starts)) / 2 if starts else None
        elif x0 > width * 0.4:
            ends = [b for _, b in spans if b < x0 - 4]
            gutter = (max(ends) + x0) / 2 if ends else None
        else:
            gutter = None
        crossing = sum(1 for a, b in spans if a < (gutter or 0) < b)
        if gutter is not None and width * 0.3 < gutter < width * 0.7 and crossing <= 0.2 * len(spans):
            return gutter
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


def _insert_boxes(page: PageLayout) -> list[tuple[float, float, float, float]]:
    return [t.bbox for t in page.tables] + [b.bbox for b in page.boxes]


def page_gutters(pages: list[PageLayout], tolerance: float = 25.0) -> list[float | None]:
    """The gutter of every page (None for one column).

    A page whose own lines do not show its columns (a right column holding one
    line, say) still has them when the document's other pages do: the gap between
    its left column's lines and the nearest text to their right is its gutter if
    it lies within ``tolerance`` of another page's, no word crosses it, and text
    lies on both sides.
    """
    lines = [page.lines for page in pages]
    found = [find_gutter(ls, page.width, _insert_boxes(page)) for ls, page in zip(lines, pages)]
    known = [g for g in found if g is not None]
    gutters = list(found)
    for i, page in enumerate(pages):
        if found[i] is None and known:
            candidate = _gap_right_of_left_column(lines[i], page.width)
            if candidate is not None and any(abs(candidate - g) <= tolerance for g in known) \
                    and _fits_gutter(lines[i], candidate):
                gutters[i] = candidate
    return gutters


def _gap_right_of_left_column(lines: list[Line], width: float) -> float | None:
    pieces = [seg for ln in lines for seg in _split_at_gaps(ln)]
    left = [seg[-1].x1 for seg in pieces if seg[0].x0 < width * 0.3 and width * 0.3 < seg[-1].x1 < width * 0.6]
    if not left:
        return None
    end = max(left)
    starts = [seg[0].x0 for seg in pieces if seg[0].x0 > end + 4]
    return (end + min(starts)) / 2 if starts else None


def _fits_gutter(lines: list[Line], gutter: float) -> bool:
    pieces = [seg for ln in lines for seg in _split_at_gaps(ln)]
    if any(w.x0 < gutter - 1 and w.x1 > gutter + 1 for seg in pieces for w in seg):
        return False
    return any(seg[-1].x1 <= gutter for seg in pieces) and any(seg[0].x0 >= gutter for seg in pieces)


def page_to_regions(page: PageLayout, gutter: float | None) -> list[Region]:
    """Split a page into regions in reading order: full-width bands, columns, tables and boxes.

    Consecutive full-width lines form one band; a run of column lines forms one band
    that is read left column first, then right column. A table or box sits in its
    column where its top falls among the lines; one that spans both columns ends the
    band above it.
    """
    lines = page.lines
    inserts = [(t.bbox, Region(t.bbox[1], 0, table=t)) for t in page.tables]
    inserts += [(b.bbox, Region(b.bbox[1], 0, words_to_lines(b.words), boxed=True)) for b in page.boxes]
    placed = [(_insert_column(bbox, gutter), bbox, region) for bbox, region in sorted(inserts, key=lambda item: item[0][1])]
    items: list[tuple[int, Line | Region]] = (
        _assign_columns(lines, gutter, page.width, [(c, bbox[1], bbox[3]) for c, bbox, _ in placed if c >= 0])
        if gutter is not None else [(-1, ln) for ln in lines]
    )
    for column, bbox, region in placed:
        at = next((i for i, (_, item) in enumerate(items) if item.top > bbox[1]), len(items))
        items.insert(at, (column, region))
    bands: list[tuple[str, list[tuple[int, Line | Region]]]] = []
    for column, item in items:
        kind = "full" if column < 0 else "columns"
        if bands and bands[-1][0] == kind:
            bands[-1][1].append((column, item))
        else:
            bands.append((kind, [(column, item)]))
    regions: list[Region] = []
    for kind, band in bands:
        for column in ((-1,) if kind == "full" else (0, 1)):
            pieces = _items_to_regions([item for c, item in band if c == column], max(column, 0))
            if pieces and column == 1:
                pieces[0].follows_break = True
            regions += pieces
    if regions:
        regions[0].follows_break = True
    return regions


def _insert_column(bbox: tuple[float, float, float, float], gutter: float | None) -> int:
    """The column a table or box sits in: 0 or 1, or -1 when it spans the page."""
    if gutter is None:
        return -1
    return 0 if bbox[2] <= gutter + 2 else 1 if bbox[0] >= gutter - 2 else -1


def _items_to_regions(items: list[Line | Region], column: int) -> list[Region]:
    """Runs of lines become one region each; tables and boxes are regions already."""
    regions: list[Region] = []
    for item in items:
        if isinstance(item, Region):
            item.column = column
            regions.append(item)
        elif regions and not regions[-1].boxed and regions[-1].table is None:
            regions[-1].lines.append(item)
        else:
            regions.append(Region(item.top, column, [item]))
    return regions


def _assign_columns(lines: list[Line], gutter: float, width: float,
                    inserts: list[tuple[int, float, float]] = ()) -> list[tuple[int, Line]]:
    """Label each line -1 (crosses the gutter), 0 (left column) or 1 (right column).

    Lines that cross the gutter are cut at it first when the cut falls in a wide gap
    (a left and a right column line that share a baseline). A run of lines in one
    column is a column layout when the other column holds lines too, or a table or
    box (``inserts``: column, top, bottom) beside them.
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
        wide = lambda ls: ls and max(l.x1 - l.x0 for l in ls) > width * 0.2  # noqa: E731
        beside = {c for c, top, bottom in inserts if run and top < run[-1][1].bottom and bottom > run[0][1].top}
        # A right column may hold a single line: the end of a paragraph, level with the left column's top.
        one_line = len(rights) == 1 and len(lefts) >= 3 and abs(rights[0].top - lefts[0].top) < 2
        if ((len(rights) >= 2 and wide(rights)) or one_line or 1 in beside) \
                and ((len(lefts) >= 2 and wide(lefts)) or 0 in beside) and (lefts or rights):
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
