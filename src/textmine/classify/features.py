"""Features of a passage and its context, as one scikit-learn ``ColumnTransformer``.

The input is a data frame with the passage ``text`` and its context in the
document (``passages_frame``): the heading path (``section``), its ``kind``, the
lead-in of the list it belongs to and, for a table cell, its row and column
headers. Every context field has features of its own, so the text stays primary
and a passage given without context is still classified on its text:

==================  =============  ======================================================
block               column         what
==================  =============  ======================================================
words, chars        text           TF-IDF of word 1-2-grams and character 3-5-grams
cues                text           log(1 + count) of each label's cue phrases
definitions         text           cosine similarity with each label's definition and cues
section_*           section        the heading's words, cue phrases and definition similarity
lead_in_*           lead_in        the lead-in's words and cue phrases
row_*, col_words    row_header...  the table headers' words (and the row's cue phrases and
                                   definition similarity: a row named after a factor)
layout              several        kind, imperative mood, modal verbs, list punctuation,
                                   time markers of the lead-in, first word of change/step
==================  =============  ======================================================

A fitted featuriser is saved as JSON and arrays (``featuriser_state``) and rebuilt
without pickle (``featuriser_from_state``).
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .. import taxonomy
from . import lexicon
from .examples import CONTEXT_FIELDS, KINDS

FIELDS = ("text", *CONTEXT_FIELDS)

WORDS = dict(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2, lowercase=True,
             token_pattern=r"(?u)\b[\w'-]*\w\b", max_features=40000)
CHARS = dict(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=3, lowercase=True,
             max_features=60000)
HEADER_WORDS = dict(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True,
                    token_pattern=r"(?u)\b[\w'-]*\w\b", max_features=8000)

# Relative weight of each block in the one linear model (a block's scale is a prior on its coefficients).
DEFAULT_WEIGHTS = {
    "words": 1.0, "chars": 1.0, "cues": 0.5, "definitions": 2.0,
    "section_words": 0.7, "section_cues": 0.4, "section_definitions": 1.0, "lead_in_words": 0.6, "lead_in_cues": 0.4,
    "row_words": 0.7, "row_cues": 0.4, "row_definitions": 1.0, "col_words": 0.7, "layout": 1.0,
}
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'"})


def passages_frame(passages: Iterable[dict] | pd.DataFrame) -> pd.DataFrame:
    """The classifier's input: one row per passage, the text and every context field as strings."""
    if isinstance(passages, pd.DataFrame):
        frame = passages.reindex(columns=list(FIELDS))
    else:
        frame = pd.DataFrame([{f: p.get(f) for f in FIELDS} for p in passages], columns=list(FIELDS))
    return frame.astype(object).where(frame.notna(), "").astype(str)


_SPACES = re.compile(r"\s\s+")


