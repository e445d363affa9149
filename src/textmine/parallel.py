"""Extract documents in worker processes with a per-document time and memory limit.

A parser that hangs or eats memory on one malformed PDF must not stop a run. Each
worker is a long-lived process fed one document at a time; when a document runs
past its time limit the worker is killed and replaced (about 0.1 s), and the
document is reported as an ``ExtractionTimeout``.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import ExtractionTimeout, TextmineError, UnreadablePDF

MEMORY_LIMIT_BYTES = 3 * 1024**3


def extract_document(path: str) -> dict:
    """Blocks, page count and page problems of one document as plain data, or the error that stopped it.

    ``problems`` lists the pages that could not be read (OCR found no text on a scanned
    page) while the rest of the document was.
    """
    from .extract import page_count
    from .formats import collect_problems, extract_file

    try:
        with collect_problems() as problems:
            blocks = extract_file(Path(path))
    except TextmineError as exc:
        return {"error": str(exc), "error_type": type(exc).__name__}
    except MemoryError:
        return {"error": f"{Path(path).name} needed more than {MEMORY_LIMIT_BYTES >> 30} GB to extract", "error_type": "UnreadablePDF"}
    except RecursionError as exc:  # deeply nested malformed objects
        return {"error": f"{Path(path).name} could not be parsed ({exc})", "error_type": "UnreadablePDF"}
    return {"blocks": [b.to_dict() for b in blocks], "pages": page_count(blocks), "problems": problems}


def _worker(conn) -> None:
    from .extract.read import quiet_parser_warnings

    quiet_parser_warnings()
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    while True:
        try:
            path = conn.recv()
        except EOFError:
            return
        if path is None:
            return
        conn.send(extract_document(path))


class _Worker:
    def __init__(self, ctx) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class ExtractionPool:
    """A pool of extraction processes, safe to call from several threads.

    Examples
    --------
    >>> with ExtractionPool(workers=1, timeout=60) as pool:
    ...     result = pool.extract("corpus/sample/ashcombe_report.pdf")
    >>> result["pages"] > 1, result["blocks"][0]["kind"]
    (True, 'heading')
    """

    def __init__(self, workers: int = 2, timeout: float = 120.0) -> None:
        self.workers = max(1, workers)
        self.timeout = timeout
        self._ctx = mp.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "ExtractionPool":
        for _ in range(self.workers):
            self._add()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _add(self) -> None:
        worker = _Worker(self._ctx)
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        worker.stop(kill=True)
        with self._lock:
            self._all.remove(worker)
        self._add()

    def extract(self, path: str | Path) -> dict:
        """Extract one document in a worker; raise ``ExtractionTimeout`` past the limit."""
        worker = self._idle.get()
        name = Path(path).name
        try:
            worker.conn.send(str(path))
            if not worker.conn.poll(self.timeout):
                self._retire(worker)
                worker = None
                raise ExtractionTimeout(
                    f"{name} took longer than {self.timeout:g} s to extract and was stopped: "
                    "check the file, or raise --timeout"
                )
            result = worker.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError) as exc:
            if worker is not None:
                self._retire(worker)
                worker = None
            raise UnreadablePDF(f"{name} crashed the extraction worker ({type(exc).__name__})") from exc
        finally:
            if worker is not None:
                self._idle.put(worker)
        return result

    def close(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


_SHARED: ExtractionPool | None = None
_SHARED_LOCK = threading.Lock()


@contextmanager
def run_pool(workers: int, timeout: float) -> Iterator[ExtractionPool]:
    """The process-wide pool for one run: tasks in this process share it."""
    global _SHARED
    with ExtractionPool(workers, timeout) as pool:
        with _SHARED_LOCK:
            _SHARED = pool
        try:
            yield pool
        finally:
            with _SHARED_LOCK:
                _SHARED = None


def shared_pool(timeout: float) -> ExtractionPool:
    """The run's pool, or (in a Dask worker, where there is none) one of this process's own."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ExtractionPool(workers=1, timeout=timeout).__enter__()
        return _SHARED
