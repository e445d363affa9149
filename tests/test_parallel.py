"""Extraction workers: per-document time limit, crash isolation, reuse after a kill."""

from __future__ import annotations

import pytest

from textmine.errors import ExtractionTimeout
from textmine.parallel import ExtractionPool


def test_a_document_past_its_time_limit_is_stopped_and_the_pool_goes_on(fixtures):
    with ExtractionPool(workers=1, timeout=0.05) as pool:
        with pytest.raises(ExtractionTimeout, match=r"long_table-formal.pdf took longer than 0.05 s"):
            pool.extract(fixtures["long_table-formal"])
        pool.timeout = 60
        result = pool.extract(fixtures["good"])  # a fresh worker took the killed one's place
    assert result["pages"] == 1 and result["blocks"][0]["text"].startswith("A short page")


def test_bad_files_come_back_as_errors_not_exceptions(fixtures):
    with ExtractionPool(workers=2, timeout=60) as pool:
        bad = pool.extract(fixtures["random_bytes"])
        good = pool.extract(fixtures["features-plain"])
    assert bad["error_type"] == "UnreadablePDF" and "random_bytes.pdf" in bad["error"]
    assert good["pages"] >= 2 and any(b["kind"] == "table_cell" for b in good["blocks"])