class ContextTfidf(TfidfVectorizer):
    """TF-IDF of a field that may be empty in every training passage (it then has one idle column).

    ``transform`` gives exactly ``TfidfVectorizer``'s matrix, faster: each distinct
    value is analysed once (headings and lead-ins repeat down a document), and
    character n-grams are looked up once per distinct word.
    """

    def fit(self, raw_documents, y=None):
        docs = list(raw_documents)
        if self.vocabulary is None and not any(re.search(r"\w\w", d) for d in docs):
            docs.append("none")
        return super().fit(docs)

    def fit_transform(self, raw_documents, y=None):
        docs = list(raw_documents)
        return self.fit(docs).transform(docs)

    def transform(self, raw_documents) -> sparse.csr_matrix:
        check_is_fitted(self, "vocabulary_")
        values, rows = np.unique(np.asarray(list(raw_documents), dtype=object).astype(str), return_inverse=True)
        if self.analyzer == "char_wb" and self.lowercase and self.preprocessor is None and self.strip_accents is None:
            matrix = self._char_wb_tfidf(values)
        else:
            matrix = super().transform(values)
        return matrix[rows.ravel()]

    def _char_wb_tfidf(self, docs) -> sparse.csr_matrix:
        """The TF-IDF matrix of character n-grams within word boundaries, each word's n-grams found once."""
        from sklearn.preprocessing import normalize

        vocabulary, (low, high) = self.vocabulary_, self.ngram_range
        by_word: dict[str, list[int]] = {}
        indptr, indices = [0], []
        for doc in docs:
            for word in _SPACES.sub(" ", doc.lower()).split():
                found = by_word.get(word)
                if found is None:
                    padded, found = f" {word} ", []
                    for n in range(low, high + 1):
                        found += [j for i in range(len(padded) - n + 1) if (j := vocabulary.get(padded[i:i + n])) is not None]
                        if len(padded) <= n:  # a short word gives one n-gram, itself
                            break
                    by_word[word] = found
                indices += found
            indptr.append(len(indices))
        counts = sparse.csr_matrix((np.ones(len(indices)), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
                                   shape=(len(docs), len(vocabulary)))
        counts.sum_duplicates()
        if self.binary:
            counts.data[:] = 1
        if self.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1
        if self.use_idf:
            counts = counts @ sparse.diags(self.idf_)
        return normalize(counts, norm=self.norm, copy=False) if self.norm else counts


def _cue_pattern(cues: dict[str, list[str]]) -> tuple[re.Pattern, dict[str, list[int]]]:
    """One pattern matching every cue phrase, and the label columns each phrase counts for.

    Phrases of words match on word boundaries ("rate" not in "separate"); symbols such as
    "£" and "%" match wherever they stand ("£2m", "12%").
    """
    owners: dict[str, list[int]] = {}
    for j, phrases in enumerate(cues.values()):
        for cue in phrases:
            owners.setdefault(cue, []).append(j)
    words = _trie_pattern([c for c in owners if re.match(r"\w", c)])
    symbols = "|".join(re.escape(c) for c in sorted(owners, key=len, reverse=True) if not re.match(r"\w", c))
    pattern = r"(?<![\w-])(?:" + words + r")(?![\w-])" + (f"|{symbols}" if symbols else "")
    return re.compile(pattern), owners


def _trie_pattern(phrases: list[str]) -> str:
    """One regular expression for a list of phrases, as a trie: the longest phrase at a position wins.

    Branching on each next character keeps matching fast with a thousand phrases.

    >>> re.fullmatch(_trie_pattern(["rate", "rates", "rest"]), "rates") is not None
    True
    """
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body  # greedy: the longer phrase first

    return build(trie)


class CueCounts(TransformerMixin, BaseEstimator):
    """log(1 + number of each label's cue phrases) in a text column (longest phrase wins).

    Parameters
    ----------
    cues:
        Phrases by label; ``None`` takes ``taxonomy.CUES`` at fit time. The fitted
        lexicon (``cues_``) is saved with the model, so a saved model keeps reading the
        phrases it was trained with.
    """

    def __init__(self, cues: dict[str, list[str]] | None = None):
        self.cues = cues

    def fit(self, X, y=None):
        self.cues_ = {label: list(phrases) for label, phrases in (self.cues or taxonomy.CUES).items()}
        self.pattern_, self.owners_ = _cue_pattern(self.cues_)
        return self

    def transform(self, X) -> sparse.csr_matrix:
        check_is_fitted(self, "cues_")
        values, rows = np.unique(np.asarray(list(X), dtype=object).astype(str), return_inverse=True)
        counts = np.zeros((len(values), len(self.cues_)))
        for i, text in enumerate(values):  # each distinct value once: headings repeat down a document
            for cue in self.pattern_.findall(text.lower().translate(_QUOTES)):
                counts[i, self.owners_[cue]] += 1
        return sparse.csr_matrix(np.log1p(counts))[rows.ravel()]

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"cue_{label}" for label in self.cues_], dtype=object)


def label_prototypes() -> list[str]:
    """Each label's definition followed by its cue phrases: what a coder has in mind for it."""
    return [taxonomy.definition(label) + " " + " ".join(taxonomy.CUES[label]) for label in taxonomy.CUES]


class DefinitionSimilarity(TransformerMixin, BaseEstimator):
    """Cosine similarity (TF-IDF over the labels' own vocabulary) of a text with each label's prototype."""

    def fit(self, X, y=None):
        self.vectorizer_ = TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)\b[\w'-]*\w\b").fit(label_prototypes())
        self.prototypes_ = self.vectorizer_.transform(label_prototypes()).toarray()
        return self

    def transform(self, X) -> sparse.csr_matrix:
        check_is_fitted(self, "prototypes_")
        return sparse.csr_matrix(self.vectorizer_.transform(list(X)) @ self.prototypes_.T)

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"similar_{i}" for i in range(self.prototypes_.shape[0])], dtype=object)


