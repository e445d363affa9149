"""The label set of a passage: one check and one message wherever labels come in, and the indicator matrix."""

from __future__ import annotations

import re

import pytest

from textmine import taxonomy
from textmine.errors import BadInput
from textmine.explore import Filters
from textmine.labels import Labels, head_names, indicator_matrix, validate_example
from textmine.qdpx import passage_codes


@pytest.mark.parametrize(
    "record, message",
    [
        ({"themes": ["voice"]}, "unknown theme 'voice': use one of practice_and_service_delivery, "),
        ({"factors": ["timing"]}, "unknown factor 'timing': use one of team_composition, "),
        ({"stage": "impact"}, "unknown stage 'impact': use one of insight, action, outcome"),
        ({"recommendation": True, "audience": "dfe"}, "unknown audience 'dfe': use one of council, lga"),
        ({"stage": ["action"]}, "unknown stage ['action']"),
        ({"themes": "working_together"}, "themes must be a list of theme ids"),
        ({"recommendation": "yes"}, "recommendation must be true or false, not 'yes'"),
    ],
)
def test_a_bad_label_gets_the_same_message_from_every_door(record, message):
    expected = re.escape(message)
    with pytest.raises(BadInput, match="^" + expected):
        Labels.from_dict(record)
    with pytest.raises(BadInput, match="^train.jsonl: example 2: " + expected):
        validate_example({"text": "x", **record}, "train.jsonl: example 2: ")
    with pytest.raises(BadInput, match="^" + expected):
        Labels().updated(record)
    with pytest.raises(BadInput, match="^passage 'p1': " + expected):
        passage_codes({"id": "p1", **record})


def test_filters_check_their_labels_with_the_same_message():
    with pytest.raises(BadInput, match="^unknown theme 'voice': use one of practice_and_service_delivery"):
        Filters(theme="voice")
    assert Filters(stage="action").stage == "action"


def test_labels_are_normalised_once():
    labels = Labels.from_dict({"themes": ["working_together", "voice_of_the_child", "working_together"], "stage": "",
                               "recommendation": False, "audience": "lga", "text": "ignored"})
    assert labels.themes == ("voice_of_the_child", "working_together")
    assert labels.stage is None and labels.audience is None, "no stage, and no audience without a recommendation"
    assert Labels.from_dict({"themes": None, "recommendation": None}) == Labels()


def test_a_partial_update_keeps_the_other_fields_and_refuses_unknown_ones():
    labels = Labels(themes=["working_together"], stage="action")
    assert labels.updated({"stage": "outcome"}) == Labels(themes=["working_together"], stage="outcome")
    assert labels.updated({"recommendation": True, "audience": "lga"}).audience == "lga"
    with pytest.raises(BadInput, match="unknown field\\(s\\) colour: a correction may set themes, factors"):
        labels.updated({"colour": "red"})
    with pytest.raises(BadInput, match="at least one of"):
        labels.updated({})


def test_the_indicator_matrix_has_one_column_per_head_in_head_order():
    records = [
        Labels(themes=["working_together"], factors=["monitoring"], stage="action").to_dict(),
        Labels(recommendation=True, audience="lga").to_dict(),
        Labels(recommendation=True).to_dict(),
        Labels().to_dict(),
    ]
    matrix = indicator_matrix(records)
    assert matrix.shape == (4, len(head_names())) == (4, len(taxonomy.THEMES) + len(taxonomy.FACTORS) + 3 + 2)
    carried = [{head for head, on in zip(head_names(), row) if on} for row in matrix]
    assert carried == [{"working_together", "monitoring", "action"}, {"recommendation", "audience_lga"}, {"recommendation"}, set()]
