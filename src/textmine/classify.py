"""Classify passages into themes, factors, stage and recommendation; train and save models.

The model is a set of linear heads, one per label, over sparse features that a
human coder would recognise:

- TF-IDF of word 1-2-grams and of character 3-5-grams of the passage text;
- TF-IDF of the words of the section heading the passage sits under (zero when
  there is none, so a passage on its own is still classified on its text);
- counts of each label's cue phrases (``taxonomy.CUES``);
- the cosine similarity of the passage with each label's definition and cues.

Each head is a logistic regression whose scores are calibrated (Platt scaling on
out-of-fold decision values) and cut at a per-label threshold tuned on the same
out-of-fold predictions. A passage gets every theme and factor above threshold,
the best stage above threshold (or none), and an audience when it is a
recommendation.

A saved model is a folder of JSON and ``.npz`` arrays: loading it never runs code
from the folder (no pickle).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from scipy import sparse

from . import taxonomy
from .errors import BadInput, IncompatibleModel, ModelNotFound
from .labels import AUDIENCE_LGA, RECOMMENDATION, head_names, indicator_matrix, validate_example  # noqa: F401

MODEL_FORMAT = "textmine-linear"
MODEL_FORMAT_VERSION = 1


# --------------------------------------------------------------------------- data


def parse_jsonl(lines: Iterable[str], source: str) -> list[dict]:
    """Records with a ``text`` string from JSON lines, naming ``source`` and the line of any bad one."""
    records = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{source}: line {n} is not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise BadInput(f"{source}: line {n} has no 'text' string")
        records.append(record)
    return records


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSON-lines file of passages."""
    with open(path, encoding="utf-8") as fh:
        return parse_jsonl(fh, str(path))


def load_examples(paths: Iterable[Path]) -> list[dict]:
    """Labelled examples from JSON-lines files or folders of them, validated."""
    examples = []
    for path in paths:
        path = Path(path)
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        if not files:
            raise BadInput(f"{path} has no .jsonl files")
        for file in files:
            for n, record in enumerate(read_jsonl(file), start=1):
                examples.append(validate_example(record, f"{file}: example {n}: "))
    return examples


def label_matrix(examples: Sequence[dict]) -> np.ndarray:
    """Binary targets, one column per head (see ``labels.indicator_matrix``)."""
    return indicator_matrix(examples).astype(np.int8)