def _count(phrases: Sequence[str], text: str) -> int:
    return sum(text.count(p) for p in phrases)


LAYOUT_FEATURES = (
    *(f"kind_{k}" for k in KINDS), "imperative", "recommending", "ends_semicolon", "ends_colon", "starts_lower",
    "short", "medium", "column_lga", "column_council", "lead_in_early", "lead_in_later", "text_early", "text_later",
    "first_word_change", "first_word_step",
)


def _first_word(text: str) -> str:
    m = re.match(r"\W*([A-Za-z][\w'-]*)", text)
    return m.group(1) if m else ""


def layout_row(text: str, kind: str, lead_in: str, col_header: str) -> list[float]:
    """The layout and grammar features of one passage (see ``LAYOUT_FEATURES``).

    >>> dict(zip(LAYOUT_FEATURES, layout_row("Invite partners to take part.", "table_cell", "", "What the LGA can do")))["imperative"]
    1.0
    """
    first = _first_word(text)
    low = text.lower()
    lead = lead_in.lower()
    words = len(text.split())
    column = col_header.lower()
    return [
        *(float(kind == k) for k in KINDS),
        float(first[:1].isupper() and first.lower() in lexicon.IMPERATIVE_VERBS),
        float(any(p in low for p in lexicon.RECOMMENDING)),
        float(text.rstrip().endswith(";")),
        float(text.rstrip().endswith(":")),
        float(first[:1].islower()),
        float(words <= 8),
        float(8 < words <= 25),
        float(bool(re.search(r"\blga\b|programme|review teams?|peer team", column))),
        float(bool(re.search(r"\bcouncils?\b|local authorit", column))),
        np.log1p(_count(lexicon.EARLY_TIME, lead)),
        np.log1p(_count(lexicon.LATER_TIME, lead)),
        np.log1p(_count(lexicon.EARLY_TIME, low)),
        np.log1p(_count(lexicon.LATER_TIME, low)),
        float(first.lower() in lexicon.CHANGE_WORDS),
        float(first.lower() in lexicon.STEP_WORDS),
    ]


class Layout(TransformerMixin, BaseEstimator):
    """Layout and grammar features over the text, kind, lead-in and column header (no learned state)."""

    def fit(self, X, y=None):
        self.n_features_out_ = len(LAYOUT_FEATURES)
        return self

    def transform(self, X) -> sparse.csr_matrix:
        check_is_fitted(self, "n_features_out_")
        rows = [layout_row(t, k, li, c) for t, k, li, c in zip(X["text"], X["kind"], X["lead_in"], X["col_header"])]
        return sparse.csr_matrix(np.asarray(rows, dtype=float).reshape(len(rows), len(LAYOUT_FEATURES)))

    def get_feature_names_out(self, input_features=None):
        return np.asarray(LAYOUT_FEATURES, dtype=object)


# (name, transformer factory, column): the blocks of the featuriser, in output order. The first two
# are the text's own n-grams (the "plain" columns of ``model.LinearHeads``).
BLOCKS = (
    ("words", lambda: ContextTfidf(**WORDS), "text"),
    ("chars", lambda: ContextTfidf(**CHARS), "text"),
    ("cues", CueCounts, "text"),
    ("definitions", DefinitionSimilarity, "text"),
    ("section_words", lambda: ContextTfidf(**HEADER_WORDS), "section"),
    ("section_cues", CueCounts, "section"),
    ("section_definitions", DefinitionSimilarity, "section"),
    ("lead_in_words", lambda: ContextTfidf(**HEADER_WORDS), "lead_in"),
    ("lead_in_cues", CueCounts, "lead_in"),
    ("row_words", lambda: ContextTfidf(**HEADER_WORDS), "row_header"),
    ("row_cues", CueCounts, "row_header"),
    ("row_definitions", DefinitionSimilarity, "row_header"),
    ("col_words", lambda: ContextTfidf(**HEADER_WORDS), "col_header"),
    ("layout", Layout, ["text", "kind", "lead_in", "col_header"]),
)
PLAIN_BLOCKS = ("words", "chars")


