"""Blocks: headings, paragraphs, bullet items, table cells and footnotes of a document, in reading order.

Pure functions from the pages' words and rules to ``Block``s: tables and boxes are
found, footnote markers taken out, running lines dropped and footnotes set aside,
each page cut into regions in reading order, each region turned into blocks, and
blocks joined back together across page and column breaks and across the boxes
that interrupt them (a paragraph that runs on, a table continued with its header
row repeated).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .boxes import find_boxes
from .defaults import DEFAULT_PARAGRAPH_GAP
from .layout import (
    MARKER,
    PageLayout,
    drop_footnote_markers,
    page_gutters,
    page_to_regions,
    remove_running_lines,
    split_footnotes,
)
from .model import Block, Line, PageData, Region, Word, words_to_lines
from .tables import find_tables
from .text import ENUMERATOR, NUMBERED_PARA, TERMINAL, bullet_start, join_hyphenated, lines_to_text, vocabulary

StyleKey = tuple[float, bool, bool]  # size, bold, italic


@dataclass
class _Style:
    body_size: float
    body_bold: bool
    heading_levels: dict[StyleKey, int]
    pitch: float = 0.0  # the usual distance between the tops of two body lines


def lay_out(page: PageData) -> PageLayout:
    """Find a page's tables and boxes; keep the words outside them, footnote markers dropped, as its body."""
    words = drop_footnote_markers(page.words)
    tables = find_tables(page)
    outside = [w for w in words if not any(_in_box(w, t.bbox) for t in tables)]
    boxes = find_boxes(page, outside, tables)
    boxed = {id(w) for box in boxes for w in box.words}
    body = [w for w in outside if id(w) not in boxed]
    return PageLayout(page.number, page.width, page.height, body, tables, boxes)


def _in_box(w: Word, box: tuple[float, float, float, float]) -> bool:
    cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
    return box[0] - 1 <= cx <= box[2] + 1 and box[1] - 1 <= cy <= box[3] + 1


def _text_words(page: PageLayout) -> list[Word]:
    return page.words + [w for box in page.boxes for w in box.words]


def _table_words(page: PageLayout) -> list[Word]:
    return [w for t in page.tables for row in t.rows for cell in row for ln in cell for w in ln.words]


def document_style(pages: list[PageLayout]) -> _Style:
    """The body font and the heading levels of a document, from its character sizes.

    Headings are set larger than the body or in bold; type that is larger but
    italic and not bold is display type (a pull quote), not a heading.
    """
    weights: Counter = Counter()
    for page in pages:
        for w in _text_words(page):
            weights[(w.size, w.bold, w.italic)] += len(w.text)
    if not weights:
        return _Style(10.0, False, {}, 13.0)
    body: Counter = Counter()
    for (size, bold, _), n in weights.items():
        body[(size, bold)] += n
    (body_size, body_bold), _ = body.most_common(1)[0]
    pitches: Counter = Counter()
    for page in pages:
        lines = [ln for ln in words_to_lines(page.words) if ln.size == body_size]
        for a, b in zip(lines, lines[1:]):
            if 0.8 * body_size < b.top - a.top < 2.5 * body_size:
                pitches[round((b.top - a.top) * 2) / 2] += 1
    pitch = pitches.most_common(1)[0][0] if pitches else body_size * 1.25
    heading_styles = sorted(
        {k for k in weights
         if (k[0] >= body_size + 0.9 and (k[1] or not k[2])) or (k[1] and not body_bold and k[0] >= body_size - 0.5)},
        key=lambda k: (-k[0], not k[1], k[2]),
    )
    return _Style(body_size, body_bold, {k: i + 1 for i, k in enumerate(heading_styles)}, pitch)


def _line_style(ln: Line) -> StyleKey:
    return (ln.size, ln.bold, ln.italic)


def _is_heading_line(ln: Line, style: _Style) -> bool:
    key = _line_style(ln)
    if key not in style.heading_levels:
        return False
    text = ln.text.strip()
    if len(text) > 160 or not re.search(r"[A-Za-z]", text):
        return False
    return True


