"""The plain data of extraction: what a reader gives (words, rules) and what comes out (blocks)."""

from __future__ import annotations

import statistics
from dataclasses import KW_ONLY, asdict, dataclass, field
from typing import NamedTuple


@dataclass
class Word:
    """A word on a page, in points from the top left, with its font size, weight and slant."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    italic: bool = False


class Rule(NamedTuple):
    """A straight ruling line, or one side of a stroked box: orientation ``"h"`` or ``"v"``."""

    orientation: str
    x0: float
    x1: float
    top: float
    bottom: float


class Shade(NamedTuple):
    """A rectangle filled in a colour other than white: a shaded box, a table's header row."""

    x0: float
    top: float
    x1: float
    bottom: float


@dataclass
class PageData:
    """What a reader finds on one page: its words, its ruling lines and its shaded areas.

    Everything after reading (tables, columns, blocks) is worked out from these
    by pure functions, so another reader (OCR of a page image, say) only has to
    fill a ``PageData``.
    """

    number: int
    width: float
    height: float
    words: list[Word]
    _: KW_ONLY
    rules: list[Rule] = field(default_factory=list)
    shades: list[Shade] = field(default_factory=list)
    has_images: bool = False
    unreadable: str = ""  # why the page's content could not be read (a page with no words), else empty


@dataclass
class Line:
    """Words that share a baseline, left to right."""

    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def size(self) -> float:
        return round(statistics.median(w.size for w in self.words), 1)

    @property
    def bold(self) -> bool:
        return all(w.bold for w in self.words)

    @property
    def italic(self) -> bool:
        return all(w.italic for w in self.words)


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


@dataclass
class Table:
    """A table on one page: its box, and the lines of each cell by row and column."""

    bbox: tuple[float, float, float, float]
    rows: list[list[list[Line]]]


@dataclass
class Box:
    """Text set apart from the running text (a shaded or framed box, a pull quote between rules)."""

    bbox: tuple[float, float, float, float]
    words: list[Word]


@dataclass
class Region:
    """A piece of a page in reading order: lines of one column, a box, or a table."""

    top: float
    column: int  # 0 full width / left, 1 right
    lines: list[Line] = field(default_factory=list)
    table: Table | None = None
    boxed: bool = False
    follows_break: bool = False  # the first region of a page or of a right column


@dataclass
class Block:
    """One unit of a page in reading order."""

    page: int
    kind: str  # heading | paragraph | bullet | table_cell | footnote
    text: str
    section: str = ""
    level: int | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None
    # Context of a table cell: the text of its row's first cell and of its column's header.
    row_header: str | None = None
    col_header: str | None = None
    # Set apart from the running text: a shaded or framed box, a pull quote.
    boxed: bool = False
    # Read by OCR from a page image, with the engine's mean word confidence (0-100).
    ocr: bool = False
    ocr_confidence: float | None = None
    # Layout facts used to re-join paragraphs across breaks; not part of the output.
    ends_full: bool = field(default=False, repr=False, compare=False)
    starts_indented: bool = field(default=False, repr=False, compare=False)

    def to_dict(self) -> dict:
        skip = {"ends_full", "starts_indented"}
        return {k: v for k, v in asdict(self).items() if v is not None and v is not False and k not in skip}
