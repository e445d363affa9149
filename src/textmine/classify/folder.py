"""Save a classifier as a folder of JSON and ``.npz`` arrays, and load one back, checking everything.

A model folder holds ``model.json`` (format, heads, settings, thresholds and the
model card's facts), ``features.json`` (the featuriser's vocabularies and cue
lexicon) and ``weights.npz`` (the weight matrix, calibration and the featuriser's
arrays). Loading never runs code from the folder (no pickle) and refuses, with
one line naming the folder and the problem, anything it did not write: another
format or version, a missing or truncated file, arrays of the wrong name, type or
shape, values that are not finite, settings of the wrong type.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import IncompatibleModel
from .examples import head_names
from .features import DEFAULT_WEIGHTS, LAYOUT_FEATURES, PLAIN_BLOCKS, featuriser_from_state, featuriser_state
from .info import MODEL_FORMAT, MODEL_FORMAT_VERSION, default_model_path, read_config, read_json
from .model import RECALL_WEIGHTS, LinearHeads, PassageClassifier

FILES = ("model.json", "features.json", "weights.npz")
# Setting name -> (type, check): what model.json's "params" may hold.
PARAMS = {
    "C": ((int, float), lambda v: v > 0),
    "nb_weight": ((int, float), lambda v: 0 <= v <= 1),
    "plain_mix": ((int, float), lambda v: 0 <= v <= 1),
    "plain_C": ((int, float), lambda v: v > 0),
    "feature_weights": ((dict, type(None)), lambda v: v is None or (set(v) <= set(DEFAULT_WEIGHTS)
                                                                    and all(_number(x) and x >= 0 for x in v.values()))),
    "clause_pooling": ((bool,), lambda v: True),
    "recall_weights": ((dict, type(None)), lambda v: v is None or (set(v) <= set(RECALL_WEIGHTS)
                                                                   and all(_number(x) and x > 0 for x in v.values()))),
    "folds": ((int,), lambda v: v >= 2),
    "calibrate": ((bool,), lambda v: True),
    "seed": ((int,), lambda v: True),
}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def save_model(model: PassageClassifier, folder: Path, card: dict | None = None) -> Path:
    """Write ``model`` into ``folder`` (created if missing); ``card`` adds facts to model.json."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model, "heads_")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta, arrays = featuriser_state(model.featuriser_)
    np.savez_compressed(
        folder / "weights.npz",
        coef=model.heads_.coef_.astype(np.float32),
        intercept=model.heads_.intercept_.astype(np.float64),
        calibration=model.calibration_.astype(np.float64),
        **arrays,
    )
    (folder / "features.json").write_text(json.dumps(meta), encoding="utf-8")
    config = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "heads": list(model.heads_names_),
        "params": model.get_params(),
        "n_features": int(model.heads_.coef_.shape[1]),
        "thresholds": dict(zip(model.heads_names_, map(float, model.thresholds_))),
        **(card or {}),
    }
    (folder / "model.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return folder


def _check_params(params, folder: Path) -> dict:
    if not isinstance(params, dict):
        raise IncompatibleModel(f"{folder}: model.json 'params' must be an object")
    unknown = set(params) - set(PARAMS)
    if unknown:
        raise IncompatibleModel(f"{folder}: model.json has unknown setting(s) {', '.join(sorted(unknown))}")
    for name, value in params.items():
        types, check = PARAMS[name]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types) or not check(value):
            raise IncompatibleModel(f"{folder}: model.json setting {name} = {value!r} is not valid")
    return params


def _check_features(meta: dict, folder: Path) -> dict[str, int]:
    """The width of every feature block, from features.json, after checking its structure."""
    blocks = meta.get("blocks")
    if not isinstance(meta.get("weights"), dict) or not isinstance(blocks, dict):
        raise IncompatibleModel(f"{folder}: features.json needs 'weights' and 'blocks' objects")
    widths = {}
    for name in DEFAULT_WEIGHTS:
        if name == "layout":
            widths[name] = len(LAYOUT_FEATURES)
            continue
        block = blocks.get(name)
        if not isinstance(block, dict):
            raise IncompatibleModel(f"{folder}: features.json has no block {name!r}")
        if "terms" in block:
            terms = block["terms"]
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms) or len(set(terms)) != len(terms):
                raise IncompatibleModel(f"{folder}: features.json block {name!r} must list distinct terms")
            widths[name] = len(terms)
            if "prototypes" in block:  # one column per label prototype, over the labels' own vocabulary
                prototypes = block["prototypes"]
                if not isinstance(prototypes, int) or isinstance(prototypes, bool) or prototypes < 1:
                    raise IncompatibleModel(f"{folder}: features.json block {name!r} needs its prototype count")
                widths[name] = prototypes
        elif "cues" in block:
            cues = block["cues"]
            if not isinstance(cues, dict) or not all(
                isinstance(v, list) and v and all(isinstance(p, str) and p for p in v) for v in cues.values()
            ):
                raise IncompatibleModel(f"{folder}: features.json block {name!r} must map labels to cue phrases")
            widths[name] = len(cues)
        else:
            raise IncompatibleModel(f"{folder}: features.json block {name!r} has neither terms nor cues")
    return widths


