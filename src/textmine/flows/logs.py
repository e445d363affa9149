"""What Prefect logs about a run: a domain error in one line, the traceback in the run's own log file.

Prefect logs a failed task or flow run with its full traceback, also when the
failure is one of textmine's own errors (``TextmineError``), whose message already
says what is wrong and what to do. ``keep_run_log`` puts a filter on Prefect's run
loggers (``prefect.flow_runs`` and ``prefect.task_runs``, whose records carry the
flow run's id):

- every record about the flow run (warnings and errors, at textmine's default
  Prefect log level) is written whole, traceback included, to the run's log file
  (``OUT/.textmine/logs/<run_id>.log``, see ``textmine.store.log_path``);
- a record whose exception is a domain error then goes on to the console and to
  the Prefect server as one line that names the log file;
- any other exception (a bug) keeps its traceback everywhere.

This is Prefect's own logging configuration at work (a filter on its loggers),
not a handler around the flow: the flow's and the tasks' failure states are
unchanged.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import TextmineError

RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
LOG_FORMAT = logging.Formatter("%(asctime)s | %(levelname)-7s | %(name)s | %(message)s")


class RunLog(logging.Filter):
    """Write each record of a known flow run to its log file; shorten domain errors to one line."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, Path] = {}  # flow run id -> the run's log file

    def filter(self, record: logging.LogRecord) -> bool:
        path = self.files.get(str(getattr(record, "flow_run_id", None)))
        if path is None:
            return True
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(LOG_FORMAT.format(record) + "\n")
        if record.exc_info and isinstance(record.exc_info[1], TextmineError):
            record.msg, record.args = f"{record.getMessage()} (traceback in {path})", ()
            record.exc_info, record.exc_text = None, None
        return True


_RUN_LOG = RunLog()


def keep_run_log(flow_run_id: str, path: Path) -> None:
    """From now on, keep what Prefect logs about flow run ``flow_run_id`` in ``path`` (see the module)."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if _RUN_LOG not in logger.filters:
            logger.addFilter(_RUN_LOG)
    _RUN_LOG.files[str(flow_run_id)] = Path(path)
