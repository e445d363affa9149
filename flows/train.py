"""Train the classifier from a checkout: ``python flows/train.py [--data DIR] [--test FILE]...``.

The same as ``textmine train``. The flow itself is ``textmine.flows.train``,
installed with textmine; this file only starts it.
"""

from textmine.cli import train

if __name__ == "__main__":
    train(prog_name="flows/train.py")
