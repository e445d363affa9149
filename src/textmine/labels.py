"""The schema of a passage: its label set, the classifier's heads and the columns of passages.parquet.

A passage carries five label fields (``LABEL_FIELDS``): its impact themes and
influencing factors (taxonomy ids, possibly none), its stage on the impact
journey (one id or None), whether it is a recommendation and, for a
recommendation, its audience (``council``, ``lga``, or None when unknown).

``Labels`` holds one passage's label set, checked once when it is made: the same
check, and the same message, for training files, corrections, filters and
exports. ``indicator_matrix`` turns label sets into one boolean column per head
of the classifier (``head_names``), for training targets and for counting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import chain
from typing import Iterable, Mapping, Sequence

import numpy as np
import pyarrow as pa

from . import taxonomy
from .errors import BadInput

LABEL_FIELDS = ("themes", "factors", "stage", "recommendation", "audience")
RECOMMENDATION = "recommendation"
AUDIENCE_LGA = "audience_lga"
# The labels each axis may take; stage and audience may also be None.
CHOICES: dict[str, Sequence[str]] = {**taxonomy.AXES, "audience": taxonomy.AUDIENCES}
# The axis of every head: a taxonomy axis, "recommendation" or "audience".
HEAD_AXES: dict[str, str] = {
    **{label: axis for axis, labels in taxonomy.AXES.items() for label in labels},
    RECOMMENDATION: "recommendation",
    AUDIENCE_LGA: "audience",
}
LIST_SEPARATOR = ";"

# One row per passage in passages.parquet. ``scores`` holds a probability per head.
PASSAGE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("file", pa.string()),
        ("council", pa.string()),
        ("date", pa.string()),
        ("timepoint", pa.string()),
        ("doc_type", pa.string()),
        ("page", pa.int32()),
        ("section", pa.string()),
        ("kind", pa.string()),
        ("text", pa.string()),
        ("lead_in", pa.string()),
        ("table", pa.int32()),
        ("row", pa.int32()),
        ("col", pa.int32()),
        ("row_header", pa.string()),
        ("col_header", pa.string()),
        ("boxed", pa.bool_()),
        ("ocr", pa.bool_()),
        ("ocr_confidence", pa.float64()),
        ("themes", pa.list_(pa.string())),
        ("factors", pa.list_(pa.string())),
        ("stage", pa.string()),
        ("recommendation", pa.bool_()),
        ("audience", pa.string()),
        ("scores", pa.map_(pa.string(), pa.float64())),
        ("label_source", pa.string()),
        # The classifier's own labels, kept when a correction replaces them: what accuracy and
        # the corrected prevalence measure (see ``model_labels``).
        ("model_labels", pa.struct([
            ("themes", pa.list_(pa.string())),
            ("factors", pa.list_(pa.string())),
            ("stage", pa.string()),
            ("recommendation", pa.bool_()),
            ("audience", pa.string()),
        ])),
    ]
)
PASSAGE_COLUMNS = PASSAGE_SCHEMA.names


def head_names() -> list[str]:
    """Every binary head of the classifier, in a fixed order: the order of a row of scores.

    >>> head_names()[-3:]
    ['outcome', 'recommendation', 'audience_lga']
    """
    return [*taxonomy.THEMES, *taxonomy.FACTORS, *taxonomy.STAGES, RECOMMENDATION, AUDIENCE_LGA]


def check_label(axis: str, value: str) -> str:
    """``value`` if it is a label of ``axis`` (theme, factor, stage or audience); else ``BadInput``.

    >>> check_label("stage", "impact")
    Traceback (most recent call last):
    ...
    textmine.errors.BadInput: unknown stage 'impact': use one of insight, action, outcome
    """
    if not isinstance(value, str) or value not in CHOICES[axis]:
        raise BadInput(f"unknown {axis} {value!r}: use one of {', '.join(CHOICES[axis])}")
    return value


def _label_list(axis: str, values) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise BadInput(f"{axis}s must be a list of {axis} ids, not {values!r}")
    return tuple(sorted({check_label(axis, v) for v in values}))


@dataclass(frozen=True)
class Labels:
    """The label set of one passage, checked and normalised when it is made.

    Themes and factors become sorted tuples without repeats; an empty stage or
    audience is None; a passage that is not a recommendation has no audience.
    An unknown label raises ``BadInput`` naming it and the labels allowed.

    >>> Labels(themes=["working_together", "voice_of_the_child"], audience="lga").to_dict()
    {'themes': ['voice_of_the_child', 'working_together'], 'factors': [], 'stage': None, 'recommendation': False, 'audience': None}
    """

    themes: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    stage: str | None = None
    recommendation: bool = False
    audience: str | None = None

    def __post_init__(self) -> None:
        set_field = object.__setattr__  # frozen: normalise once, here
        set_field(self, "themes", _label_list("theme", self.themes))
        set_field(self, "factors", _label_list("factor", self.factors))
        set_field(self, "stage", check_label("stage", self.stage) if self.stage else None)
        if not isinstance(self.recommendation, (bool, np.bool_)):
            raise BadInput(f"recommendation must be true or false, not {self.recommendation!r}")
        set_field(self, "recommendation", bool(self.recommendation))
        audience = check_label("audience", self.audience) if self.audience is not None else None
        set_field(self, "audience", audience if self.recommendation else None)

    @classmethod
    def from_dict(cls, record: Mapping, where: str = "") -> "Labels":
        """The label fields of ``record`` (a passage, an example, a correction); missing or null ones empty.

        ``where`` starts the message of any error (``"train.jsonl: example 3: "``).

        >>> Labels.from_dict({"text": "x", "themes": ["voice"]}, "a.jsonl: example 1: ")
        Traceback (most recent call last):
        ...
        textmine.errors.BadInput: a.jsonl: example 1: unknown theme 'voice': use one of practice_and_service_delivery, capacity_and_resources, working_together, voice_of_the_child, performance_management, vision_strategy_leadership
        """
        try:
            return cls(**{name: record[name] for name in LABEL_FIELDS if record.get(name) is not None})
        except BadInput as exc:
            raise BadInput(f"{where}{exc}") from None

    def updated(self, changes: Mapping) -> "Labels":
        """These labels with ``changes`` (any of the label fields, at least one) applied, checked.

        >>> Labels(stage="action").updated({"stage": None, "recommendation": True}).to_dict()["recommendation"]
        True
        """
        if not isinstance(changes, Mapping) or not changes:
            raise BadInput("a correction must be an object with at least one of: " + ", ".join(LABEL_FIELDS))
        unknown = sorted(set(changes) - set(LABEL_FIELDS))
        if unknown:
            raise BadInput(f"unknown field(s) {', '.join(unknown)}: a correction may set {', '.join(LABEL_FIELDS)}")
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """The label fields as plain data (lists for themes and factors), as passages carry them."""
        return {"themes": list(self.themes), "factors": list(self.factors), "stage": self.stage,
                "recommendation": self.recommendation, "audience": self.audience}


def validate_example(record: Mapping, where: str = "") -> dict:
    """One labelled example (the training-file format) checked: its text, section and label set.

    >>> validate_example({"text": "Caseloads are high.", "themes": ["capacity_and_resources"]})["section"]
    ''
    """
    return {"text": record["text"], "section": record.get("section") or "", **Labels.from_dict(record, where).to_dict()}


def indicator_matrix(records: Sequence[Mapping]) -> np.ndarray:
    """One boolean column per head (``head_names``), one row per label set: does it carry the head.

    ``records`` carry the label fields (passages, examples, ``Labels.to_dict()``);
    ``audience_lga`` is set for an audience of ``lga``.

    >>> m = indicator_matrix([{"themes": ["working_together"], "stage": "action"}, {"recommendation": True, "audience": "lga"}])
    >>> [[head_names()[j] for j in row.nonzero()[0]] for row in m]
    [['working_together', 'action'], ['recommendation', 'audience_lga']]
    """
    index = {name: j for j, name in enumerate(head_names())}
    matrix = np.zeros((len(records), len(index)), dtype=bool)
    for i, record in enumerate(records):
        stage = record.get("stage")
        for label in chain(record.get("themes") or (), record.get("factors") or (), [stage] if stage else ()):
            matrix[i, index[label]] = True
        matrix[i, index[RECOMMENDATION]] = bool(record.get("recommendation"))
        matrix[i, index[AUDIENCE_LGA]] = record.get("audience") == "lga"
    return matrix


def label_fields(record: Mapping) -> dict:
    """The five label fields of a passage, example or correction, as plain data (lists for themes and factors).

    >>> label_fields({"id": "p1", "themes": ("working_together",), "stage": "action"})
    {'themes': ['working_together'], 'factors': [], 'stage': 'action', 'recommendation': False, 'audience': None}
    """
    return {"themes": list(record.get("themes") or ()), "factors": list(record.get("factors") or ()),
            "stage": record.get("stage") or None, "recommendation": bool(record.get("recommendation")),
            "audience": record.get("audience") or None}


def model_labels(passage: Mapping) -> dict:
    """The classifier's own label set of a passage: kept aside when a correction replaced it, else its labels.

    Accuracy and the corrected prevalence compare these with the audit, never the
    corrected labels (which would make the model look right wherever a researcher
    had put it right).

    >>> model_labels({"themes": ["voice_of_the_child"], "label_source": "human",
    ...               "model_labels": {"themes": ["working_together"]}})["themes"]
    ['working_together']
    """
    kept = passage.get("model_labels")
    return label_fields(kept if isinstance(kept, Mapping) else passage)


def join_labels(values: Iterable[str] | None) -> str:
    """A list of labels as one cell of a CSV or spreadsheet.

    >>> join_labels(["voice_of_the_child", "working_together"])
    'voice_of_the_child;working_together'
    """
    return LIST_SEPARATOR.join(values if values is not None else ())
