"""A model folder's description (``model.json``), read and checked without loading its weights.

Kept apart from ``folder`` so that reading it imports neither scikit-learn nor
the featuriser: ``textmine run`` decides an unchanged corpus from it in well under
a second.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import IncompatibleModel, ModelNotFound
from .examples import head_names

MODEL_FORMAT = "textmine-linear"
MODEL_FORMAT_VERSION = 2


def read_json(path: Path, folder: Path) -> dict:
    """A JSON object from a model folder's file, or one line naming the folder and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IncompatibleModel(f"{folder} has no {path.name}: the folder is incomplete, retrain or copy it again") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IncompatibleModel(f"{folder}: {path.name} is not valid JSON (truncated or edited?): retrain or copy it again") from exc
    if not isinstance(data, dict):
        raise IncompatibleModel(f"{folder}: {path.name} must hold a JSON object")
    return data


def read_config(folder: Path) -> dict:
    """model.json of a model folder, with its format, version and label set checked."""
    folder = Path(folder)
    if not (folder / "model.json").exists():
        raise ModelNotFound(f"{folder} is not a textmine model folder (no model.json): train one with `textmine train`")
    config = read_json(folder / "model.json", folder)
    if config.get("format") != MODEL_FORMAT:
        raise IncompatibleModel(f"{folder} holds a {config.get('format')!r} model, not a {MODEL_FORMAT} model")
    if config.get("format_version") != MODEL_FORMAT_VERSION:
        raise IncompatibleModel(
            f"{folder} was written in model format {config.get('format_version')}, this textmine reads format "
            f"{MODEL_FORMAT_VERSION} (with document context): retrain it with `textmine train`"
        )
    if config.get("heads") != head_names():
        raise IncompatibleModel(f"{folder} was trained on another label set: retrain it with `textmine train`")
    return config


def default_model_path() -> Path:
    """The model that ships with textmine (installed package data, or the checkout's models/)."""
    here = Path(__file__).resolve().parent.parent
    for base in (here / "_models", here.parent.parent / "models"):
        if (base / "default" / "model.json").exists():
            return base / "default"
    raise ModelNotFound("no default model is installed: train one with `textmine train`, or pass --model PATH")


def model_info(path: Path | None = None) -> dict:
    """The model folder's description (model.json, format checked) without loading its weights."""
    return read_config(Path(path) if path else default_model_path())
