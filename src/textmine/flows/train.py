"""Train the passage classifier as a Prefect flow and write a versioned model folder.

Run it with ``textmine train --data DIR``; each task is a one-line wrapper over
``textmine.training``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

from textmine.config import quiet_prefect

quiet_prefect()

from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from textmine import training  # noqa: E402
from textmine.classify import load_examples  # noqa: E402


@task(name="gather-examples", cache_policy=NO_CACHE)
def gather(data: list[str], corrections: list[str]) -> list[dict]:
    return training.gather_examples([Path(d) for d in data], [Path(c) for c in corrections])


@task(name="fit", cache_policy=NO_CACHE)
def fit(examples: list[dict], tests: dict[str, list[dict]]):
    return training.train_model(examples, tests)


@task(name="write-model", cache_policy=NO_CACHE)
def write(model, folder: Path, examples: list[dict], metrics: dict) -> Path:
    return training.write_model(model, folder, examples, metrics)


@flow(name="textmine-train")
def train_flow(data: list[str], corrections: list[str], out: str = "models", tests: Sequence[str] = (),
               set_default: bool = False) -> str:
    """Train on ``data`` (+ corrections), score on each file of ``tests``, write ``out/<version>``."""
    examples = gather(data, corrections)
    test_sets = {Path(t).stem: load_examples([Path(t)]) for t in tests}
    model, metrics = fit(examples, test_sets)
    version = training.model_version_name(examples, model.get_params())
    folder = write(model, Path(out) / version, examples, metrics)
    if set_default:
        default = Path(out) / "default"
        if default.exists():
            shutil.rmtree(default)
        shutil.copytree(folder, default)
    create_markdown_artifact(key="textmine-model-card", markdown=(folder / "MODEL_CARD.md").read_text())
    return str(folder)