def _is_display(lines: list[Line], style: _Style) -> bool:
    """Whether lines are set in display type: larger than the body, italic, not bold (a pull quote)."""
    return all(ln.italic and not ln.bold and ln.size >= style.body_size + 0.9 for ln in lines)


def region_to_blocks(region: Region, page: int, style: _Style, vocab: Counter) -> list[Block]:
    """Blocks of one region of lines (a column, or a box): headings, paragraphs and bullet items.

    Everything in a box is ``boxed``, and so is a paragraph set in display type.
    """
    lines = region.lines
    if not lines:
        return []
    pitch = style.pitch or style.body_size * 1.3
    # The measure of the running text: a title set across the page above a column does not widen it.
    body = [ln for ln in lines if abs(ln.size - style.body_size) < 0.5] or lines
    left, right = min(ln.x0 for ln in body), max(ln.x1 for ln in body)
    width = right - left
    # A line of justified text runs to the margin; the last line of a paragraph seldom does.
    justified = sum(1 for ln in body if ln.x1 >= right - 1.5) >= 0.5 * len(body)
    full = 1.5 if justified else max(0.06 * width, style.body_size)
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
            elif abs(ln.size - prev.size) > 1.0 or _is_display([ln], style) != _is_display([prev], style):
                new = True  # the type changes: display type starts or ends
            elif blocks[-1][0] == "bullet" and bullet_indent is not None and ln.x0 < bullet_indent - 2:
                new = True
            elif blocks[-1][0] != "bullet" and ln.x0 > left + style.body_size * 0.8 and abs(prev.x0 - left) < 2:
                new = True  # first-line indent
            elif NUMBERED_PARA.match(ln.words[0].text) and TERMINAL.search(prev.text):
                new = True  # a numbered paragraph ("3.2 The council ...") after a finished sentence
            elif (
                TERMINAL.search(prev.text)
                and prev.x1 < left + width * 0.7
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
            block = Block(page, kind, text, level=level, boxed=region.boxed or (kind == "paragraph" and _is_display(blines, style)))
            block.ends_full = blines[-1].x1 >= right - full
            block.starts_indented = blines[0].x0 > left + style.body_size * 0.8
            out.append(block)
    return out


def _text_line(text: str) -> Line:
    return Line([Word(text, 0, 0, 0, 0, 0, False)])


def _continues(prev: Block, nxt: Block, full_line: bool = True) -> bool:
    """Whether ``nxt`` (first block after a page or column break, or after a box) continues ``prev``.

    It does when ``nxt`` starts in lower case, when ``prev`` stops mid-sentence
    (a bullet only if ``nxt`` starts at its hanging indent), or (with ``full_line``,
    across a break) when ``prev`` fills its last line to the margin and ``nxt`` starts
    without an indent (a sentence that happened to end at the foot of the page).
    """
    if prev.kind not in ("paragraph", "bullet") or nxt.kind != "paragraph" or nxt.boxed:
        return False
    if nxt.text[:1].islower():
        return True
    if prev.kind == "bullet" and not nxt.starts_indented:
        return False  # a bullet runs on at its hanging indent; an item of a list without stops ends there
    if not TERMINAL.search(prev.text):
        return True
    return full_line and prev.ends_full and not nxt.starts_indented


# --------------------------------------------------------------------------- tables


def cell_items(lines: list[Line], vocab: Counter) -> list[tuple[str, bool]]:
    """The passages of one table cell as (text, starts with a bullet): one per bullet.

    A bullet's glyph is dropped; its wrapped lines (at its text's indent, or under
    the glyph when the cell sets no hanging indent) and a follow-on sentence stay
    with it. Text before the first bullet, or set back at the cell's left after a
    space, is an item of its own. A cell without bullets is one item.
    """
    items: list[tuple[list[Line], bool, float]] = []  # lines, is a bullet, indent of its text
    for prev, ln in zip([None] + lines, lines):
        is_bullet, rest = bullet_start(ln, enumerators=False)
        if is_bullet:
            indent = ln.words[1].x0 if len(ln.words) > 1 else ln.x0
            items.append(([_text_line(rest)], True, indent))
        elif items and (not items[-1][1] or ln.x0 >= items[-1][2] - 2 or ln.top - prev.bottom < 0.5 * ln.size):
            items[-1][0].append(ln)
        else:
            items.append(([ln], False, ln.x0))
    return [(text, bullet) for item_lines, bullet, _ in items if (text := lines_to_text(item_lines, vocab))]


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


@dataclass
class _TableState:
    """The table being numbered: carried over page and column breaks."""

    index: int = -1
    header: list[str | None] | None = None
    header_bold: bool = False
    columns: int = 0
    rows: int = 0  # rows numbered so far in the current table
    open: bool = False  # the last block of content was one of its cells


def table_blocks(region: Region, page: int, state: _TableState, blocks: list[Block], vocab: Counter) -> list[Block]:
    """The blocks of a table region, one per cell or per bullet of a cell, with headers.

    A table that opens a page or a column right after a table (with as many
    columns) continues it, unless it starts with a bold header row of its own: a
    repeated header row is dropped, rows are numbered straight through, and a row
    split by the break (its first cell empty after it) is joined to the row it
    started in. Each cell carries its row header (the row's first cell) and column
    header (the header row's cell), as ``segment.assign_table_headers`` would.
    """
    table = region.table
    rows = [[cell_items(cell, vocab) for cell in row] for row in table.rows]
    keep = [i for i, row in enumerate(rows) if any(row)]
    rows = [rows[i] for i in keep]
    if not rows:
        return []
    bold = [all(ln.bold for cell in table.rows[i] for ln in cell) for i in keep]
    texts = [["; ".join(t for t, _ in cell) or None for cell in row] for row in rows]
    columns = len(rows[0])
    first = [_squash(t or "") for t in texts[0]]
    continuing = region.follows_break and state.open and columns == state.columns
    if continuing and state.header is not None:
        repeated = first == [_squash(t or "") for t in state.header]
        if repeated:
            rows, texts = rows[1:], texts[1:]
        elif bold[0] and state.header_bold:
            continuing = False  # a new table with a header row of its own
    out: list[Block] = []
    if not continuing:
        state.index, state.header, state.header_bold, state.columns, state.rows = state.index + 1, texts[0], bold[0], columns, 0
    elif rows and texts[0][0] is None and any(texts[0][1:]) and state.rows:
        _join_split_row(rows[0], blocks, state, page, vocab)
        rows, texts = rows[1:], texts[1:]
    for row, row_texts in zip(rows, texts):
        number = state.rows
        for c, items in enumerate(row):
            for text, _ in items:
                out.append(_cell_block(page, text, state, number, c, row_texts[0]))
        state.rows += 1
    return out


def _cell_block(page: int, text: str, state: _TableState, row: int, col: int, row_header: str | None) -> Block:
    col_header = state.header[col] if row > 0 and state.header is not None and col < len(state.header) else None
    return Block(page, "table_cell", text, table=state.index, row=row, col=col,
                 row_header=row_header if col > 0 else None, col_header=col_header)


def _join_split_row(row: list[list[tuple[str, bool]]], blocks: list[Block], state: _TableState, page: int,
                    vocab: Counter) -> None:
    """Join the cells of a row continued after a break to the row it started in.

    A cell's text that runs on (it does not start a new bullet) is joined to the
    cell's last piece; the cell's new bullets are placed after its earlier ones, so
    the row still reads cell by cell.
    """
    last = state.rows - 1
    mine = [i for i, b in enumerate(blocks) if b.kind == "table_cell" and b.table == state.index and b.row == last]
    row_header = "; ".join(blocks[i].text for i in mine if blocks[i].col == 0) or None
    for c, items in enumerate(row):
        for k, (text, bullet) in enumerate(items):
            cell = [i for i in mine if blocks[i].col == c]
            if k == 0 and cell and not bullet:
                blocks[cell[-1]].text = join_hyphenated(blocks[cell[-1]].text, text, vocab)
                continue
            before = [i for i in mine if blocks[i].col <= c]
            at = before[-1] + 1 if before else (mine[0] if mine else len(blocks))
            blocks.insert(at, _cell_block(page, text, state, last, c, row_header))
            mine = sorted([i + (i >= at) for i in mine] + [at])


# --------------------------------------------------------------------------- the document


def footnote_blocks(page: PageLayout, vocab: Counter) -> list[Block]:
    """A page's footnotes as blocks of kind ``footnote``, one per note."""
    notes: list[list[Line]] = []
    for ln in page.footnotes:
        if MARKER.match(ln.words[0].text.rstrip(".")) or not notes:
            notes.append([ln])
        else:
            notes[-1].append(ln)
    return [Block(page.number, "footnote", lines_to_text(note, vocab)) for note in notes]


def _run_on_target(blocks: list[Block], region: Region) -> tuple[Block | None, bool]:
    """The block that the first paragraph of ``region`` may continue, and whether across a break.

    After a box, it is the last block before the box (a box interrupts a paragraph
    without ending it); after a page or column break, the last block of content.
    """
    last = next((b for b in reversed(blocks) if b.kind != "footnote"), None)
    if last is None:
        return None, False
    if last.boxed:
        before = next((b for b in reversed(blocks) if b.kind != "footnote" and not b.boxed), None)
        return before, region.follows_break
    return (last, True) if region.follows_break else (None, False)


def pages_to_blocks(pages: list[PageData]) -> list[Block]:
    """Blocks of a whole document in reading order, with heading paths as sections."""
    layouts = [lay_out(page) for page in pages]
    style = document_style(layouts)
    layouts = [split_footnotes(page, style.body_size) for page in remove_running_lines(layouts, style.body_size)]
    vocab = vocabulary(w for page in layouts for w in _text_words(page) + _table_words(page))
    blocks: list[Block] = []
    tables = _TableState()
    for page, gutter in zip(layouts, page_gutters(layouts)):
        for region in page_to_regions(page, gutter):
            if region.table is not None:
                new_blocks = table_blocks(region, page.number, tables, blocks, vocab)
                tables.open = tables.open or bool(new_blocks)
                blocks += new_blocks
                continue
            new_blocks = region_to_blocks(region, page.number, style, vocab)
            if not new_blocks:
                continue
            tables.open = False
            target, across_break = _run_on_target(blocks, region) if not region.boxed else (None, False)
            if target is not None and _continues(target, new_blocks[0], full_line=across_break):
                target.text = join_hyphenated(target.text, new_blocks[0].text, vocab)
                target.ends_full = new_blocks[0].ends_full
                new_blocks = new_blocks[1:]
            blocks += new_blocks
        blocks += footnote_blocks(page, vocab)
    return assign_sections(blocks)


def assign_sections(blocks: list[Block]) -> list[Block]:
    """Give each block the heading path it sits under, e.g. ``2. Findings > 2.1 Early help``.

    A heading inside a box titles the box alone: the blocks of the box sit under
    it, and the running text after the box goes on under the path before it.
    """
    path: list[tuple[int, str]] = []
    box_title: str | None = None
    for block in blocks:
        outer = " > ".join(t for _, t in path)
        if block.boxed:
            if block.kind == "heading":
                block.section, box_title = outer, block.text
            else:
                block.section = " > ".join(t for t in (outer, box_title) if t)
            continue
        box_title = None
        if block.kind == "heading":
            level = block.level or 1
            path = [(lv, t) for lv, t in path if lv < level]
            block.section = " > ".join(t for _, t in path)
            path.append((level, block.text))
        else:
            block.section = outer
    return blocks
