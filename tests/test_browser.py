"""End to end in a real headless browser (Debian's chromium driven by Playwright).

Filters the passages, opens one in context, corrects its labels and downloads an
export; a page from another site tries to write a correction and a rebound DNS
name tries to read the browser, and both are refused. Set TEXTMINE_SCREENSHOTS=DIR
to keep screenshots of the main pages.
"""

from __future__ import annotations

import functools
import http.server
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


EVIL = "evil.example"


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
    config = uvicorn.Config(create_app(tmp_path, port=port), host="127.0.0.1", port=port, log_level="warning")
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
                  "--disable-sync", "--no-first-run", "--disable-quic",
                  f"--host-resolver-rules=MAP {EVIL} 127.0.0.1"],  # a name of the attacker's that resolves here
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


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture
def other_site(tmp_path):
    """A second local web server, on another port, that serves files from a folder."""
    folder = tmp_path / "other-site"
    folder.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, httpd.server_address[1]
    httpd.shutdown()
    thread.join(timeout=5)


@pytest.mark.parametrize("attacker", ["127.0.0.1", EVIL])
def test_a_page_from_another_site_cannot_write_a_correction(server, other_site, page, attacker):
    base, out = server
    folder, other_port = other_site
    page.goto(base + "/passage/p2")  # the researcher has the browser open: the session cookie is set
    assert page.inner_text("#current") == "The LSCB agreed a new escalation protocol."
    (folder / "attack.html").write_text(
        f"""<!doctype html><body onload="document.forms[0].submit()">
        <form method="post" action="{base}/passage/p2/labels">
        <input name="themes" value="capacity_and_resources"><input name="stage" value="outcome">
        <input name="recommendation" value="false"></form></body>""",
        encoding="utf-8",
    )
    with page.expect_response(lambda r: r.url == f"{base}/passage/p2/labels") as posted:
        page.goto(f"http://{attacker}:{other_port}/attack.html")
    assert posted.value.request.method == "POST"
    assert posted.value.status == 403
    assert "not from another site" in page.inner_text("#error")
    assert latest_corrections(out / "corrections.sqlite") == {}


def test_a_rebound_dns_name_cannot_read_the_browser(server, page):
    base, _ = server
    port = base.rsplit(":", 1)[1]
    response = page.goto(f"http://{EVIL}:{port}/api/passages")  # the name resolves to 127.0.0.1 (DNS rebinding)
    assert response.status == 421
    assert "does not answer to the name" in page.inner_text("body") and "Ashcombe" not in page.inner_text("body")


def test_the_audit_page_is_blind_until_answered(server, page, tmp_path):
    from textmine.audit import draw_sample, load_audit

    base, out = server
    sample, _ = draw_sample(out, [p["id"] for p in PASSAGES], 3, seed=2)
    page.goto(base + "/audit")
    assert page.inner_text("#progress") == "0 of 3 done"
    first = next(p for p in PASSAGES if p["id"] == sample.ids[0])
    assert page.inner_text("#current") == first["text"]
    assert page.locator("#model-labels").count() == 0, "the model's labels stay hidden until answered"
    assert not page.is_checked("input[name=themes][value=working_together]")  # nothing ticked for the researcher
    page.check("input[name=themes][value=capacity_and_resources]")
    page.check("input[name=stage][value=insight]")
    shoot(page, "audit", tmp_path)
    page.click("#answer")
    page.wait_for_selector("#answered")
    assert page.inner_text("#progress") == "1 of 3 done"
    assert "capacity_and_resources" in page.inner_text("#your-labels")
    model = page.inner_text("#model-labels")
    assert all(t in model for t in first["themes"]) and (first["themes"] or "no labels" in model)
    assert page.inner_text("#current") == next(p for p in PASSAGES if p["id"] == sample.ids[1])["text"]
    answers = load_audit(out, [p["id"] for p in PASSAGES]).answers
    assert answers == {sample.ids[0]: {"themes": ["capacity_and_resources"], "factors": [], "stage": "insight",
                                       "recommendation": False, "audience": None}}