def make_featuriser(weights: dict[str, float] | None = None) -> ColumnTransformer:
    """The unfitted featuriser: every block of ``BLOCKS`` with its weight (``DEFAULT_WEIGHTS`` by default)."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    unknown = set(weights) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise ValueError(f"unknown feature block(s) {', '.join(sorted(unknown))}: use {', '.join(DEFAULT_WEIGHTS)}")
    return ColumnTransformer(
        [(name, factory(), column) for name, factory, column in BLOCKS],
        transformer_weights=weights, sparse_threshold=1.0, verbose_feature_names_out=True,
    )


def plain_columns(featuriser: ColumnTransformer) -> int:
    """How many leading output columns belong to the text's own n-grams (``PLAIN_BLOCKS``)."""
    return max(featuriser.output_indices_[name].stop for name in PLAIN_BLOCKS)


# --------------------------------------------------------------------------- saving without pickle


def featuriser_state(featuriser: ColumnTransformer) -> tuple[dict, dict[str, np.ndarray]]:
    """The learned state of a fitted featuriser as JSON-ready metadata and named arrays."""
    meta: dict = {"weights": dict(featuriser.transformer_weights), "blocks": {}}
    arrays: dict[str, np.ndarray] = {}
    for name, transformer in featuriser.named_transformers_.items():
        if isinstance(transformer, TfidfVectorizer):
            vocabulary = transformer.vocabulary_
            meta["blocks"][name] = {"terms": sorted(vocabulary, key=vocabulary.get)}
            arrays[f"{name}_idf"] = transformer.idf_
        elif isinstance(transformer, CueCounts):
            meta["blocks"][name] = {"cues": transformer.cues_}
        elif isinstance(transformer, DefinitionSimilarity):
            vocabulary = transformer.vectorizer_.vocabulary_
            meta["blocks"][name] = {"terms": sorted(vocabulary, key=vocabulary.get),
                                    "prototypes": int(transformer.prototypes_.shape[0])}
            arrays[f"{name}_idf"] = transformer.vectorizer_.idf_
            arrays[f"{name}_prototypes"] = transformer.prototypes_
    return meta, arrays


def featuriser_from_state(meta: dict, arrays: dict[str, np.ndarray]) -> ColumnTransformer:
    """Rebuild a fitted featuriser from ``featuriser_state`` output (no pickle, no training data).

    Each vectoriser gets its saved vocabulary as a fixed one, so the output columns
    are exactly the saved model's; the inverse document frequencies are then set
    from the saved arrays.
    """
    featuriser = make_featuriser(meta["weights"])
    blocks = meta["blocks"]
    params = {}
    for name, transformer, _ in featuriser.transformers:
        if isinstance(transformer, TfidfVectorizer):
            params[f"{name}__vocabulary"] = {term: i for i, term in enumerate(blocks[name]["terms"])}
        elif isinstance(transformer, CueCounts):
            params[f"{name}__cues"] = blocks[name]["cues"]
    featuriser.set_params(**params)
    featuriser.fit(passages_frame([{"text": ""}]))
    for name, transformer in featuriser.named_transformers_.items():
        if isinstance(transformer, TfidfVectorizer):
            transformer.idf_ = arrays[f"{name}_idf"]
        elif isinstance(transformer, DefinitionSimilarity):
            transformer.vectorizer_ = TfidfVectorizer(
                sublinear_tf=True, token_pattern=r"(?u)\b[\w'-]*\w\b",
                vocabulary={term: i for i, term in enumerate(blocks[name]["terms"])},
            ).fit([""])
            transformer.vectorizer_.idf_ = arrays[f"{name}_idf"]
            transformer.prototypes_ = arrays[f"{name}_prototypes"]
    return featuriser


# --------------------------------------------------------------------------- clauses

_CLAUSE_BREAK = re.compile(r";\s+|:\s+")
MAX_CLAUSES = 8


def clauses(text: str, min_words: int = 3) -> list[str]:
    """The items of a passage that enumerates (split at the semicolons and colons of a list).

    Returns [] when the passage has fewer than two clauses of ``min_words`` words.

    >>> clauses("Key factors include: the range of staff involved; the make-up of the team; timing.")
    ['Key factors include', 'the range of staff involved', 'the make-up of the team']
    """
    parts = [p.strip(" ;:.") for p in _CLAUSE_BREAK.split(text)]
    parts = [p for p in parts if len(p.split()) >= min_words]
    return parts[:MAX_CLAUSES] if len(parts) >= 2 else []
