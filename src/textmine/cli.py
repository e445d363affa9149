"""The ``textmine`` command: parse arguments, call the library, format the result.

Domain errors become one line on stderr and exit status 1; nothing else is shown
as a traceback unless ``TEXTMINE_DEBUG=1``.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import sys
from functools import wraps
from pathlib import Path

import click

from .errors import TextmineError
from .guard import DEFAULT_PORT


def _friendly(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TextmineError as exc:
            if os.environ.get("TEXTMINE_DEBUG"):
                raise
            raise click.ClickException(str(exc)) from exc

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="textmine")
def main() -> None:
    """Text mining for safeguarding children peer review documents.

    Typical use: `textmine run corpus/sample --out outputs/sample` extracts every PDF,
    classifies its passages into impact themes, influencing factors and impact
    stage, and writes passages.parquet and errors.csv to the output folder.
    """


@main.command()
@click.argument("corpus", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True, help="Output folder (created if missing).")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Model folder; default: the shipped model.")
@click.option("--workers", type=int, default=0, show_default=True, help="Extraction processes; 0 = one per core.")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds one document may take to extract.")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Run document tasks on a Dask cluster (tcp://host:8786), or 'local' for a local one.")
@_friendly
def run(corpus: Path, out: Path, model: Path | None, workers: int, timeout: float, dask_address: str | None) -> None:
    """Run the whole pipeline over a folder of documents (PDF, Word, web pages, scans).

    Only new or changed documents are extracted again; unreadable files are listed
    in OUT/errors.csv and the run goes on. Example:

        textmine run corpus/sample --out outputs/sample
    """
    from .config import RunSettings
    from .flows import run_pipeline
    from .run import process_start_time, summary_line

    record = run_pipeline(RunSettings(corpus, out, model, workers, timeout), process_start_time(), dask_address)
    click.echo(summary_line(record))


@main.command()
@click.argument("corpus", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True, help="Output folder (created if missing).")
@click.option("--cron", default="0 2 * * *", show_default=True, help="When to run, as a cron expression.")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Model folder; default: the shipped model.")
@click.option("--name", default="textmine-scheduled", show_default=True, help="Deployment name shown in the Prefect UI.")
@_friendly
def serve(corpus: Path, out: Path, cron: str, model: Path | None, name: str) -> None:
    """Serve the pipeline as a Prefect deployment that runs on a schedule.

    Keeps running and starts `textmine run CORPUS --out OUT` at every time the cron
    expression names (Prefect's own scheduler; stop with Ctrl-C). With a Prefect
    server (`prefect server start`, then `export PREFECT_API_URL=http://127.0.0.1:4200/api`)
    the runs show in its UI and can be started by hand with
    `prefect deployment run 'textmine-run/textmine-scheduled'`. Example:

        textmine serve corpus/sample --out outputs/sample --cron "0 2 * * *"
    """
    from .config import RunSettings
    from .flows import serve_pipeline

    serve_pipeline(RunSettings(corpus, out, model), cron, name, announce=click.echo)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--passages", is_flag=True, help="Print passages (what gets classified) instead of blocks.")
@_friendly
def extract(file: Path, passages: bool) -> None:
    """Print the blocks of one document (.pdf, .docx, .html, .htm) as JSON lines, in reading order.

    Each line has text, page, kind (heading, paragraph, bullet, table_cell) and
    section, plus table, row and col for table cells and ocr, ocr_confidence for
    text read from a scanned page. Pages OCR could not read are named on stderr.
    Example:

        textmine extract corpus/sample/ashcombe_report.pdf | head
    """
    from .extract.read import quiet_parser_warnings
    from .formats import collect_problems, extract_file
    from .segment import blocks_to_passages

    quiet_parser_warnings()
    with collect_problems() as problems:
        blocks = extract_file(file)
    records = blocks_to_passages(blocks, file.name, {}) if passages else [b.to_dict() for b in blocks]
    for record in records:
        click.echo(json.dumps(record, ensure_ascii=False))
    for problem in problems:
        click.echo(f"Warning: {problem}", err=True)


@main.command()
@click.option("--input", "-i", "input_", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON lines with id, text and optional context (section, kind, lead_in, row_header, "
                   "col_header); default: stdin.")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Model folder; default: the shipped model.")
@_friendly
def classify(input_: Path | None, model: Path | None) -> None:
    """Classify passages given as JSON lines; print JSON lines with labels and scores.

    Each line has the passage text and, where known, its context in the document, the
    fields `textmine run` keeps in passages.parquet: section (the heading path), kind
    (paragraph, bullet or table_cell), lead_in (the paragraph introducing a bullet's
    list), row_header and col_header (a table cell's headers). A passage without
    context is classified on its text alone.

    Output fields: id, themes, factors, stage, recommendation, audience, scores. Example:

        echo '{"id": "1", "text": "Caseloads are too high."}' | textmine classify
    """
    from .classify import classify_passages, load_model, parse_jsonl

    lines = (input_.read_text(encoding="utf-8") if input_ else sys.stdin.read()).splitlines()
    records = parse_jsonl(lines, str(input_ or "stdin"))
    labelled = classify_passages(load_model(model), records)
    for record, out in zip(records, labelled):
        fields = ("themes", "factors", "stage", "recommendation", "audience", "scores")
        click.echo(json.dumps({"id": record.get("id"), **{f: out[f] for f in fields}}, ensure_ascii=False))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Model folder; default: the shipped model.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@_friendly
def evaluate(file: Path, model: Path | None, as_json: bool) -> None:
    """Score the model on a hand-labelled JSON-lines file (the training format).

    Prints precision, recall, F1 and Cohen's kappa per label and macro averages per
    axis. Example:

        textmine evaluate corpus/test/heldout.jsonl
    """
    from .classify import classify_passages, load_examples, load_model
    from .evaluate import evaluate as score
    from .evaluate import format_report

    examples = load_examples([file])
    predictions = classify_passages(load_model(model), examples)
    result = score(examples, predictions)
    click.echo(json.dumps(result, indent=2) if as_json else format_report(result))


@main.command()
@click.option("--data", type=click.Path(exists=True, path_type=Path), multiple=True,
              help="Training JSON-lines file or folder (repeatable); default: corpus/training, in a checkout.")
@click.option("--corrections", type=click.Path(path_type=Path), multiple=True,
              help="A corrections.sqlite saved by the browser (repeatable).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("models"), show_default=True,
              help="Folder to write the versioned model folder into.")
@click.option("--test", "test_files", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True,
              help="Held-out labelled file to score the model on, never trained on (repeatable).")
@click.option("--set-default", is_flag=True, help="Also copy the new model to OUT/default (the shipped model).")
@_friendly
def train(data: tuple[Path, ...], corrections: tuple[Path, ...], out: Path, test_files: tuple[Path, ...],
          set_default: bool) -> None:
    """Train a classifier and write a versioned model folder with metrics and a model card.

    Without --data, trains on corpus/training (the project's training passages, in a
    checkout) and says so. Comparing other approaches is an experiment:
    `python bench/compare.py`. Example:

        textmine train --data corpus/training --test corpus/test/heldout.jsonl --test corpus/test/heldout_research.jsonl
    """
    from .flows import train as train_model
    from .training import training_data

    if not data:
        data = training_data()
        click.echo(f"training on {', '.join(map(str, data))} (no --data given)", err=True)
    folder = train_model(data, corrections, out, test_files, set_default)
    click.echo(f"model written to {folder}")


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--size", type=int, default=None,
              help="Draw an audit sample of this many passages, or grow the one in OUT to this many.")
@click.option("--seed", type=int, default=None, help="Seed of a new sample (default: a random one, kept with it).")
@click.option("--labels", "labels_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Import audit labels from a JSON-lines file: id plus themes, factors, stage, recommendation "
                   "(and audience) on each line.")
@click.option("--blind", is_flag=True, help="Print the sample without the model's labels, to label it elsewhere.")
@_friendly
def audit(out: Path, size: int | None, seed: int | None, labels_file: Path | None, blind: bool) -> None:
    """Draw an audit sample of the run's passages, print it, or import its labels.

    An audit is a simple random sample of passages that a researcher labels
    without seeing the model's labels (the browser's Audit page, or a
    spreadsheet imported with --labels). The next run measures the model on it
    (accuracy.csv) and corrects the prevalence (share_corrected in
    prevalence.csv). The sample is kept in OUT/corrections.sqlite; growing it
    keeps every passage already drawn. Prints the sample as JSON lines (id, file,
    page, section, text, model_labels, audit_labels). Examples:

    \b
        textmine audit outputs/sample --size 60
        textmine audit outputs/sample --labels audit.jsonl
    """
    from .audit import current_audit, draw_sample, import_answers, run_ids, sample_records, sample_summary
    from .errors import BadInput

    added: list[str] = []
    if labels_file is not None:
        if size is not None or seed is not None:
            raise BadInput("--labels imports answers into the sample as it is: give it without --size and --seed")
        count = import_answers(out, labels_file, *current_audit(out))
        click.echo(f"imported {count} audit answers from {labels_file}", err=True)
    elif size is not None:
        _, added = draw_sample(out, run_ids(out), size, seed)
    current, passages = current_audit(out)
    if current.seed is None:
        raise BadInput(f"{out} has no audit sample yet: draw one with `textmine audit {out} --size 60`")
    if labels_file is None:
        for record in sample_records(current, passages, with_model=not blind):
            click.echo(json.dumps(record, ensure_ascii=False))
    for line in sample_summary(current, added):
        click.echo(line, err=True)


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port to listen on.")
@click.option("--token", "tokens", multiple=True, metavar="NAME:TOKEN",
              help="Access token for corrections (repeatable; also TEXTMINE_TOKENS=name:token,...). "
                   "Required when --host is not a loopback address.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Another name the server may be reached by, e.g. behind a reverse proxy (repeatable). "
                   "Requests for any other name are refused.")
@_friendly
def browse(out: Path, host: str, port: int, tokens: tuple[str, ...], allow_hosts: tuple[str, ...]) -> None:
    """Open the passage browser over a run's outputs: filter, read in context, correct, audit, export.

    Serves a small web app at http://HOST:PORT/ (JSON API under /api/, exports at
    /export.csv, /export.xlsx and /export.qdpx). Corrections go to OUT/corrections.sqlite.
    Requests for another host name and changes sent from other sites' pages are
    refused. Example:

        textmine browse outputs/sample
    """
    import uvicorn

    from .explore import load_run
    from .web import create_app, parse_tokens

    load_run(out)  # fail now, with a clear message, if there is no run yet
    app = create_app(out, host, parse_tokens(tokens), port=port, allow_hosts=allow_hosts)
    click.echo(f"textmine browser on http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


_exit_status: list[int] = []


def _exit_without_teardown() -> None:
    """End the process once every other exit handler has run, skipping interpreter teardown.

    Registered first, so it runs last: Prefect's and multiprocessing's handlers have
    shut their servers and threads down by now. Finalizing the modules a run imports
    (Prefect, pandas, scikit-learn) adds about a second the user waits for nothing.
    """
    if not _exit_status:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass
    os._exit(_exit_status[0])


def console(args: list[str] | None = None) -> None:
    """The installed ``textmine`` script: :func:`main` with a prompt exit."""
    atexit.register(_exit_without_teardown)
    try:
        main(args)
    except SystemExit as exc:
        code = exc.code
        _exit_status.append(0 if code is None else code if isinstance(code, int) else 1)
        raise


if __name__ == "__main__":  # pragma: no cover
    console()
