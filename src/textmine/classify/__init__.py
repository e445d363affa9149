"""Classify passages into themes, factors, stage and recommendation; train, save and load models.

The package is split along its jobs:

- ``examples``: labelled examples (JSON lines), their validation and targets;
- ``features``: the features of a passage and its context (a ``ColumnTransformer``);
- ``model``: the estimators (``LinearHeads``, ``PassageClassifier``) and label decisions;
- ``folder``: saving a model folder and loading one back, checked, without pickle.

This module is the stage's public face: ``classify_passages(model, passages)``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import PassageClassifier

# Public name -> the module that defines it. Names are imported on first use (PEP 562), so
# reading a model folder's description (``info``) does not import scikit-learn.
_HOMES = {
    **dict.fromkeys(("AUDIENCE_LGA", "CONTEXT_FIELDS", "RECOMMENDATION", "data_hash", "document_groups", "head_names",
                     "label_matrix", "load_examples", "parse_jsonl", "read_jsonl", "validate_example"), "examples"),
    **dict.fromkeys(("MODEL_FORMAT", "MODEL_FORMAT_VERSION", "default_model_path", "model_info"), "info"),
    **dict.fromkeys(("load_model", "load_model_folder", "model_version", "now_iso", "save_model"), "folder"),
    **dict.fromkeys(("LinearHeads", "PassageClassifier", "nb_scale", "probs_to_labels", "scores_dict"), "model"),
}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = sorted([*_HOMES, "classify_passages"])


def classify_passages(model: PassageClassifier, passages: list[dict]) -> list[dict]:
    """Add labels and scores to passages (dicts with ``text`` and optional context fields)."""
    from .model import probs_to_labels

    labels = probs_to_labels(model.predict_proba(passages), model.thresholds_)
    return [{**p, **lab, "label_source": "model"} for p, lab in zip(passages, labels)]
