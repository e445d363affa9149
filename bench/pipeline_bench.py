"""Time textmine against raw pdfplumber on a corpus of N realistic documents.

Builds (once, cached under bench/.corpus-N/) N report-length PDFs by typesetting
3-5 of the sample sources together in one of the three house styles, then prints,
all measured in one run on this machine:

- baseline: pdfplumber ``extract_text()`` over every page, one process;
- fixed start-up: ``textmine run`` over an empty corpus (Prefect's start-up included);
- first run, unchanged re-run, and re-run after changing 10% of the files: the whole
  ``textmine run`` command's wall time;
- pages/s and passages/s of the first run, and the peak memory of the whole process
  tree (sampled from /proc every 0.1 s).

With ``--start-up`` it measures instead what an analyst waits for on a corpus of
30 documents after the first run: an unchanged re-run, and a run after adding one
new document, with no Prefect server running (textmine starts a temporary one)
and with a ``prefect server start`` running (found at its address, or named by
``PREFECT_API_URL``), which the bench starts and stops.

Usage: python bench/pipeline_bench.py [-n 100] [--workers 0] [--start-up]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "corpus" / "sources"


def build_corpus(folder: Path, n: int, seed: int = 1) -> Path:
    from textmine.typeset import STYLES, Source, parse_source, render_pdf

    if folder.exists() and len(list(folder.glob("*.pdf"))) == n:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sources = [parse_source(p.read_text(encoding="utf-8")) for p in sorted(SOURCES.glob("*.txt"))]
    rng = random.Random(seed)
    rows = ["file,council,date,timepoint,doc_type"]
    for i in range(n):
        parts = rng.sample(sources, rng.randint(3, 5))
        meta = dict(parts[0].meta)
        elements = [e for part in parts for e in part.elements]
        name = f"doc{i:04d}.pdf"
        render_pdf(Source(meta, elements), folder / name, STYLES[i % len(STYLES)])
        rows.append(f"{name},{meta.get('council', '')},{meta.get('date', '')},{meta.get('timepoint', '')},{meta.get('doc_type', '')}")
        print(f"\rbuilding corpus {i + 1}/{n}", end="", file=sys.stderr)
    print(file=sys.stderr)
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    return folder


def baseline(folder: Path) -> tuple[float, int]:
    import pdfplumber

    start, pages = time.perf_counter(), 0
    for pdf_path in sorted(folder.glob("*.pdf")):
        with pdfplumber.open(pdf_path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.close()
                pages += 1
    return time.perf_counter() - start, pages


def _tree_rss(root: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
        stack += children.get(pid, [])
    return total


def timed_run(corpus: Path, out: Path, workers: int, env: dict | None = None) -> tuple[float, int, dict]:
    cmd = [str(Path(sys.executable).with_name("textmine")), "run", str(corpus), "--out", str(out), "--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"textmine run failed:\n{stderr}")
    record = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])
    return elapsed, peak, record


def touch(corpus: Path, share: float, seed: int = 2) -> int:
    """Change ``share`` of the files (append a comment after %%EOF: a new hash, same pages)."""
    files = sorted(corpus.glob("*.pdf"))
    chosen = random.Random(seed).sample(files, max(1, int(len(files) * share)))
    for path in chosen:
        with open(path, "ab") as fh:
            fh.write(f"\n% touched {time.time()}\n".encode())
    return len(chosen)


def write_manifest(corpus: Path, master: Path) -> None:
    """The master corpus's manifest rows for the PDFs now in ``corpus``."""
    header, *rows = (master / "manifest.csv").read_text().splitlines()
    present = {p.name for p in corpus.glob("*.pdf")}
    (corpus / "manifest.csv").write_text("\n".join([header, *(r for r in rows if r.split(",")[0] in present)]) + "\n")


def add_document(corpus: Path, master: Path, name: str) -> None:
    shutil.copy(master / name, corpus / name)
    write_manifest(corpus, master)


