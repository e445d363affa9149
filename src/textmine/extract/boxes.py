"""Boxes: text set apart from the running text, read once, in place, and marked.

Three drawings set text apart, and each is found from what the reader gives:

- a shaded box (a key-findings panel): a filled rectangle with words inside;
- a framed box: two horizontal rules of one extent joined by vertical rules at both ends;
- a pull quote between two short rules of one extent that no table uses, with
  space above the upper rule and below the lower (a heading's underline has its
  heading right on top of it).

A pull quote set only in its own type (larger italics, no rules) is recognised
later, from its lines' style, when blocks are made.
"""

from __future__ import annotations

from .defaults import DEFAULT_BOX_CLEARANCE, DEFAULT_BOX_MAX_HEIGHT, DEFAULT_BOX_MIN_SIZE, DEFAULT_MARGIN_BAND
from .model import Box, PageData, Table, Word
from .tables import horizontal_rules, rule_stacks

BBox = tuple[float, float, float, float]


def find_boxes(page: PageData, words: list[Word], tables: list[Table]) -> list[Box]:
    """The boxes of a page among ``words`` (those outside its tables), top to bottom.

    A box inside another (a framed panel that is also shaded) is one box.
    """
    areas = [a for a in shaded_areas(page, tables) + ruled_areas(page, words, tables)
             if page.height * DEFAULT_MARGIN_BAND < (a[1] + a[3]) / 2 < page.height * (1 - DEFAULT_MARGIN_BAND)]
    outer = [a for a in areas if not any(b != a and _contains(b, a) for b in areas)]
    boxes = []
    for bbox in sorted(set(outer), key=lambda b: (b[1], b[0])):
        inside = [w for w in words if _centre_in(w, bbox)]
        if inside:
            boxes.append(Box(bbox, inside))
    return boxes


def shaded_areas(page: PageData, tables: list[Table], min_size: float = DEFAULT_BOX_MIN_SIZE) -> list[BBox]:
    """Filled rectangles big enough to hold text, outside tables and smaller than half the page."""
    out = []
    for s in page.shades:
        width, height = s.x1 - s.x0, s.bottom - s.top
        if width < min_size or height < min_size or width * height > 0.5 * page.width * page.height:
            continue
        centre = ((s.x0 + s.x1) / 2, (s.top + s.bottom) / 2)
        if any(t.bbox[0] <= centre[0] <= t.bbox[2] and t.bbox[1] <= centre[1] <= t.bbox[3] for t in tables):
            continue  # a shaded header row
        out.append((s.x0, s.top, s.x1, s.bottom))
    return out


def ruled_areas(page: PageData, words: list[Word], tables: list[Table],
                clearance: float = DEFAULT_BOX_CLEARANCE, max_height: float = DEFAULT_BOX_MAX_HEIGHT) -> list[BBox]:
    """Framed boxes and pull quotes: two rules of one extent with text between, and no table.

    The text must not reach past the rules' ends; unless vertical rules close the
    box at both ends, nothing may sit within ``clearance`` (a share of the text's
    size) above the upper rule or below the lower one, and the pair may be no taller
    than ``max_height`` of the page.
    """
    vertical = [r for r in page.rules if r.orientation == "v"]
    out = []
    for x0, x1, ys in rule_stacks(horizontal_rules(page.rules)):
        i = 0
        while i + 1 < len(ys):
            box = (x0, ys[i], x1, ys[i + 1])
            if _is_ruled_box(box, words, tables, vertical, page.height, clearance, max_height):
                out.append(box)
                i += 2
            else:
                i += 1
    return out


def _is_ruled_box(box: BBox, words: list[Word], tables: list[Table], vertical: list, page_height: float,
                  clearance: float, max_height: float) -> bool:
    x0, top, x1, bottom = box
    band = DEFAULT_MARGIN_BAND * page_height
    if top < band or bottom > page_height - band:
        return False  # a running header's or footer's rule
    if any(t.bbox[0] < x1 and x0 < t.bbox[2] and t.bbox[1] - 1 <= y <= t.bbox[3] + 1 for t in tables for y in (top, bottom)):
        return False  # a table's rule
    inside = [w for w in words if top < (w.top + w.bottom) / 2 < bottom and w.x1 > x0 and w.x0 < x1]
    if not inside or any(w.x0 < x0 - 2 or w.x1 > x1 + 2 for w in inside):
        return False
    if all(any(abs(v.x0 - x) < 2 and v.top <= top + 2 and v.bottom >= bottom - 2 for v in vertical) for x in (x0, x1)):
        return True  # framed on all four sides
    if bottom - top > max_height * page_height:
        return False
    size = max(w.size for w in inside)
    return not any(
        top - clearance * size < w.bottom <= top + 1 or bottom - 1 <= w.top < bottom + clearance * size
        for w in words if w.x1 > x0 and w.x0 < x1 and not top < (w.top + w.bottom) / 2 < bottom
    )


def _centre_in(w: Word, box: BBox) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
    return box[0] - 1 <= cx <= box[2] + 1 and box[1] - 1 <= cy <= box[3] + 1


def _contains(outer: BBox, inner: BBox) -> bool:
    return outer[0] - 1 <= inner[0] and outer[1] - 1 <= inner[1] and inner[2] <= outer[2] + 1 and inner[3] <= outer[3] + 1
