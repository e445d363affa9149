"""End to end in a real headless browser (Debian's chromium driven by Playwright).

Filters the passages, opens one in context, corrects its labels and downloads an
export. Set TEXTMINE_SCREENSHOTS=DIR to keep screenshots of the main pages.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from textmine import store
from textmine.corrections import latest_corrections
from textmine.run import publish_outputs

from test_web import PASSAGES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium for the browser test: apt-get install chromium")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    import uvicorn

    from textmine.web import create_app

    publish_outputs(tmp_path, PASSAGES, [], record={"run_id": store.new_run_id()})
    port = free_port()
    config = uvicorn.Config(create_app(tmp_path), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp_path
    srv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


def shoot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("TEXTMINE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
    assert (folder / f"{name}.png").stat().st_size > 5000


def test_filter_open_in_context_correct_and_export(server, page, tmp_path):
    base, out = server
    page.goto(base + "/")
    assert "6</strong> of 6 passages" in page.inner_html("#count")
    page.select_option("select[name=theme]", "working_together")
    page.click("#apply")
    page.wait_for_url("**theme=working_together**")
    assert "2</strong> of 6 passages" in page.inner_html("#count")
    shoot(page, "passages", tmp_path)

    page.click("text=The LSCB agreed a new escalation protocol.")
    page.wait_for_url("**/passage/p2")
    assert page.inner_text("#current") == "The LSCB agreed a new escalation protocol."
    assert "Health partners now attend" in page.inner_text(".context")  # the passage before it
    page.check("input[name=themes][value=vision_strategy_leadership]")
    page.check("input[name=stage][value=outcome]")
    shoot(page, "passage", tmp_path)
    page.click("#save")
    page.wait_for_selector("#saved")
    saved = latest_corrections(out / "corrections.sqlite")["p2"]["labels"]
    assert saved["themes"] == ["vision_strategy_leadership", "working_together"] and saved["stage"] == "outcome"
    assert page.is_checked("input[name=stage][value=outcome]")

    page.goto(base + "/?council=Ashcombe")
    with page.expect_download() as info:
        page.click("#export-csv")
    path = info.value.path()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,file,council") and len(lines) == 5

    page.goto(base + "/queue")
    assert page.locator("tr.passage-row").count() == 5  # the corrected passage left the queue
    shoot(page, "queue", tmp_path)
