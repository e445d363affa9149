"""Read every document format of a corpus into blocks: PDF, Word and web pages."""