def data_hash(examples: Sequence[dict]) -> str:
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(json.dumps(ex, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


# --------------------------------------------------------------------------- features


_WORD = dict(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2, lowercase=True,
             token_pattern=r"(?u)\b[\w'-]*\w\b", max_features=40000)
_CHAR = dict(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=3, lowercase=True,
             max_features=60000)
_SECTION = dict(analyzer="word", ngram_range=(1, 1), sublinear_tf=True, min_df=1, lowercase=True)


def _cue_index(labels: Sequence[str]) -> tuple[re.Pattern, dict[str, list[int]]]:
    """One pattern matching every cue phrase, and the label columns each phrase counts for.

    Phrases of words match on word boundaries ("rate" not in "separate"); symbols such as
    "£" and "%" match wherever they stand ("£2m", "12%").
    """
    owners: dict[str, list[int]] = {}
    for j, label in enumerate(labels):
        for cue in taxonomy.CUES[label]:
            owners.setdefault(cue, []).append(j)
    by_length = sorted(owners, key=len, reverse=True)
    words = "|".join(re.escape(c) for c in by_length if re.match(r"\w", c))
    symbols = "|".join(re.escape(c) for c in by_length if not re.match(r"\w", c))
    pattern = r"(?<![\w-])(?:" + words + r")(?![\w-])" + (f"|{symbols}" if symbols else "")
    return re.compile(pattern), owners


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'"})


@dataclass
class Featuriser:
    """Turns passages (text and optional section) into one sparse feature matrix."""

    word_: object = None
    char_: object = None
    section_: object = None
    prototypes_: np.ndarray | None = None
    cue_labels_: list[str] = field(default_factory=list)
    _patterns: tuple | None = None

    def fit(self, texts: Sequence[str], sections: Sequence[str]) -> "Featuriser":
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.word_ = TfidfVectorizer(**_WORD).fit(texts)
        self.char_ = TfidfVectorizer(**_CHAR).fit(texts)
        self.section_ = TfidfVectorizer(**_SECTION).fit([s for s in sections if s] or ["none"])
        self.cue_labels_ = list(taxonomy.CUES)
        self._init_prototypes()
        return self

    def _init_prototypes(self) -> None:
        labels = self.cue_labels_
        docs = [taxonomy.definition(label) + " " + " ".join(taxonomy.CUES[label]) for label in labels]
        proto = self.word_.transform(docs)
        self.prototypes_ = proto

    def cue_counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """log(1 + number of each label's cue phrases) in each text (longest phrase wins)."""
        if self._patterns is None:
            self._patterns = _cue_index(self.cue_labels_)
        pattern, owners = self._patterns
        counts = np.zeros((len(texts), len(self.cue_labels_)))
        for i, text in enumerate(texts):
            for cue in pattern.findall(text.lower().translate(_QUOTES)):
                counts[i, owners[cue]] += 1
        return sparse.csr_matrix(np.log1p(counts))

    def text_columns(self) -> int:
        """How many leading columns of ``transform`` are word and character n-grams."""
        return len(self.word_.vocabulary_) + len(self.char_.vocabulary_)

    def transform(self, texts: Sequence[str], sections: Sequence[str]) -> sparse.csr_matrix:
        words = self.word_.transform(texts)
        chars = self.char_.transform(texts)
        secs = self.section_.transform([s or "" for s in sections])
        similarity = words @ self.prototypes_.T
        return sparse.hstack(
            [words, chars, secs * 0.7, self.cue_counts(texts) * 0.5, similarity * 2.0], format="csr"
        )

    # -- saving without pickle
    def to_arrays(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta, arrays = {"cue_labels": self.cue_labels_}, {}
        for name in ("word", "char", "section"):
            vec = getattr(self, f"{name}_")
            terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
            meta[f"{name}_terms"] = terms
            arrays[f"{name}_idf"] = vec.idf_
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict[str, np.ndarray]) -> "Featuriser":
        from sklearn.feature_extraction.text import TfidfVectorizer

        self = cls()
        for name, params in (("word", _WORD), ("char", _CHAR), ("section", _SECTION)):
            vec = TfidfVectorizer(**params)
            vec.vocabulary_ = {term: i for i, term in enumerate(meta[f"{name}_terms"])}
            vec.idf_ = arrays[f"{name}_idf"]
            setattr(self, f"{name}_", vec)
        self.cue_labels_ = meta["cue_labels"]
        self._init_prototypes()
        return self


# --------------------------------------------------------------------------- model


def nb_scale(X, y: np.ndarray, weight: float, alpha: float = 1.0) -> np.ndarray:
    """Per-feature scale from naive Bayes log-count ratios (Wang and Manning's NBSVM).

    Features whose mass differs most between positive and negative passages are
    stretched before the logistic fit; ``weight`` interpolates between no scaling
    (0) and the full ratio (1), normalised to mean 1.
    """
    if weight <= 0:
        return np.ones(X.shape[1])
    pos = alpha + np.asarray(X[y == 1].sum(axis=0)).ravel()
    neg = alpha + np.asarray(X[y == 0].sum(axis=0)).ravel()
    ratio = np.abs(np.log((pos / pos.sum()) / (neg / neg.sum())))
    return weight * ratio / ratio.mean() + (1 - weight)


def _best_threshold(probs: np.ndarray, truth: np.ndarray) -> float:
    """The probability cut that maximises F1 on out-of-fold predictions."""
    if truth.sum() == 0:
        return 0.5
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.1, 0.91, 0.025):
        pred = probs >= t
        tp = float((pred & (truth == 1)).sum())
        f1 = 2 * tp / (pred.sum() + truth.sum()) if (pred.sum() + truth.sum()) else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(t), f1
    return round(best, 3)


def _platt(decision: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Fit p = sigmoid(a * d + b) on out-of-fold decision values."""
    from sklearn.linear_model import LogisticRegression

    if truth.min() == truth.max() or truth.sum() < 3:
        return 1.0, 0.0  # too few positives to calibrate: keep the head's own probabilities
    lr = LogisticRegression(C=1.0).fit(decision.reshape(-1, 1), truth)
    slope = float(lr.coef_[0, 0])
    if slope <= 0:  # out-of-fold scores carry no ranking signal; do not invert the head
        return 1.0, 0.0
    return slope, float(lr.intercept_[0])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


@dataclass
class PassageClassifier:
    """Linear multi-label classifier for review passages (scikit-learn style).

    Parameters
    ----------
    C:
        Inverse regularisation strength of every head.
    nb_weight:
        How far each head's features are scaled by naive Bayes log-count ratios
        before its logistic fit (0 = plain logistic regression, 1 = NBSVM-style).
        The scale is folded into the saved weights, so prediction is unchanged.
    plain_mix, plain_C:
        Weight and regularisation of a plain logistic head over the word and
        character n-grams alone, averaged into each label's weights (0 = none).
    folds:
        Cross-validation folds used to calibrate and tune thresholds.
    seed:
        Seed for the fold split; training is deterministic.
    """

    C: float = 8.0
    nb_weight: float = 0.5
    plain_mix: float = 0.5
    plain_C: float = 4.0
    folds: int = 5
    seed: int = 13

    def params(self) -> dict:
        """The settings this classifier was built with (saved in model.json)."""
        return {"C": self.C, "nb_weight": self.nb_weight, "plain_mix": self.plain_mix, "plain_C": self.plain_C,
                "folds": self.folds, "seed": self.seed}

    def _fit_heads(self, X, Y, sample_mask: np.ndarray | None = None, text_columns: int | None = None):
        """One averaged pair of logistic heads per label; returns (coef, intercept).

        Each label gets a head over all features, scaled by naive Bayes ratios, and (with
        ``plain_mix``) a plain head over the first ``text_columns`` (the word and character
        n-grams); their weights are averaged, which is again one linear model.
        """
        from sklearn.linear_model import LogisticRegression

        coefs, intercepts = [], []
        for j in range(Y.shape[1]):
            rows = np.ones(Y.shape[0], bool) if sample_mask is None or j != Y.shape[1] - 1 else sample_mask
            y = Y[rows, j]
            if len(y) == 0 or y.min() == y.max():  # nothing to learn: a constant head
                coefs.append(np.zeros(X.shape[1]))
                intercepts.append(5.0 if len(y) and y.max() == 1 else -5.0)
                continue
            Xj = X[rows]
            scale = nb_scale(Xj, y, self.nb_weight)
            lr = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000, solver="liblinear")
            lr.fit(Xj @ sparse.diags(scale), y)
            coef, intercept = lr.coef_[0] * scale, float(lr.intercept_[0])  # one linear model over raw features
            if self.plain_mix > 0 and text_columns:
                plain = LogisticRegression(C=self.plain_C, class_weight="balanced", max_iter=2000, solver="liblinear")
                plain.fit(Xj[:, :text_columns], y)
                coef = (1 - self.plain_mix) * coef
                coef[:text_columns] += self.plain_mix * plain.coef_[0]
                intercept = (1 - self.plain_mix) * intercept + self.plain_mix * float(plain.intercept_[0])
            coefs.append(coef)
            intercepts.append(intercept)
        return np.vstack(coefs), np.asarray(intercepts)

    def fit(self, examples: Sequence[dict]) -> "PassageClassifier":
        """Fit on validated examples (see ``validate_example``); returns ``self``."""
        from sklearn.model_selection import KFold

        if len(examples) < 4:
            raise BadInput(f"need at least 4 training examples, got {len(examples)}")
        texts = [ex["text"] for ex in examples]
        sections = [ex.get("section") or "" for ex in examples]
        Y = label_matrix(examples)
        is_rec = Y[:, head_names().index(RECOMMENDATION)] == 1
        # Out-of-fold decision values: for calibration and thresholds.
        oof = np.zeros(Y.shape, dtype=float)
        folds = min(self.folds, len(examples))
        for train, test in KFold(folds, shuffle=True, random_state=self.seed).split(texts):
            feat = Featuriser().fit([texts[i] for i in train], [sections[i] for i in train])
            Xtr = feat.transform([texts[i] for i in train], [sections[i] for i in train])
            Xte = feat.transform([texts[i] for i in test], [sections[i] for i in test])
            W, b = self._fit_heads(Xtr, Y[train], is_rec[train], feat.text_columns())
            oof[test] = Xte @ W.T + b
        self.platt_ = np.array([_platt(oof[:, j], Y[:, j]) for j in range(Y.shape[1])])
        probs = _sigmoid(oof * self.platt_[:, 0] + self.platt_[:, 1])
        self.thresholds_ = np.array([
            _best_threshold(probs[is_rec, j] if name == AUDIENCE_LGA else probs[:, j],
                            Y[is_rec, j] if name == AUDIENCE_LGA else Y[:, j])
            for j, name in enumerate(head_names())
        ])
        self.oof_probs_ = probs
        self.featuriser_ = Featuriser().fit(texts, sections)
        X = self.featuriser_.transform(texts, sections)
        self.coef_, self.intercept_ = self._fit_heads(X, Y, is_rec, self.featuriser_.text_columns())
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("this PassageClassifier is not fitted: call fit() or load a model first")

    def predict_proba(self, texts: Sequence[str], sections: Sequence[str] | None = None) -> np.ndarray:
        """Calibrated probabilities, one column per head (see ``head_names``)."""
        self._check_fitted()
        sections = sections if sections is not None else [""] * len(texts)
        if not len(texts):
            return np.zeros((0, len(head_names())))
        X = self.featuriser_.transform(list(texts), list(sections))
        decision = X @ self.coef_.T + self.intercept_
        return _sigmoid(decision * self.platt_[:, 0] + self.platt_[:, 1])

    def predict(self, texts: Sequence[str], sections: Sequence[str] | None = None) -> list[dict]:
        """Labels and scores for each passage."""
        return probs_to_labels(self.predict_proba(texts, sections), self.thresholds_)

    # -- saving
    def save(self, folder: Path, card: dict | None = None) -> Path:
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta, arrays = self.featuriser_.to_arrays()
        np.savez_compressed(
            folder / "weights.npz",
            coef=self.coef_.astype(np.float32),
            intercept=self.intercept_,
            platt=self.platt_,
            thresholds=self.thresholds_,
            **arrays,
        )
        (folder / "features.json").write_text(json.dumps(meta), encoding="utf-8")
        config = {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "heads": head_names(),
            "params": self.params(),
            "thresholds": dict(zip(head_names(), map(float, self.thresholds_))),
            **(card or {}),
        }
        (folder / "model.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: Path) -> "PassageClassifier":
        folder = Path(folder)
        config_path = folder / "model.json"
        if not config_path.exists():
            raise ModelNotFound(f"{folder} is not a textmine model folder (no model.json): train one with `textmine train`")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise IncompatibleModel(f"{config_path} is not valid JSON: retrain the model") from exc
        if config.get("format") != MODEL_FORMAT:
            raise IncompatibleModel(f"{folder} holds a {config.get('format')!r} model, not a {MODEL_FORMAT} model")
        if config.get("format_version") != MODEL_FORMAT_VERSION:
            raise IncompatibleModel(
                f"{folder} was written in model format {config.get('format_version')}, this textmine reads "
                f"format {MODEL_FORMAT_VERSION}: retrain it with `textmine train`"
            )
        if config.get("heads") != head_names():
            raise IncompatibleModel(f"{folder} was trained on another label set: retrain it with `textmine train`")
        with np.load(folder / "weights.npz", allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads((folder / "features.json").read_text(encoding="utf-8"))
        params = config.get("params", {})
        self = cls(**params)
        self.featuriser_ = Featuriser.from_arrays(meta, arrays)
        self.coef_ = arrays["coef"].astype(np.float64)
        self.intercept_ = arrays["intercept"]
        self.platt_ = arrays["platt"]
        self.thresholds_ = arrays["thresholds"]
        self.info_ = config
        return self


def probs_to_labels(probs: np.ndarray, thresholds: np.ndarray, with_scores: bool = True) -> list[dict]:
    """Decide labels from calibrated probabilities and per-head thresholds.

    With ``with_scores`` each result carries its scores as a dict by head name;
    without, the caller keeps the probability rows (less memory for big runs).
    """
    names = head_names()
    themes = list(taxonomy.THEMES)
    factors = list(taxonomy.FACTORS)
    stages = list(taxonomy.STAGES)
    idx = {n: i for i, n in enumerate(names)}
    out = []
    for row in probs:
        above = row >= thresholds
        stage_scores = [(row[idx[s]] / thresholds[idx[s]], s) for s in stages if above[idx[s]]]
        is_rec = bool(above[idx[RECOMMENDATION]])
        labels = {
            "themes": [t for t in themes if above[idx[t]]],
            "factors": [f for f in factors if above[idx[f]]],
            "stage": max(stage_scores)[1] if stage_scores else None,
            "recommendation": is_rec,
            "audience": ("lga" if above[idx[AUDIENCE_LGA]] else "council") if is_rec else None,
        }
        if with_scores:
            labels["scores"] = scores_dict(row)
        out.append(labels)
    return out


def scores_dict(row) -> dict[str, float]:
    """Scores by head name from a probability row (or a dict, returned as it is)."""
    if isinstance(row, dict):
        return row
    return {n: round(float(p), 4) for n, p in zip(head_names(), row)}


# --------------------------------------------------------------------------- shipped model


def default_model_path() -> Path:
    """The model that ships with textmine (installed package data, or the checkout's models/)."""
    here = Path(__file__).resolve().parent
    for base in (here / "_models", here.parent.parent / "models"):
        if (base / "default" / "model.json").exists():
            return base / "default"
    raise ModelNotFound("no default model is installed: train one with `textmine train`, or pass --model PATH")


def model_info(path: Path | None = None) -> dict:
    """The model folder's description (model.json) without loading its weights."""
    folder = Path(path) if path else default_model_path()
    try:
        return json.loads((folder / "model.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelNotFound(f"{folder} is not a textmine model folder (no model.json): train one with `textmine train`") from exc
    except json.JSONDecodeError as exc:
        raise IncompatibleModel(f"{folder / 'model.json'} is not valid JSON: retrain the model") from exc


def load_model(path: Path | None = None) -> PassageClassifier:
    return PassageClassifier.load(Path(path) if path else default_model_path())


def classify_passages(model: PassageClassifier, passages: list[dict]) -> list[dict]:
    """Add labels and scores to passages (dicts with ``text`` and optional ``section``)."""
    texts = [p["text"] for p in passages]
    sections = [p.get("section") or "" for p in passages]
    labels = model.predict(texts, sections)
    return [{**p, **lab, "label_source": "model"} for p, lab in zip(passages, labels)]


def model_version(model: PassageClassifier) -> str:
    info = getattr(model, "info_", {})
    return str(info.get("version") or info.get("data_hash", "")[:12] or "unversioned")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
