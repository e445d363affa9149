"""Write a run's outputs atomically, keep caches and run records, guard against two writers.

Layout of an output folder ``OUT``::

    OUT/passages.parquet, errors.csv, ...   links into the current run (read these)
    OUT/corrections.sqlite                  researchers' corrections (never written by a run)
    OUT/runs.jsonl                          one record per run
    OUT/.textmine/runs/<run_id>/            the files of each published run
    OUT/.textmine/current -> runs/<run_id>  switched in one atomic rename
    OUT/.textmine/cache/                    extraction cache, by file hash
    OUT/.textmine/logs/<run_id>.log         what Prefect logged about a run that had problems, tracebacks included
    OUT/.textmine/lock                      held by the run that is writing

A run writes every file into a fresh ``runs/<run_id>`` folder and then replaces the
``current`` link in one ``rename``: a run killed at any moment leaves the previous
outputs complete and readable.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq

from .errors import BadInput, TextmineError
from .labels import PASSAGE_SCHEMA, head_names, model_labels
from .safe import neutralise

STATE = ".textmine"
KEEP_RUNS = 3
KEEP_LOGS = 30


class RunLocked(TextmineError):
    """Another run is writing to the same output folder."""


def state_dir(out: Path) -> Path:
    return Path(out) / STATE


def written_folders(out: Path) -> list[Path]:
    """Every folder a run writes into."""
    state = state_dir(out)
    return [Path(out), state, state / "runs", state / "cache" / "extract", state / "cache" / "labels", state / "logs"]


def check_writable(out: Path) -> None:
    """Make sure a run can write its outputs, before any work starts; create the folders it needs.

    Each folder a run writes into is created if missing and must take a new file.

    Raises
    ------
    BadInput
        Naming the folder: a file stands where it should be (or where one of its
        parents should be), or it cannot be written (permissions, a read-only disk).
    """
    for folder in written_folders(out):
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
        if blocker == folder:
            raise BadInput(f"output folder {folder} is a file, not a folder: choose another --out or move the file")
        if blocker is not None:
            raise BadInput(f"output folder {folder} cannot be made: {blocker} is a file, not a folder; choose another --out")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-check-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise BadInput(f"output folder {folder} cannot be written ({exc.strerror or exc}): "
                           "choose another --out or fix its permissions") from None


@contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold the output folder's write lock, or raise ``RunLocked`` at once."""
    state = state_dir(out)
    state.mkdir(parents=True, exist_ok=True)
    fh = open(state / "lock", "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "another process"
        fh.close()
        raise RunLocked(f"another textmine run ({holder}) is writing to {out}: wait for it to finish, or use another --out")
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"


def _scores_column(passages: list[dict]) -> pa.Array:
    """The scores map column from each passage's row of probabilities by head (``labels.head_names``)."""
    import numpy as np

    names = head_names()
    rows = np.asarray([p["scores"] for p in passages], dtype=np.float64).reshape(len(passages), len(names))
    offsets = np.arange(0, rows.size + 1, len(names), dtype=np.int32)
    keys = pa.compute.take(pa.array(names, type=pa.string()), pa.array(np.tile(np.arange(len(names), dtype=np.int32), len(passages))))
    return pa.MapArray.from_arrays(pa.array(offsets), keys, pa.array(np.round(rows, 4).ravel()))


def passages_table(passages: list[dict]) -> pa.Table:
    """The passages as an Arrow table, built column by column (no per-row copies)."""
    columns = {}
    for field in PASSAGE_SCHEMA:
        if field.name == "scores":
            columns["scores"] = _scores_column(passages)
        elif field.name == "model_labels":
            columns[field.name] = pa.array([model_labels(p) for p in passages], type=field.type)
        elif field.name in ("themes", "factors"):
            columns[field.name] = pa.array([list(p.get(field.name) or []) for p in passages], type=field.type)
        else:
            columns[field.name] = pa.array([p.get(field.name) for p in passages], type=field.type)
    return pa.table(columns, schema=PASSAGE_SCHEMA)


def write_passages(path: Path, passages: list[dict], chunk: int = 20000) -> None:
    """Write passages to Parquet in row groups of ``chunk`` (bounded memory on big runs)."""
    with pq.ParquetWriter(path, PASSAGE_SCHEMA) as writer:
        for start in range(0, max(len(passages), 1), chunk):
            writer.write_table(passages_table(passages[start:start + chunk]))


def read_passages(path: Path) -> list[dict]:
    """Passages of a parquet file as dicts (scores as a dict by head)."""
    rows = pq.read_table(path).to_pylist()
    for row in rows:
        row["scores"] = dict(row["scores"] or [])
    return rows


def write_errors(path: Path, errors: list[dict]) -> None:
    """errors.csv: one ``file,step,error`` row per failure, cells that could start a formula neutralised."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "step", "error"])
        writer.writeheader()
        writer.writerows({k: neutralise(e.get(k, "")) for k in ("file", "step", "error")} for e in errors)


def staging_dir(out: Path, run_id: str) -> Path:
    path = state_dir(out) / "runs" / run_id
    path.mkdir(parents=True, exist_ok=False)
    return path


def publish(out: Path, run_dir: Path) -> None:
    """Make ``run_dir`` the current outputs in one atomic step and link its files into ``out``."""
    out = Path(out)
    state = state_dir(out)
    for f in run_dir.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    tmp = state / f"current.{os.getpid()}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(Path("runs") / run_dir.name, tmp)
    os.replace(tmp, state / "current")
    dir_fd = os.open(state, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    for f in run_dir.iterdir():
        _link(out / f.name, Path(STATE) / "current" / f.name)
    _prune_links(out)
    _prune_runs(state, keep=KEEP_RUNS)


def _link(path: Path, target: Path) -> None:
    if path.is_symlink() and os.readlink(path) == str(target):
        return
    tmp = path.with_name(f".{path.name}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _prune_links(out: Path) -> None:
    """Remove links to files the current run no longer has (e.g. a chart that is gone)."""
    for path in out.iterdir():
        if path.is_symlink() and os.readlink(path).startswith(STATE) and not path.exists():
            path.unlink()


def _prune_runs(state: Path, keep: int) -> None:
    runs = sorted((state / "runs").iterdir())
    current = os.readlink(state / "current").split("/")[-1]
    for old in runs[:-keep]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def previous_run_dir(out: Path) -> Path | None:
    """The folder of the currently published run, if there is one."""
    current = state_dir(out) / "current"
    return current.resolve() if current.exists() else None


def current_record(out: Path) -> dict | None:
    """The run record (run.json) of the published run, if any."""
    current = previous_run_dir(out)
    if current is None or not (current / "run.json").exists():
        return None
    try:
        return json.loads((current / "run.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def clean_stale_runs(out: Path) -> None:
    """Remove run folders that were never published (left by a run that was killed or failed).

    Run folders are named by their start time, so any folder newer than the current
    one was never published. Call it only while holding the run lock.
    """
    runs = state_dir(out) / "runs"
    if not runs.exists():
        return
    current = previous_run_dir(out)
    for path in runs.iterdir():
        if current is None or path.name > current.name:
            shutil.rmtree(path, ignore_errors=True)


def log_path(out: Path, run_id: str) -> Path:
    """The log file of one run (written only when Prefect logs a warning or an error about it)."""
    return state_dir(out) / "logs" / f"{run_id}.log"


def prune_logs(out: Path, keep: int = KEEP_LOGS) -> None:
    """Keep the ``keep`` newest run logs (they are named by the run's start time)."""
    for old in sorted((state_dir(out) / "logs").glob("*.log"))[:-keep]:
        old.unlink(missing_ok=True)


def append_run_record(out: Path, record: dict) -> None:
    with open(Path(out) / "runs.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


# --------------------------------------------------------------------------- caches


def cache_dir(out: Path, name: str) -> Path:
    path = state_dir(out) / "cache" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def has_cache(out: Path, name: str, key: str) -> bool:
    return (cache_dir(out, name) / f"{key}.json").exists()


def read_cache(out: Path, name: str, key: str) -> dict | list | None:
    path = cache_dir(out, name) / f"{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_cache(out: Path, name: str, key: str, value: dict | list) -> None:
    path = cache_dir(out, name) / f"{key}.json"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value), encoding="utf-8")
    os.replace(tmp, path)


def read_label_cache(out: Path, version: str):
    """Cached probabilities of one model: ({text key: row}, float32 matrix)."""
    import numpy as np

    path = cache_dir(out, "labels") / f"{version}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, matrix = data["keys"], data["probs"]
    except (FileNotFoundError, KeyError, ValueError, OSError):
        return {}, np.zeros((0, 0), dtype=np.float32)
    return {k.decode("ascii"): i for i, k in enumerate(keys)}, matrix


def write_label_cache(out: Path, version: str, index: dict[str, int], matrix) -> None:
    import numpy as np

    path = cache_dir(out, "labels") / f"{version}.npz"
    keys = np.empty(len(index), dtype="S40")
    for key, row in index.items():
        keys[row] = key.encode("ascii")
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, keys=keys, probs=matrix)
    os.replace(tmp, path)