def _read_arrays(path: Path, folder: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise IncompatibleModel(f"{folder} has no weights.npz: the folder is incomplete, retrain or copy it again") from None
    except ValueError as exc:  # object arrays (a pickle) are refused by allow_pickle=False
        raise IncompatibleModel(f"{folder}: weights.npz holds objects or is damaged ({exc}); textmine never loads pickles") from exc
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
        raise IncompatibleModel(f"{folder}: weights.npz is truncated or not an .npz archive: retrain or copy it again") from exc


def _check_array(arrays: dict, name: str, shape: tuple, folder: Path) -> np.ndarray:
    if name not in arrays:
        raise IncompatibleModel(f"{folder}: weights.npz has no array {name!r}")
    value = arrays[name]
    if value.dtype.kind != "f":
        raise IncompatibleModel(f"{folder}: weights.npz array {name!r} is {value.dtype}, not floating point")
    if value.shape != shape:
        raise IncompatibleModel(f"{folder}: weights.npz array {name!r} has shape {value.shape}, expected {shape}")
    if not np.all(np.isfinite(value)):
        raise IncompatibleModel(f"{folder}: weights.npz array {name!r} holds NaN or infinite values")
    return value


def load_model_folder(folder: Path) -> PassageClassifier:
    """A fitted ``PassageClassifier`` from a model folder, every part checked first."""
    folder = Path(folder)
    config = read_config(folder)
    params = _check_params(config.get("params", {}), folder)
    meta = read_json(folder / "features.json", folder)
    widths = _check_features(meta, folder)
    arrays = _read_arrays(folder / "weights.npz", folder)
    heads = head_names()
    n_features = sum(widths.values())
    expected = {
        "coef": (len(heads), n_features),
        "intercept": (len(heads),),
        "calibration": (len(heads), 3),
    }
    for name, block in meta["blocks"].items():
        if "terms" in block:
            expected[f"{name}_idf"] = (len(block["terms"]),)
        if "prototypes" in block:
            expected[f"{name}_prototypes"] = (widths[name], len(block["terms"]))
    unexpected = set(arrays) - set(expected)
    if unexpected:
        raise IncompatibleModel(f"{folder}: weights.npz has unexpected array(s) {', '.join(sorted(unexpected))}")
    checked = {name: _check_array(arrays, name, shape, folder) for name, shape in expected.items()}
    calibration = checked["calibration"]
    if not np.all((calibration[:, 2] > 0) & (calibration[:, 2] < 1)) or np.any(calibration[:, 0] <= 0):
        raise IncompatibleModel(f"{folder}: weights.npz calibration has thresholds outside (0, 1) or slopes <= 0")
    model = PassageClassifier(**params)
    model.featuriser_ = featuriser_from_state(meta, {k: v for k, v in checked.items() if k.endswith(("_idf", "_prototypes"))})
    width = sum(model.featuriser_.output_indices_[name].stop - model.featuriser_.output_indices_[name].start
                for name in DEFAULT_WEIGHTS)
    if width != n_features:
        raise IncompatibleModel(f"{folder}: the featuriser gives {width} features but the weights expect {n_features}")
    plain = max(model.featuriser_.output_indices_[name].stop for name in PLAIN_BLOCKS)
    model.heads_ = LinearHeads(heads, None, model.C, model.nb_weight, model.plain_mix, model.plain_C, plain)
    model.heads_.coef_ = checked["coef"].astype(np.float64)
    model.heads_.intercept_ = checked["intercept"]
    model.heads_names_ = heads
    model.classes_ = np.asarray(heads)
    model.calibration_ = calibration
    model.oof_decisions_ = None
    model.info_ = config
    return model


def load_model(path: Path | None = None) -> PassageClassifier:
    return load_model_folder(Path(path) if path else default_model_path())


def model_version(model: PassageClassifier) -> str:
    info = getattr(model, "info_", {})
    return str(info.get("version") or info.get("data_hash", "")[:12] or "unversioned")
