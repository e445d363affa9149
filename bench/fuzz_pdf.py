"""Fuzz the PDF reader: seeded byte mutations of the sample PDFs through the real extraction pool.

Each mutated file goes through ``textmine.parallel.ExtractionPool`` (worker
processes with the per-document time limit a run uses) and ends one of these ways:

- read: blocks came out;
- refused: one of textmine's errors, one line naming the file (a clean outcome);
- crash: the worker died (a native crash) or raised something that is not one of
  textmine's errors (which kills the worker and prints a traceback);
- hang: stopped at the time limit (``ExtractionTimeout``) twice: a file stopped
  once is tried again on its own when the others are done, so that a page OCR
  reads slowly on a busy machine is told apart from a parser that never returns
  (those read on the second try are counted as "slow");
- lost: neither blocks nor a one-line message naming the file, or "has no text
  layer" said of a file whose text poppler's ``pdftotext`` reads (a second reader
  as witness, when it is installed).

Mutations (one to three per file, chosen by the seed): flip bytes, overwrite a run
with random bytes, delete or duplicate a run, truncate, swap a PDF keyword or a
number for another (``obj``, ``endobj``, ``stream``, ``R``, ``/Length 0``, -1,
2147483648, a self reference). The run stops generating at ``--budget`` seconds.

Usage: python bench/fuzz_pdf.py [--count 1000] [--seed 0] [--timeout 10] [--workers 2] [--budget 900]
Prints the counts, the error types seen, and the files behind any crash, hang or loss.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from textmine.errors import ExtractionTimeout, TextmineError
from textmine.parallel import ExtractionPool

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_ERRORS = {cls.__name__ for cls in (TextmineError, *TextmineError.__subclasses__())}
TOKENS = [b"obj", b"endobj", b"stream", b"endstream", b" R", b"/Length 0", b"/Kids [", b"/Count 99999", b"xref",
          b"trailer", b"<<", b">>", b"[", b"]", b"(", b")", b"-1", b"2147483648", b"1 0 R", b"/Type /Pages", b"%%EOF"]
KEYWORD = re.compile(rb"obj|endobj|stream|endstream| R\b|/Length \d+|/Count \d+|/Kids|xref|trailer|\d+")


def mutate(data: bytes, rng: random.Random) -> bytes:
    """``data`` with one to three seeded mutations (see the module)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(6)
        at = rng.randrange(max(1, len(out)))
        span = rng.randint(1, 64)
        if kind == 0:
            for i in range(at, min(len(out), at + span)):
                if rng.random() < 0.3:
                    out[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            out[at:at + span] = bytes(rng.randrange(256) for _ in range(span))
        elif kind == 2:
            del out[at:at + span * 8]
        elif kind == 3:
            out[at:at] = out[at:at + span * 8]
        elif kind == 4:
            del out[rng.randrange(max(1, len(out) // 2), max(2, len(out))):]
        else:
            matches = list(KEYWORD.finditer(bytes(out)))
            if matches:
                m = rng.choice(matches)
                out[m.start():m.end()] = rng.choice(TOKENS)
    return bytes(out)


def outcome(result: dict | None, error: Exception | None, name: str) -> str:
    """read, refused, crash, hang or lost (see the module)."""
    if isinstance(error, ExtractionTimeout):
        return "hang"
    if error is not None:
        message, kind = str(error), type(error).__name__
    elif result.get("blocks"):
        return "read"
    else:
        message, kind = result.get("error", ""), result.get("error_type", "")
    if "crashed the extraction worker" in message or kind not in DOMAIN_ERRORS:
        return "crash"
    if not message.startswith(name) or "\n" in message:
        return "lost"
    return "refused"


def other_reader_finds_text(path: Path) -> bool | None:
    """Whether poppler's ``pdftotext`` reads any text from ``path`` (None without pdftotext)."""
    if shutil.which("pdftotext") is None:
        return None
    try:
        done = subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return False
    return bool(done.stdout.strip())


def hangs_again(pool: ExtractionPool, path: Path) -> bool:
    """Whether ``path``, extracted again on its own, is stopped at the time limit again."""
    try:
        pool.extract(path)
    except ExtractionTimeout:
        return True
    except TextmineError:
        return False
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one file may take (the pool's limit)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=float, default=900.0, help="stop starting new files after this many seconds")
    parser.add_argument("--samples", type=Path, default=ROOT / "corpus" / "sample")
    parser.add_argument("--keep", type=Path, default=None, help="keep the files behind crashes, hangs and losses here")
    args = parser.parse_args()
    seeds = sorted(args.samples.glob("*.pdf"))
    samples = [p.read_bytes() for p in seeds]
    rng = random.Random(args.seed)
    counts: Counter = Counter()
    errors: Counter = Counter()
    bad: list[tuple[str, str, str]] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="textmine-fuzz-") as tmp, \
            ExtractionPool(workers=args.workers, timeout=args.timeout) as pool:
        jobs = []
        for i in range(args.count):
            source = rng.randrange(len(samples))
            path = Path(tmp) / f"fuzz-{i:05d}-{seeds[source].stem}.pdf"
            path.write_bytes(mutate(samples[source], rng))
            jobs.append(path)

        def one(path: Path) -> tuple[Path, str, str]:
            if time.perf_counter() - start > args.budget:
                return path, "skipped", ""
            result, error = None, None
            try:
                result = pool.extract(path)
            except TextmineError as exc:
                error = exc
            kind = outcome(result, error, path.name)
            if kind == "refused" and (result or {}).get("error_type") == "NoTextLayer" and other_reader_finds_text(path):
                kind = "lost"
            detail = str(error) if error else (result or {}).get("error", "")
            if kind == "refused":
                errors[(result or {}).get("error_type") or type(error).__name__] += 1
            return path, kind, detail

        with ThreadPoolExecutor(args.workers) as threads:
            done = list(threads.map(one, jobs))
        for path, kind, detail in done:
            if kind == "hang" and not hangs_again(pool, path):  # alone: slow on a busy machine, not hung
                kind = "slow"
            counts[kind] += 1
            if kind in ("crash", "hang", "lost"):
                bad.append((path.name, kind, detail))
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / path.name).write_bytes(path.read_bytes())
    elapsed = time.perf_counter() - start
    tried = args.count - counts["skipped"]
    print(f"{tried} mutated PDFs (seed {args.seed}, from {len(samples)} sample PDFs) in {elapsed:.0f} s, "
          f"{args.workers} workers, {args.timeout:g} s limit each")
    print(f"  read {counts['read']}, refused with one line {counts['refused']}: "
          + ", ".join(f"{k} {v}" for k, v in errors.most_common()))
    print(f"  tracebacks/crashes {counts['crash']}, hangs past the limit {counts['hang']}, lost {counts['lost']}; "
          f"slow (stopped once, then done within the limit alone) {counts['slow']}"
          + (f"; {counts['skipped']} not tried (budget of {args.budget:g} s spent)" if counts["skipped"] else ""))
    for name, kind, detail in bad:
        print(f"  {kind}: {name}: {detail}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
