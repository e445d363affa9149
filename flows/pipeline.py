"""Run the textmine pipeline from a checkout: ``python flows/pipeline.py CORPUS OUT [--model PATH]``.

The same as ``textmine run CORPUS --out OUT``. The flow itself is
``textmine.flows.pipeline``, installed with textmine; this file only starts it.
"""

import argparse

from textmine.cli import console

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("out")
    parser.add_argument("--model")
    args = parser.parse_args()
    console(["run", args.corpus, "--out", args.out, *(["--model", args.model] if args.model else [])])
