"""Blocks: headings, paragraphs, bullet items and table cells of a document, in reading order.

Pure functions from the pages' words and rules to ``Block``s: tables are found,
running lines dropped, each page cut into regions in reading order, each region
turned into blocks, and blocks joined back together across page and column breaks
(a paragraph that runs on, a table continued with its header row repeated).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .defaults import DEFAULT_PARAGRAPH_GAP
from .layout import PageLayout, page_to_regions, remove_running_lines, words_to_lines
from .model import Block, Line, PageData, Region, Word
from .tables import find_tables
from .text import ENUMERATOR, NUMBERED_PARA, TERMINAL, bullet_start, join_hyphenated, lines_to_text, vocabulary


@dataclass
class _Style:
    body_size: float
    body_bold: bool
    heading_levels: dict[tuple[float, bool], int]
    pitch: float = 0.0  # the usual distance between the tops of two body lines


def document_style(pages: list[PageLayout]) -> _Style:
    """The body font and the heading levels of a document, from its character sizes."""
    weights: Counter = Counter()
    for page in pages:
        for w in page.words:
            weights[(w.size, w.bold)] += len(w.text)
    if not weights:
        return _Style(10.0, False, {}, 13.0)
    (body_size, body_bold), _ = weights.most_common(1)[0]
    pitches: Counter = Counter()
    for page in pages:
        lines = [ln for ln in words_to_lines(page.words) if ln.size == body_size]
        for a, b in zip(lines, lines[1:]):
            if 0.8 * body_size < b.top - a.top < 2.5 * body_size:
                pitches[round((b.top - a.top) * 2) / 2] += 1
    pitch = pitches.most_common(1)[0][0] if pitches else body_size * 1.25
    heading_styles = sorted(
        {k for k in weights if k[0] >= body_size + 0.9 or (k[1] and not body_bold and k[0] >= body_size - 0.5)},
        key=lambda k: (-k[0], not k[1]),
    )
    return _Style(body_size, body_bold, {k: i + 1 for i, k in enumerate(heading_styles)}, pitch)


def _line_style(ln: Line) -> tuple[float, bool]:
    return (ln.size, ln.bold)


def _is_heading_line(ln: Line, style: _Style) -> bool:
    key = _line_style(ln)
    if key not in style.heading_levels:
        return False
    text = ln.text.strip()
    if len(text) > 160 or not re.search(r"[A-Za-z]", text):
        return False
    return True


def region_to_blocks(region: Region, page: int, style: _Style, vocab: Counter) -> list[Block]:
    """Blocks of one region: headings, paragraphs and bullet items, or table cells."""
    if region.table is not None:
        return [
            Block(page, "table_cell", cell, row=r, col=c)
            for r, row in enumerate(region.table.rows)
            for c, cell in enumerate(row)
            if cell
        ]
    lines = region.lines
    if not lines:
        return []
    pitch = style.pitch or style.body_size * 1.3
    width = region.right - region.left
    blocks: list[tuple[str, list[Line], int | None]] = []  # kind, lines, heading level
    bullet_indent: float | None = None
    for i, ln in enumerate(lines):
        prev = lines[i - 1] if i else None
        if _is_heading_line(ln, style):
            level = style.heading_levels[_line_style(ln)]
            if blocks and blocks[-1][0] == "heading" and blocks[-1][2] == level and prev is not None and ln.top - prev.bottom < ln.size * 0.8:
                blocks[-1][1].append(ln)
            else:
                blocks.append(("heading", [ln], level))
            bullet_indent = None
            continue
        is_bullet, _ = bullet_start(ln)
        if is_bullet and prev is not None and ENUMERATOR.match(ln.words[0].text) and not TERMINAL.search(prev.text):
            is_bullet = ln.top - prev.top > pitch * DEFAULT_PARAGRAPH_GAP  # "... under\n18. A third" is not a list item
        new = prev is None or not blocks or blocks[-1][0] == "heading"
        if not new and prev is not None:
            gap = ln.top - prev.top
            if gap > pitch * DEFAULT_PARAGRAPH_GAP or gap < 0:
                new = True
            elif is_bullet:
                new = True
            elif blocks[-1][0] == "bullet" and bullet_indent is not None and ln.x0 < bullet_indent - 2:
                new = True
            elif blocks[-1][0] != "bullet" and ln.x0 > region.left + style.body_size * 0.8 and abs(prev.x0 - region.left) < 2:
                new = True  # first-line indent
            elif NUMBERED_PARA.match(ln.words[0].text) and TERMINAL.search(prev.text):
                new = True  # a numbered paragraph ("3.2 The council ...") after a finished sentence
            elif (
                TERMINAL.search(prev.text)
                and prev.x1 < region.left + width * 0.7
                and ln.words[0].text[:1].isupper()
            ):
                new = True  # the previous line ended a paragraph short of the margin
        if new:
            if is_bullet:
                blocks.append(("bullet", [ln], None))
                bullet_indent = ln.words[1].x0 if len(ln.words) > 1 else ln.x0
            else:
                blocks.append(("paragraph", [ln], None))
                bullet_indent = None
        else:
            blocks[-1][1].append(ln)
    out = []
    for kind, blines, level in blocks:
        if kind == "bullet":
            _, first = bullet_start(blines[0])
            text = lines_to_text([_text_line(first)] + blines[1:], vocab)
        else:
            text = lines_to_text(blines, vocab)
        if text:
            block = Block(page, kind, text, level=level)
            block.ends_full = blines[-1].x1 >= region.right - max(0.06 * width, style.body_size)
            block.starts_indented = blines[0].x0 > region.left + style.body_size * 0.8
            out.append(block)
    return out


def _text_line(text: str) -> Line:
    return Line([Word(text, 0, 0, 0, 0, 0, False)])


def _continues(prev: Block, nxt: Block) -> bool:
    """Whether ``nxt`` (first block after a page or column break) continues ``prev``.

    It does when ``prev`` stops mid-sentence, when ``nxt`` starts in lower case, or
    when ``prev`` fills its last line to the margin and ``nxt`` starts without an
    indent (a sentence that happened to end at the foot of the page).
    """
    if prev.kind not in ("paragraph", "bullet") or nxt.kind != "paragraph":
        return False
    if not TERMINAL.search(prev.text) or nxt.text[:1].islower():
        return True
    return prev.ends_full and not nxt.starts_indented


@dataclass
class _TableState:
    index: int = -1
    header: list[str] | None = None
    columns: int = 0
    rows: int = 0  # rows numbered so far in the current table


def _table_blocks(region: Region, new_blocks: list[Block], blocks: list[Block], state: _TableState,
                  after_break: bool, vocab: Counter) -> list[Block]:
    """Number a table's cells; carry a table over a page break as one table.

    A table that opens a page right after a table closed the previous one, with the
    same number of columns, continues it: a repeated header row is dropped, and a
    row split by the break (its first cell empty on the new page) is joined to the
    row it started in.
    """
    rows = region.table.rows
    header = rows[0] if rows else None
    columns = max((len(r) for r in rows), default=0)
    continuing = after_break and bool(blocks) and blocks[-1].kind == "table_cell" and columns == state.columns
    if not continuing:
        state.index, state.header, state.columns, state.rows = state.index + 1, header, columns, 0
        for b in new_blocks:
            b.table = state.index
        state.rows = len(rows)
        return new_blocks
    skip = 1 if header == state.header else 0
    kept = [b for b in new_blocks if (b.row or 0) >= skip]
    first = rows[skip] if len(rows) > skip else None
    merged = 0
    if first is not None and not first[0] and any(first[1:]):
        last_row = state.rows - 1
        previous = {b.col: b for b in blocks if b.kind == "table_cell" and b.table == state.index and b.row == last_row}
        if previous:
            for b in (b for b in kept if b.row == skip):
                if b.col in previous:
                    previous[b.col].text = join_hyphenated(previous[b.col].text, b.text, vocab)
                else:
                    b.table, b.row = state.index, last_row
                    blocks.append(b)
            kept = [b for b in kept if b.row != skip and b.table is None]
            merged = 1
    offset = state.rows - skip - merged
    for b in kept:
        b.row = (b.row or 0) + offset
        b.table = state.index
    state.rows += len(rows) - skip - merged
    return kept


def lay_out(page: PageData) -> PageLayout:
    """Find a page's tables and keep the words outside them as its body."""
    tables = find_tables(page)
    body = [w for w in page.words if not any(_in_box(w, t.bbox) for t in tables)]
    return PageLayout(page.number, page.width, page.height, body, tables)


