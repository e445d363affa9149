"""Compare classifier approaches on the same cross-validation folds (an experiment, not part of textmine).

Three contenders beside the shipped model (``PassageClassifier``):

- ``definition similarity``: TF-IDF cosine between a passage and each label's
  definition plus cue phrases, with a per-label cut chosen on the training folds;
- ``tfidf + logistic regression``: word and character n-grams only, no cues or
  definitions, cut at 0.5;
- ``spacy textcat_multilabel``: spaCy's multi-label text classifier trained from
  ``spacy.blank("en")`` (bag-of-words + CNN ensemble), cut at 0.5.

Every approach sees exactly the same folds (``KFold(folds, shuffle=True,
random_state=seed)``), and its out-of-fold predictions are scored with
``evaluate.evaluate``.

Usage (slow: about half an hour on the full training data)::

    python bench/compare.py --data corpus/training --test corpus/test/heldout.jsonl \
        --test corpus/test/heldout_research.jsonl [--card models/default]

prints the tables of macro F1 per approach; ``--card MODEL`` also records them in
that model folder's ``metrics.json`` and ``MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from textmine import taxonomy
from textmine.classify import head_names, label_matrix, load_examples, probs_to_labels
from textmine.classify.model import calibrate_head
from textmine.evaluate import evaluate
from textmine.training import comparison_section, fit_model, model_card


def folds_of(n: int, folds: int, seed: int):
    from sklearn.model_selection import KFold

    return list(KFold(min(folds, n), shuffle=True, random_state=seed).split(np.arange(n)))


def definition_similarity(train: list[dict], test: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity with each label's description and cues; cuts tuned on ``train``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    names = head_names()
    prototypes = []
    for name in names:
        if name in taxonomy.CUES:
            prototypes.append(taxonomy.definition(name) + " " + " ".join(taxonomy.CUES[name]))
        elif name == "recommendation":
            prototypes.append("should recommend recommendation consider ensure must we recommend the council should")
        else:
            prototypes.append("LGA local government association programme peer review future review teams")
    vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), stop_words="english").fit(
        [e["text"] for e in train] + prototypes
    )
    proto = vec.transform(prototypes)
    sim_train = (vec.transform([e["text"] for e in train]) @ proto.T).toarray()
    sim_test = (vec.transform([e["text"] for e in test]) @ proto.T).toarray()
    truth = label_matrix(train)
    # each similarity calibrated and cut on the training passages, as the shipped model's scores are
    calibration = np.array([calibrate_head(sim_train[:, j], truth[:, j]) for j in range(len(names))])
    probs = 1.0 / (1.0 + np.exp(-(sim_test * calibration[:, 0] + calibration[:, 1])))
    return probs, calibration[:, 2]


def tfidf_logistic(train: list[dict], test: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [e["text"] for e in train]
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2).fit(texts)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=3).fit(texts)
    X = sparse.hstack([word.transform(texts), char.transform(texts)], format="csr")
    Xt = sparse.hstack([word.transform([e["text"] for e in test]), char.transform([e["text"] for e in test])], format="csr")
    Y = label_matrix(train)
    probs = np.zeros((len(test), Y.shape[1]))
    for j in range(Y.shape[1]):
        if Y[:, j].min() == Y[:, j].max():
            probs[:, j] = float(Y[0, j])
            continue
        lr = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, solver="liblinear").fit(X, Y[:, j])
        probs[:, j] = lr.predict_proba(Xt)[:, 1]
    return probs, np.full(Y.shape[1], 0.5)


def spacy_textcat(train: list[dict], test: list[dict], epochs: int = 8, seed: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """spaCy textcat_multilabel from a blank English pipeline, trained for ``epochs``."""
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(seed)
    names = head_names()
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel")
    for name in names:
        textcat.add_label(name)
    Y = label_matrix(train)
    examples = [
        Example.from_dict(nlp.make_doc(e["text"]), {"cats": {n: float(Y[i, j]) for j, n in enumerate(names)}})
        for i, e in enumerate(train)
    ]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=16):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    docs = nlp.pipe([e["text"] for e in test], batch_size=64)
    probs = np.array([[doc.cats[n] for n in names] for doc in docs])
    return probs, np.full(len(names), 0.5)


def shipped_model(train: list[dict], test: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    model = fit_model(train)
    return model.predict_proba(test), model.thresholds_


APPROACHES: dict[str, Callable] = {
    "shipped: linear heads over text and context (calibrated)": shipped_model,
    "tfidf + logistic regression": tfidf_logistic,
    "definition similarity": definition_similarity,
    "spacy textcat_multilabel": spacy_textcat,
}


def compare(examples: Sequence[dict], tests: dict[str, Sequence[dict]] | None = None, folds: int = 5, seed: int = 13,
            approaches: dict[str, Callable] | None = None,
            progress: Callable[[str], None] | None = None) -> dict[str, dict[str, dict]]:
    """Macro scores of every approach: out-of-fold on the same folds, and on each held-out set.

    Returns ``{approach: {"cross_validated": macro, "held_out_<name>": macro, ...}}``; for the
    held-out sets each approach is trained once on all of ``examples``.
    """
    examples = list(examples)
    results: dict[str, dict[str, dict]] = {}
    for name, fit_predict in (approaches or APPROACHES).items():
        predictions: list[dict | None] = [None] * len(examples)
        for k, (train_idx, test_idx) in enumerate(folds_of(len(examples), folds, seed)):
            if progress:
                progress(f"{name}: fold {k + 1}/{folds}")
            probs, thresholds = fit_predict([examples[i] for i in train_idx], [examples[i] for i in test_idx])
            for i, labels in zip(test_idx, probs_to_labels(probs, thresholds)):
                predictions[i] = labels
        results[name] = {"cross_validated": evaluate(examples, predictions)["macro"]}
        if tests:
            if progress:
                progress(f"{name}: held-out sets")
            everything = [ex for test in tests.values() for ex in test]
            probs, thresholds = fit_predict(examples, everything)
            labels = iter(probs_to_labels(probs, thresholds))
            for test_name, test in tests.items():
                results[name][f"held_out_{test_name}"] = evaluate(test, [next(labels) for _ in test])["macro"]
    return results


def record_in_card(folder: Path, examples: Sequence[dict], comparison: dict) -> None:
    """Add the comparison to a model folder's metrics.json and rewrite its MODEL_CARD.md with its tables."""
    config = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    metrics.pop("comparison", None)
    (folder / "metrics.json").write_text(json.dumps({**metrics, "comparison": comparison}, indent=2), encoding="utf-8")
    card = model_card(config["version"], examples, metrics, comparison, config.get("params"))
    (folder / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", required=True, help="training file or folder (repeatable)")
    parser.add_argument("--test", type=Path, action="append", default=[], help="held-out labelled file (repeatable)")
    parser.add_argument("--card", type=Path, help="model folder whose metrics and card get the comparison")
    args = parser.parse_args()
    examples = load_examples(args.data)
    tests = {path.stem: load_examples([path]) for path in args.test}
    comparison = compare(examples, tests, progress=lambda line: print(line, flush=True))
    print("\n".join(comparison_section(comparison)))
    if args.card:
        record_in_card(args.card, examples, comparison)


if __name__ == "__main__":
    main()
