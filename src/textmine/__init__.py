"""textmine: text mining for safeguarding children peer review documents."""

__version__ = "0.1.0"
