"""Prefect flows that compose textmine's library functions, and how a command starts them.

``pipeline`` (``textmine run`` and ``serve``) and ``train`` (``textmine train``) hold
the flows. The functions here are what the commands call: they settle what can be
settled without Prefect first, then import Prefect while a server is found or
started (``server.PrefectServer``), and run the flow. Importing this package does
not import Prefect.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable, Sequence

from ..config import RunSettings, quiet_prefect
from ..run import unchanged_run
from .server import PrefectServer


def run_pipeline(settings: RunSettings, started_at: float, dask_address: str | None = None) -> dict:
    """Run the pipeline over ``settings`` and return the run's record.

    When nothing changed since the published run (same files, metadata, model and
    corrections) the run is recorded without starting Prefect at all.
    ``started_at`` (``time.time()``) is when the user started the command.
    """
    record = unchanged_run(settings, started_at)
    if record is not None:
        return record
    with PrefectServer() as server:
        quiet_prefect()
        from .pipeline import warm_up, with_dask

        flow = with_dask(dask_address)
        warm_up(settings.model)  # a broken model is refused here, in one line, before any work (and while a server starts)
        with server.ready():
            model = str(settings.model) if settings.model else None
            return asyncio.run(flow(str(settings.corpus), str(settings.out), model, settings.workers, settings.timeout,
                                    started_at))


def serve_pipeline(settings: RunSettings, cron: str, name: str, announce: Callable[[str], None]) -> None:
    """Serve the pipeline as a Prefect deployment on the ``cron`` schedule until stopped."""
    with PrefectServer() as server:
        quiet_prefect()
        from prefect import serve

        from .pipeline import build_deployment

        with server.ready():
            model = str(settings.model) if settings.model else None
            deployment = build_deployment(str(settings.corpus), str(settings.out), cron, model, name)
            announce(f"serving deployment textmine-run/{name} on schedule {cron!r}; Ctrl-C to stop")
            serve(deployment)


def train(data: Sequence[Path], corrections: Sequence[Path], out: Path, tests: Sequence[Path], set_default: bool) -> Path:
    """Train a model with the training flow; returns the new model folder."""
    with PrefectServer() as server:
        quiet_prefect()
        from .train import train_flow

        with server.ready():
            folder = train_flow([str(d) for d in data], [str(c) for c in corrections], str(out),
                                [str(t) for t in tests], set_default)
    return Path(folder)
