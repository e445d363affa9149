"""Screenshots of the passage browser and the report over a run's outputs, for the README.

Usage: python docs/make_screenshots.py [OUT] [--to docs/screenshots]
Needs Debian's chromium (apt-get install chromium) and the test extras (playwright).
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from textmine.explore import load_run
from textmine.web import create_app

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("outputs/sample"))
    parser.add_argument("--to", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    args.to.mkdir(parents=True, exist_ok=True)
    view = load_run(args.out)
    sample = view.passages[view.passages["themes"].map(lambda t: "voice_of_the_child" in t) & (view.passages["timepoint"] == "12m")]
    passage_id = sample.iloc[0]["id"] if len(sample) else view.passages.iloc[0]["id"]
    server = uvicorn.Server(uvicorn.Config(create_app(args.out, port=args.port), host="127.0.0.1", port=args.port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{args.port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 850})
        shots = {
            "browser-passages.png": f"{base}/?theme=voice_of_the_child&timepoint=12m",
            "browser-passage.png": f"{base}/passage/{passage_id}",
            "browser-queue.png": f"{base}/queue",
            "report.png": (args.out / "report.html").resolve().as_uri(),
        }
        for name, url in shots.items():
            page.goto(url)
            page.screenshot(path=str(args.to / name))
            print(args.to / name)
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