def _in_box(w: Word, box: tuple[float, float, float, float]) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
    return box[0] - 1 <= cx <= box[2] + 1 and box[1] - 1 <= cy <= box[3] + 1


def pages_to_blocks(pages: list[PageData]) -> list[Block]:
    """Blocks of a whole document in reading order, with heading paths as sections."""
    layouts = [lay_out(page) for page in pages]
    style = document_style(layouts)
    layouts = remove_running_lines(layouts, style.body_size)
    vocab = vocabulary(w for page in layouts for w in page.words)
    blocks: list[Block] = []
    tables = _TableState()
    for page in layouts:
        after_break = True  # the next region follows a page break
        for region in page_to_regions(page):
            new_blocks = region_to_blocks(region, page.number, style, vocab)
            if not new_blocks:
                continue
            if region.table is not None:
                new_blocks = _table_blocks(region, new_blocks, blocks, tables, after_break, vocab)
            elif (after_break or region.column == 1) and blocks and _continues(blocks[-1], new_blocks[0]):
                blocks[-1].text = join_hyphenated(blocks[-1].text, new_blocks[0].text, vocab)
                blocks[-1].ends_full = new_blocks[0].ends_full
                new_blocks = new_blocks[1:]
            after_break = False
            blocks += new_blocks
    return assign_sections(blocks)


def assign_sections(blocks: list[Block]) -> list[Block]:
    """Give each block the heading path it sits under, e.g. ``2. Findings > 2.1 Early help``."""
    path: list[tuple[int, str]] = []
    for block in blocks:
        if block.kind == "heading":
            level = block.level or 1
            path = [(lv, t) for lv, t in path if lv < level]
            block.section = " > ".join(t for _, t in path)
            path.append((level, block.text))
        else:
            block.section = " > ".join(t for _, t in path)
    return blocks