def start_prefect_server(env: dict) -> tuple[subprocess.Popen, int]:
    """``prefect server start`` on a free port; returns the process and its port once it answers."""
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    prefect = str(Path(sys.executable).with_name("prefect"))
    proc = subprocess.Popen([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=1) as response:
                if response.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("prefect server start did not answer within 120 s")


def start_up(args) -> None:
    """The waits of an analyst on a corpus of 30 documents: unchanged, and one new document."""
    n = 30
    master = build_corpus(ROOT / "bench" / f".corpus-{n + 3}", n + 3)
    names = sorted(p.name for p in master.glob("*.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        corpus, out = Path(tmp) / "corpus", Path(tmp) / "out"
        corpus.mkdir()
        for name in names[:n]:
            shutil.copy(master / name, corpus / name)
        write_manifest(corpus, master)
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env["PREFECT_HOME"] = str(Path(tmp) / "prefect-home")  # a fresh Prefect database, as on a new machine
        rows = [("load average (1, 5, 15 min) at the start", ", ".join(f"{x:.1f}" for x in os.getloadavg()))]

        def measure(what: str, run_env: dict) -> None:
            wall, _, record = timed_run(corpus, out, args.workers, run_env)
            rows.append((what, f"{wall:.1f} s wall (reported {record['seconds']:.1f} s; {record['status']}, "
                               f"{record['extracted']} extracted, {record['classified']} classified)"))

        measure(f"first run, {n} documents, no server", env)
        measure("unchanged re-run, no server", env)
        add_document(corpus, master, names[n])
        measure("one new document, no server (temporary server)", env)
        server, port = start_prefect_server(env)
        found = {**env, "PREFECT_SERVER_API_PORT": str(port)}  # where textmine looks for a running server
        try:
            measure("unchanged re-run, server running", found)
            add_document(corpus, master, names[n + 1])
            measure("one new document, server running (found at its port)", found)
            add_document(corpus, master, names[n + 2])
            measure("one new document, server named by PREFECT_API_URL", {**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"})
        finally:
            server.terminate()
            server.wait(timeout=30)
    rows.append(("load average (1, 5, 15 min) at the end", ", ".join(f"{x:.1f}" for x in os.getloadavg())
                 + f" on {os.cpu_count()} cores: other work on the machine slows every figure"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="documents in the corpus")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--first-only", action="store_true",
                        help="only the first run (time and peak memory), e.g. for -n 1000")
    parser.add_argument("--start-up", action="store_true",
                        help="the waits after a first run on 30 documents: unchanged, one new document, with and without a server")
    args = parser.parse_args()
    if args.start_up:
        start_up(args)
        return
    master = build_corpus(ROOT / "bench" / f".corpus-{args.n}", args.n)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(master, corpus)
        empty = Path(tmp) / "empty"
        empty.mkdir()
        out = Path(tmp) / "out"
        if args.first_only:
            first_s, first_peak, first = timed_run(corpus, out, args.workers)
            print(f"documents {args.n}, pages {first['pages']}, passages {first['passages']}: first run {first_s:.1f} s, "
                  f"peak memory of the process tree {first_peak / 2**20:.0f} MB")
            return
        base_s, pages = baseline(corpus)
        startup_s, _, _ = timed_run(empty, Path(tmp) / "out-empty", args.workers)
        first_s, first_peak, first = timed_run(corpus, out, args.workers)
        again_s, again_peak, _ = timed_run(corpus, out, args.workers)
        touched = touch(corpus, 0.10)
        touched_s, touched_peak, touched_rec = timed_run(corpus, out, args.workers)
    rows = [
        ("documents", f"{args.n}"),
        ("pages", f"{pages}"),
        ("baseline: pdfplumber extract_text, 1 process", f"{base_s:.1f} s ({pages / base_s:.1f} pages/s)"),
        ("textmine fixed start-up (empty corpus)", f"{startup_s:.1f} s"),
        ("textmine first run (whole command)", f"{first_s:.1f} s = {first_s / base_s:.2f} x baseline"),
        ("  pages/s, passages/s", f"{pages / first_s:.1f}, {first['passages'] / first_s:.0f} ({first['passages']} passages)"),
        ("textmine unchanged re-run", f"{again_s:.1f} s; minus start-up {max(again_s - startup_s, 0):.1f} s = "
                                      f"{max(again_s - startup_s, 0) / max(first_s - startup_s, 1e-9):.1%} of the first run's"),
        (f"textmine re-run after changing {touched} files (10%)", f"{touched_s:.1f} s ({touched_rec['extracted']} extracted)"),
        ("peak memory (process tree): first, re-run, touched", f"{first_peak / 2**20:.0f} MB, {again_peak / 2**20:.0f} MB, {touched_peak / 2**20:.0f} MB"),
        ("cores", f"{os.cpu_count()}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:{width}}  {value}")


if __name__ == "__main__":
    main()
