"""Text rules of extraction: characters, bullets, line-end hyphens, sentence ends."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Iterable

from .model import Line

BULLET_GLYPHS = set("\u2022\u25cf\u25aa\u25a0\u25e6\u2023\u2219\u00b7\u2013\u2014-*\u27a2\u25ba\u2043\u2713\u25c6\u25cb\uf0b7\uf0a7\uf0d8")
TERMINAL = re.compile(r"[.!?:;][\"'\u201d\u2019)\]]*$")
ENUMERATOR = re.compile(r"^(\(?[0-9]{1,2}[.)]|\(?[a-z][.)]|\(?(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)[.)])$")
NUMBERED_PARA = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,2}){1,3}\.?$")
KEEP_HYPHEN_PREFIXES = {
    "multi", "self", "well", "cross", "non", "follow", "long", "short", "high", "low",
    "co", "part", "full", "child", "family", "young", "decision", "evidence",
    "peer", "case", "sign", "step", "one", "two", "three", "four", "five", "six", "twelve",
    "looked", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "middle", "hands",
}


SPACES = "\u00a0\u2002\u2003\u2007\u2009\u202f"  # no-break, en, em, figure, thin and narrow no-break spaces
DINGBAT_FONTS = ("dingbat", "wingding", "webding")

SUFFIXES = {"er", "ers", "est", "ed", "en", "ing", "ings", "s", "es", "ly", "ness", "ment", "ments", "ful", "age"}


def clean_text(text: str, fontname: str = "") -> str:
    """The text of a word as a reader gives it, with glyph oddities undone.

    Ligatures (fi, fl, ffi) and other compatibility characters are spelled out,
    spaces of every width become plain spaces, a soft hyphen is dropped inside a
    word and made a plain hyphen at its end (where it broke the word over a line),
    and a lone character set in a dingbat font (whatever letter it is coded as) or
    an unmapped bullet becomes a bullet.

    >>> clean_text("\ufb01nal e\ufb00ect")
    'final effect'
    >>> clean_text("account\u00adabil\u00ad"), clean_text("n", "ZapfDingbats")
    ('accountabil-', '\u2022')
    """
    if len(text) == 1 and fontname and any(tag in fontname.lower() for tag in DINGBAT_FONTS):
        return "\u2022"
    if text.isascii() and "(cid:" not in text:
        return text
    text = text.replace("(cid:127)", "\u2022")
    text = re.sub(r"\(cid:\d+\)", "", text)
    if any(ord(c) >= 0xFB00 for c in text):
        text = unicodedata.normalize("NFKC", text)
    if text.endswith("\u00ad"):
        text = text[:-1] + "-"
    text = text.replace("\u00ad", "")
    return text.translate({ord(c): " " for c in SPACES}) if any(c in SPACES for c in text) else text


def is_glyph(text: str) -> bool:
    """Whether a word is only a bullet glyph.

    >>> is_glyph("\u2022"), is_glyph("\uf0b7"), is_glyph("Agree")
    (True, True, False)
    """
    return text in BULLET_GLYPHS or (len(text) == 1 and 0xE000 <= ord(text) <= 0xF8FF)


def bullet_start(ln: Line, enumerators: bool = True) -> tuple[bool, str]:
    """Whether a line starts a list item, and its text without the glyph.

    A glyph of any font starts an item (the glyph dropped); so does an enumerator
    ("1.", "(b)", "iv)") followed by text, kept in the text, unless ``enumerators``
    is False.
    """
    first = ln.words[0].text
    rest = " ".join(w.text for w in ln.words[1:])
    glyph = first[:1]
    if is_glyph(first):
        return True, rest
    if glyph in BULLET_GLYPHS - {"-", "*", "\u2013", "\u2014"} and len(first) > 1:
        return True, " ".join([first[1:]] + [w.text for w in ln.words[1:]]).strip()
    if enumerators and ENUMERATOR.match(first) and len(ln.words) > 1:
        return True, ln.text
    return False, ln.text


def join_hyphenated(first: str, second: str, vocabulary: Counter | None = None) -> str:
    """Join two lines, undoing a line-end hyphen where it split a word.

    >>> join_hyphenated("the account-", "ability of leaders")
    'the accountability of leaders'
    >>> join_hyphenated("a multi-", "agency group")
    'a multi-agency group'
    >>> join_hyphenated("Coun", "cil", Counter({"council": 9, "coun": 1, "cil": 1}))
    'Council'
    """
    if not first:
        return second
    if not second:
        return first
    m = re.search(r"([A-Za-z]+)-$", first)
    if m and second[:1].islower():
        head = m.group(1)
        tail = re.match(r"[A-Za-z]+", second)
        tail_word = tail.group(0) if tail else ""
        joined, hyphened = (head + tail_word).lower(), f"{head}-{tail_word}".lower()
        keep = head.lower() in KEEP_HYPHEN_PREFIXES and tail_word.lower() not in SUFFIXES
        if vocabulary:
            if vocabulary[hyphened] > vocabulary[joined]:
                keep = True
            elif vocabulary[joined] > vocabulary[hyphened]:
                keep = False
        return first + second if keep else first[:-1] + second
    if first.endswith(("-", "\u2013", "/")) and not first.endswith(" -"):
        return first + second
    if vocabulary:
        head = re.search(r"(?:^|\s)([A-Za-z]+)$", first)
        tail = re.match(r"([a-z]+)\b", second)
        if head and tail:
            a, b = head.group(1).lower(), tail.group(1)
            if vocabulary[a + b] > 2 * max(vocabulary[a], vocabulary[b]):
                return first + second  # a long word broken without a hyphen in a narrow column
    return f"{first} {second}"


def lines_to_text(lines: Iterable[Line], vocabulary: Counter | None = None) -> str:
    """The text of consecutive lines as one string, line-end hyphens undone."""
    text = ""
    for ln in lines:
        text = join_hyphenated(text, ln.text.strip(), vocabulary)
    return re.sub(r"\s+", " ", text).strip()


def vocabulary(words: Iterable) -> Counter:
    """How often each word (and hyphenated compound) occurs, to decide line-end hyphens."""
    vocab: Counter = Counter()
    for w in words:
        for token in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", w.text):
            if not w.text.endswith("-"):
                vocab[token.lower()] += 1
    return vocab
