"""The extractor's tolerances, named in one place.

Distances are in PDF points (1/72 inch) unless a name says otherwise. The
functions that use a tolerance take it as a keyword argument defaulting to the
value here (the way pdfplumber's table finder does), so a caller or a test can
vary one without editing the code.
"""

# Reading words
DEFAULT_CHAR_GAP = 3.0  # a wider gap between two characters, or a baseline shift as large, starts a new word
DEFAULT_SIZE_CHANGE = 0.25  # a character this much smaller or larger (share of the word's size) starts a new word
DEFAULT_RULE_THICKNESS = 2.0  # a filled rectangle thinner than this is a rule, not a shaded area

# Running headers and footers
DEFAULT_MARGIN_BAND = 0.1  # share of the page height at the top and at the foot where running lines sit
DEFAULT_RUNNING_SHARE = 1 / 3  # a margin line recurring on this share of the pages of one parity is running

# Tables
DEFAULT_RULE_MIN_LENGTH = 40.0  # shorter horizontal rules are not table rules
DEFAULT_RULE_SNAP = 4.0  # rules whose ends agree within this belong to one table
DEFAULT_RULE_MERGE = 2.0  # rules closer together than this are one rule
DEFAULT_SEGMENT_JOIN = 2.0  # a rule that starts within this of another's end continues it
DEFAULT_MAX_BAND = 0.85  # share of the page height: rules further apart do not bound one band of a table
DEFAULT_COLUMN_GAP = 4.0  # a gap at least this wide down through every row separates two table columns

# Boxes and footnotes
DEFAULT_BOX_MIN_SIZE = 12.0  # a shaded area smaller than this either way holds no text
DEFAULT_BOX_CLEARANCE = 0.3  # share of the type size kept clear above and below a pull quote's rules
DEFAULT_BOX_MAX_HEIGHT = 0.4  # share of the page height a pull quote between two rules may take
DEFAULT_MARKER_SIZE = 0.85  # a footnote marker is set at most this share of the size of the word it follows

# Lines and columns
DEFAULT_GUTTER_MIN_LINES = 3  # lines needed on each side of a gutter before a page counts as two columns
DEFAULT_PARAGRAPH_GAP = 1.35  # a line further below the previous than this many line pitches starts a paragraph
