"""The textmine pipeline as a Prefect flow: discover, extract, segment, classify, correct, audit, publish.

Run it with ``textmine run CORPUS --out OUT`` (or ``python flows/pipeline.py CORPUS OUT``
in a checkout), which first checks, without Prefect, whether anything changed (see
``textmine.flows.run_pipeline``). Each task is a thin wrapper over a function of
``textmine.run``; one task per document (never per passage), extraction in worker
processes with a time limit.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textmine.config import quiet_prefect

quiet_prefect()

from prefect import flow, task  # noqa: E402
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from textmine import parallel, report, store  # noqa: E402
from textmine import run as steps  # noqa: E402
from textmine.config import RunSettings  # noqa: E402
from textmine.corpus import Document, skipped_files  # noqa: E402
from textmine.flows import logs  # noqa: E402


def _io_error(task, task_run, state) -> bool:
    """Retry a document only when reading or writing a file failed (a flaky share), never otherwise."""
    return isinstance(state.result(raise_on_failure=False), OSError)


def _prepare_document(doc: Document, out: Path, max_words: int, timeout: float) -> steps.DocResult:
    return steps.prepare_document(doc, out, parallel.shared_pool(timeout), max_words)


# Named apart from the function so that Dask can pickle the function by reference.
prepare_document = task(
    _prepare_document, name="prepare-document", cache_policy=NO_CACHE, task_run_name="prepare {doc.file}",
    retries=1, retry_condition_fn=_io_error,
)


@task(name="read-extracted", cache_policy=NO_CACHE, retries=1, retry_condition_fn=_io_error)
def read_extracted(docs: list[Document], out: Path, max_words: int, timeout: float) -> list[steps.DocResult]:
    """The documents whose extraction is cached, in one task: a task run per document costs more than reading it."""
    return [_prepare_document(doc, out, max_words, timeout) for doc in docs]


if TYPE_CHECKING:  # scikit-learn is imported by the load-model task, while documents extract, not before the flow
    from textmine.classify import PassageClassifier


@task(name="load-model", cache_policy=NO_CACHE)
def load(model_path: Path | None) -> PassageClassifier:
    return steps.cached_model(model_path)


@task(name="classify", cache_policy=NO_CACHE)
def classify(passages: list[dict], model: PassageClassifier, out: Path) -> tuple[list[dict], int, str]:
    from textmine.classify import model_version

    labelled, fresh = steps.label_passages(passages, model, out)
    return labelled, fresh, model_version(model)


@task(name="apply-corrections", cache_policy=NO_CACHE)
def correct(passages: list[dict], out: Path) -> list[dict]:
    return steps.correct_passages(passages, out)


@task(name="read-audit", cache_policy=NO_CACHE)
def read_audit(passages: list[dict], out: Path) -> dict[str, dict]:
    return steps.audit_answers(passages, out)


@task(name="aggregate-and-report", cache_policy=NO_CACHE)
def aggregate(passages: list[dict], audit: dict[str, dict], out: Path):
    return report.output_files(passages, audit=audit, out=str(out))


@task(name="publish", cache_policy=NO_CACHE)
def publish(out: Path, passages: list[dict], errors: list[dict], files: dict[str, bytes], record: dict) -> Path:
    return steps.publish_outputs(out, passages, errors, files, record=record)


async def publish_artifacts(record: dict, tables: dict, summary: list[str]) -> None:
    """Key tables and the summary next to the run in the Prefect UI."""
    await acreate_markdown_artifact(
        key="textmine-run-summary",
        markdown="## textmine run\n\n" + steps.summary_line(record) + "\n\n" + "\n".join(f"- {s}" for s in summary),
        description="Summary of the textmine run",
    )
    prev = tables["prevalence"]
    by_time = prev[(prev.axis == "theme") & (prev.council == "all") & (prev.period == "all") & (prev.doc_type == "all")]
    await acreate_table_artifact(
        key="textmine-theme-by-timepoint",
        table=by_time[["label", "timepoint", "passages", "total", "share", "ci_low", "ci_high"]].round(4).to_dict("records"),
        description="Theme prevalence by timepoint (share of passages, 95% Wilson interval)",
    )
    comp = tables["recommendation_comparison"].dropna(subset=["std_residual"]).sort_values("std_residual", ascending=False)
    await acreate_table_artifact(
        key="textmine-recommendation-residuals",
        table=comp.head(12)[["council", "theme", "recommendations", "expected", "std_residual", "p_value"]].round(4).to_dict("records"),
        description="Councils x recommendation themes with the largest excess (adjusted residuals)",
    )


def _progress(done: int, total: int, name: str) -> None:
    if sys.stderr.isatty():
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:40]:40}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def warm_up(model: Path | None) -> None:
    """Load the model and the plotting library into this process: done while a temporary server starts."""
    steps.cached_model(model)
    import matplotlib.pyplot  # noqa: F401  (the report's charts)


# An async flow: a sync flow call waits up to a second more for its heartbeat thread to stop.
@flow(name="textmine-run", log_prints=True)
async def pipeline(corpus: str, out: str, model: str | None = None, workers: int = 0, timeout: float = 120.0,
                   started_at: float | None = None) -> dict:
    """Process every PDF below ``corpus`` into classified passages in ``out``.

    ``started_at`` (``time.time()``) is when the user started the command, so the
    recorded time is the time they waited; by default, when the flow starts. Run it
    with ``asyncio.run(pipeline(corpus, out))``. What Prefect logs about the run
    goes to ``OUT/.textmine/logs/<run_id>.log``, a domain error in one line
    elsewhere (``textmine.flows.logs``).
    """
    settings = RunSettings(Path(corpus), Path(out), Path(model) if model else None, workers, timeout)
    started_at = started_at or time.time()
    run_id = store.new_run_id()
    store.check_writable(settings.out)
    logs.keep_run_log(flow_run.get_id(), store.log_path(settings.out, run_id))
    with store.run_lock(settings.out):
        store.clean_stale_runs(settings.out)
        store.prune_logs(settings.out)
        inputs = steps.read_inputs(settings)
        record = steps.record_if_unchanged(settings, inputs, run_id, started_at)
        if record is not None:
            await acreate_markdown_artifact(key="textmine-run-summary", markdown="## textmine run\n\n" + steps.summary_line(record))
            return record
        docs, problems = inputs.docs, inputs.problems
        cached = [steps.is_extracted(doc, settings.out) for doc in docs]
        extracted = [doc for doc, is_cached in zip(docs, cached) if is_cached]
        new = [doc for doc, is_cached in zip(docs, cached) if not is_cached]
        with parallel.run_pool(min(settings.worker_count, max(len(new), 1)), settings.timeout):
            futures = [
                prepare_document.submit(doc, settings.out, settings.max_passage_words, settings.timeout) for doc in new
            ]
            from_cache = read_extracted.submit(extracted, settings.out, settings.max_passage_words, settings.timeout)
            classifier = load(settings.model)  # loads here while the documents are extracted
            done = {r.file: r for r in from_cache.result()}
            _progress(len(done), len(docs), "(cached)")
            for future in futures:
                result = future.result()
                done[result.file] = result
                _progress(len(done), len(docs), result.file)
            results = [done[doc.file] for doc in docs]
        passages = [p for r in results for p in r.passages]
        errors = steps.error_records(results, problems)
        # quote(): hand big lists to tasks without Prefect walking every passage
        labelled, fresh, version = classify(quote(passages), quote(classifier), settings.out)
        labelled = correct(quote(labelled), settings.out)  # before anything counts them: one set of labels
        record = {
            "run_id": run_id,
            "status": "completed",
            "fingerprint": inputs.fingerprint,
            "corpus": str(settings.corpus),
            "out": str(settings.out),
            "model": version,
            "documents": len(docs),
            "extracted": sum(1 for r in results if not r.cached and not r.error),
            "cached": sum(1 for r in results if r.cached),
            "pages": sum(r.pages for r in results),
            "passages": len(labelled),
            "classified": fresh,
            "errors": len(errors),
            "skipped": skipped_files(settings.corpus),
        }
        audit = read_audit(quote(labelled), settings.out)
        files, tables, summary = aggregate(quote(labelled), quote(audit), settings.out)
        record["seconds"] = round(time.time() - started_at, 2)
        publish(settings.out, quote(labelled), quote(errors), quote(files), record)
        store.append_run_record(settings.out, record)
    await publish_artifacts(record, tables, summary)
    return record


def with_dask(address: str | None):
    """The pipeline flow running its document tasks on a Dask cluster (``address``), or locally.

    ``address`` is a scheduler address (``tcp://host:8786``) or ``local`` for a
    throwaway local cluster. Workers must see the corpus and output folders at the
    same paths; point every process at one Prefect server (``PREFECT_API_URL``) so
    workers do not each start a temporary one.
    """
    if not address:
        return pipeline
    from prefect_dask import DaskTaskRunner

    if address == "local":
        runner = DaskTaskRunner(cluster_kwargs={"n_workers": 2, "processes": False, "threads_per_worker": 1})
    else:
        runner = DaskTaskRunner(address=address)
    return pipeline.with_options(task_runner=runner)


def build_deployment(corpus: str, out: str, cron: str, model: str | None = None, name: str = "textmine-scheduled"):
    """A Prefect deployment of the pipeline on a cron schedule, with its settings as parameters."""
    from prefect.schedules import Cron

    return pipeline.to_deployment(
        name=name,
        schedule=Cron(cron),
        parameters={"corpus": str(Path(corpus).resolve()), "out": str(Path(out).resolve()), "model": model},
        description=f"textmine over {corpus} into {out}, on the schedule {cron!r}",
    )
