"""Make text safe for the files people open in other programs: spreadsheets and XML.

One place for the rules, so every CSV, Excel sheet and XML file textmine writes
follows them:

- a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  could start a formula in a spreadsheet program; it gets a leading single quote
  (OWASP's advice against CSV injection);
- characters XML 1.0 cannot hold (most control characters, lone surrogates,
  U+FFFE and U+FFFF) become U+FFFD;
- an Excel cell holds at most 32,767 characters; longer text is cut with a
  marker that says how much is not shown and where the whole text is.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
EXCEL_CELL_LIMIT = 32767
CUT_MARKER = "[... cut: {n:,} characters not shown; full text in passages.parquet / export.csv]"


def neutralise(value):
    """A cell value that no spreadsheet reads as a formula; anything but text is returned as is.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-5% on last year"), neutralise("fine"), neutralise(-5)
    ('\\'=HYPERLINK("http://x")', "'-5% on last year", 'fine', -5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with every text cell neutralised (numbers stay numbers)."""
    out = table.copy()
    for col in out.columns:
        if out[col].dtype.kind == "O":  # object and string columns
            out[col] = out[col].map(neutralise).astype(object)
    return out


def table_to_csv(table: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV bytes, every text cell neutralised, text never cut.

    Rows end in CRLF (RFC 4180), so a cell holding a line break of either kind is quoted.
    """
    return neutralise_table(table).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def xml_chars(text: str) -> tuple[str, int]:
    """Text with the characters XML 1.0 cannot hold replaced by U+FFFD, and how many were replaced.

    >>> xml_chars("page\\x01one\\x0c")
    ('page\\ufffdone\\ufffd', 2)
    """
    return NOT_XML.subn("\ufffd", text)


def excel_text(text: str, limit: int = EXCEL_CELL_LIMIT) -> tuple[str, list[str]]:
    """Text an Excel cell can hold, and notes on what was changed (empty when nothing was).

    Characters XML cannot hold become U+FFFD; text longer than ``limit`` is cut
    and ends with a marker saying how many characters are not shown.

    >>> excel_text("ab\\x01" + "c" * 200, limit=100)[1]
    ['1 character XML cannot hold replaced by U+FFFD', 'cut at 100 characters: 182 not shown']
    """
    text, replaced = xml_chars(text)
    notes = [f"{replaced} character{'s' if replaced != 1 else ''} XML cannot hold replaced by U+FFFD"] if replaced else []
    if len(text) > limit:
        kept = limit - len(CUT_MARKER.format(n=len(text)))
        cut = len(text) - kept
        text = text[:kept] + CUT_MARKER.format(n=cut)
        notes.append(f"cut at {limit:,} characters: {cut:,} not shown")
    return text, notes


def _cell_value(value):
    """A plain Python value for openpyxl: None for missing, numpy scalars as Python ones."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def _cell(sheet, value):
    """A write-only cell; text is always a string cell (never a formula or an error code)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def table_to_xlsx(table: pd.DataFrame, sheet: str, key: str) -> bytes:
    """A table as an Excel workbook that opens safely and says what it had to change.

    Every text cell is neutralised and written as a string; characters XML cannot
    hold are replaced and text longer than an Excel cell is cut with a marker.
    When anything was changed, a ``notes`` sheet lists each change by the row's
    ``key`` value and the column.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    data = book.create_sheet(sheet)
    data.append([_cell(data, str(c)) for c in table.columns])
    notes = []
    key_at = list(table.columns).index(key)
    for row in neutralise_table(table).itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, row):
            value = _cell_value(value)
            if isinstance(value, str):
                value, changes = excel_text(value)
                notes += [(row[key_at], column, change) for change in changes]
            cells.append(_cell(data, value))
        data.append(cells)
    if notes:
        page = book.create_sheet("notes")
        cells = len({(k, c) for k, c, _ in notes})
        page.append([_cell(page, f"{cells} cell{'s' if cells != 1 else ''} of sheet {sheet!r} could not be written as "
                                 "they are; passages.parquet and the CSV export keep the text whole.")])
        page.append([_cell(page, v) for v in (key, "column", "what was changed")])
        for note in notes:
            page.append([_cell(page, neutralise(v)) for v in note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
