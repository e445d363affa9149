"""Passages per second of the shipped classifier on one core (predicting, not training), with their context.

Usage: python bench/classify_speed.py [--passages 20000] [--model PATH]
Passages come from the training and held-out files, repeated to the requested count.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from textmine.classify import load_examples, load_model  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=20000)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    examples = load_examples([ROOT / "corpus" / "training", ROOT / "corpus" / "test" / "heldout.jsonl"])
    reps = -(-args.passages // len(examples))
    passages = (examples * reps)[: args.passages]  # text and context, as a run passes them
    model = load_model(args.model)
    model.predict(passages[:100])  # warm up
    start = time.perf_counter()
    model.predict(passages)
    elapsed = time.perf_counter() - start
    texts = [p["text"] for p in passages]
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts)} passages (mean {words:.0f} words) in {elapsed:.2f} s: {len(texts) / elapsed:,.0f} passages/s on one core")


if __name__ == "__main__":
    main()
