"""The few domain errors textmine raises; each becomes one clear line at the boundary."""


class TextmineError(Exception):
    """Base class: a problem the user can act on, with a message that says how."""


class UnreadablePDF(TextmineError):
    """The file is not a PDF that can be parsed (empty, truncated, another format, corrupt)."""


class EncryptedPDF(TextmineError):
    """The PDF needs a user password to open."""


class NoTextLayer(TextmineError):
    """The PDF has pages but no extractable text (a scanned image)."""


class ExtractionTimeout(TextmineError):
    """Extracting a document took longer than the per-document time limit."""


class ModelNotFound(TextmineError):
    """No model folder at the given path, or it is not a textmine model."""


class IncompatibleModel(TextmineError):
    """The model folder was written by another textmine version or another tool."""


class BadInput(TextmineError):
    """An input file (manifest, JSON lines, corrections) is malformed."""


class UnreadableDocument(TextmineError):
    """A Word document or web page that cannot be read (corrupt, another format, unknown encoding)."""


class UnreadablePage(UserWarning):
    """A page without a text layer that OCR could not read; the rest of the document was read."""
