"""Run settings, validated once, with defaults that work on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInput


def quiet_prefect() -> None:
    """Keep Prefect local and silent on the network: call before importing prefect.

    Turns off analytics and telemetry and quietens Prefect's logs, leaving any value
    the user has set in the environment as it is.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


@dataclass
class RunSettings:
    """What one pipeline run reads, writes and how.

    Parameters
    ----------
    corpus:
        Folder of PDFs (searched recursively), optionally with ``manifest.csv``.
    out:
        Output folder; created if missing.
    model:
        Model folder; ``None`` uses the model shipped with textmine.
    workers:
        Extraction worker processes; 0 means one per core.
    timeout:
        Seconds one document may take to extract before it is recorded as an error.
    max_passage_words:
        Paragraphs longer than this are split at sentence boundaries.
    """

    corpus: Path
    out: Path
    model: Path | None = None
    workers: int = 0
    timeout: float = 120.0
    max_passage_words: int = 250

    def __post_init__(self) -> None:
        self.corpus = Path(self.corpus)
        self.out = Path(self.out)
        if not self.corpus.is_dir():
            raise BadInput(f"corpus folder {self.corpus} does not exist or is not a folder")
        if self.model is not None:
            self.model = Path(self.model)
        if self.workers < 0:
            raise BadInput(f"workers must be 0 (one per core) or more, not {self.workers}")
        if self.timeout <= 0:
            raise BadInput(f"timeout must be a positive number of seconds, not {self.timeout}")
        if self.max_passage_words < 20:
            raise BadInput(f"max_passage_words must be at least 20, not {self.max_passage_words}")
        if self.out.resolve() == self.corpus.resolve():
            raise BadInput("the output folder must not be the corpus folder")

    @property
    def worker_count(self) -> int:
        return self.workers or max(1, os.cpu_count() or 1)
