"""The passage browser through FastAPI's test client: every endpoint and bad request."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from textmine import store
from textmine.corrections import latest_corrections
from textmine.run import publish_outputs
from textmine.web import create_app, parse_tokens
from textmine.errors import BadInput
from textmine.labels import PASSAGE_COLUMNS, head_names


def passage(i, file, council, timepoint, text, themes=(), factors=(), stage=None, rec=False, audience=None, certainty=0.9):
    """A passage whose every score is ``certainty`` / 2 away from 0.5: above it for working_together when it has that theme."""
    scores = [0.5 + certainty / 2 if head == "working_together" and head in themes else 0.5 - certainty / 2 for head in head_names()]
    return {"id": f"p{i}", "file": file, "council": council, "date": "2014-06-01" if timepoint else None,
            "timepoint": timepoint, "doc_type": "follow_up", "page": 1 + i // 3, "section": "Findings", "kind": "paragraph",
            "text": text, "themes": list(themes), "factors": list(factors), "stage": stage, "recommendation": rec,
            "audience": audience, "scores": scores, "label_source": "model"}


PASSAGES = [
    passage(0, "a.pdf", "Ashcombe", "3-6m", "Health partners now attend strategy meetings.", ["working_together"], stage="outcome"),
    passage(1, "a.pdf", "Ashcombe", "3-6m", "Caseloads remain above thirty in the north team.", certainty=0.1),
    passage(2, "a.pdf", "Ashcombe", "3-6m", "The LSCB agreed a new escalation protocol.", ["working_together"], stage="action"),
    passage(3, "a.pdf", "Ashcombe", "3-6m", "Children told us they want to be asked first.", ["voice_of_the_child"]),
    passage(4, "b.pdf", "Brindlecote", "12m", "The council should publish its participation strategy.", ["voice_of_the_child"], rec=True, audience="council"),
    passage(5, "b.pdf", "Brindlecote", "12m", "Café culture – “quotes” and accents survive export.", certainty=0.3),
]


@pytest.fixture
def out(tmp_path):
    publish_outputs(tmp_path, PASSAGES, [], record={"run_id": store.new_run_id()})
    return tmp_path


@pytest.fixture
def client(out):
    return TestClient(create_app(out))


def test_the_passage_page_lists_and_counts_filtered_passages(client):
    page = client.get("/", params={"theme": "working_together"})
    assert page.status_code == 200
    assert "<strong>2</strong> of 6 passages match" in page.text
    assert "Caseloads remain" not in page.text


@pytest.mark.parametrize(
    "params, ids",
    [
        ({"theme": "working_together"}, ["p0", "p2"]),
        ({"stage": "action"}, ["p2"]),
        ({"council": "Brindlecote"}, ["p4", "p5"]),
        ({"timepoint": "3-6m", "q": "children"}, ["p3"]),
        ({"recommendation": "true"}, ["p4"]),
        ({"file": "a.pdf", "period": "2014"}, ["p0", "p1", "p2", "p3"]),
        ({"theme": "working_together", "min_score": "0.9"}, ["p0", "p2"]),
        ({"max_score": "0.3"}, ["p3", "p4"]),
    ],
)
def test_the_api_filters_on_every_field(client, params, ids):
    body = client.get("/api/passages", params=params).json()
    assert [p["id"] for p in body["passages"]] == ids and body["count"] == len(ids)
    assert set(body["passages"][0]) == set(PASSAGE_COLUMNS)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"theme": "leadership"}, "unknown theme 'leadership'"),
        ({"stage": "done"}, "unknown stage"),
        ({"min_score": "high"}, "min_score must be a number"),
        ({"max_score": "3"}, "between 0 and 1"),
        ({"recommendation": "maybe"}, "true or false"),
        ({"colour": "red"}, "unknown filter 'colour'"),
    ],
)
def test_bad_filters_get_a_400_with_a_clear_message(client, params, message):
    response = client.get("/api/passages", params=params)
    assert response.status_code == 400 and message in response.json()["error"]
    assert client.get("/", params=params).status_code == 400


def test_a_passage_opens_in_context(client):
    page = client.get("/passage/p2")
    assert page.status_code == 200
    text = page.text
    assert text.index("Health partners now attend") < text.index('id="current"') < text.index("Children told us")
    assert client.get("/passage/nope").status_code == 404
    assert client.get("/api/passages/p2").json()["text"].startswith("The LSCB agreed")
    assert client.get("/api/passages/nope").status_code == 404


def test_put_labels_stores_a_correction_that_shows_from_then_on(client, out):
    response = client.put("/api/passages/p1/labels", json={"themes": ["capacity_and_resources"], "stage": "insight"})
    assert response.status_code == 200, response.text
    assert response.json()["themes"] == ["capacity_and_resources"] and response.json()["author"] == "local"
    shown = client.get("/api/passages/p1").json()
    assert shown["themes"] == ["capacity_and_resources"] and shown["label_source"] == "human"
    assert latest_corrections(out / "corrections.sqlite")["p1"]["labels"]["stage"] == "insight"


@pytest.mark.parametrize(
    "body, status, message",
    [
        ("{not json", 400, "not valid JSON"),
        ('["themes"]', 400, "must be a JSON object"),
        ('{"themes": ["nope"]}', 400, "unknown theme 'nope'"),
        ('{"mood": "happy"}', 400, "unknown field"),
        ('{"recommendation": "yes"}', 400, "true or false"),
    ],
)
def test_bad_corrections_get_a_4xx_and_nothing_is_written(client, out, body, status, message):
    response = client.put("/api/passages/p1/labels", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status and message in response.json()["error"]
    assert not (out / "corrections.sqlite").exists()


def test_correcting_an_unknown_passage_is_a_404(client, out):
    response = client.put("/api/passages/nope/labels", json={"themes": []})
    assert response.status_code == 404 and "no passage with id 'nope'" in response.json()["error"]
    assert not (out / "corrections.sqlite").exists()


def test_the_correction_form_saves_and_redirects(client, out):
    response = client.post(
        "/passage/p3/labels",
        content="themes=voice_of_the_child&themes=working_together&stage=outcome&recommendation=false&audience=council",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/passage/p3?saved=1"
    saved = latest_corrections(out / "corrections.sqlite")["p3"]["labels"]
    assert saved["themes"] == ["voice_of_the_child", "working_together"] and saved["stage"] == "outcome"
    assert "Correction saved" in client.get("/passage/p3?saved=1").text


def test_writes_need_a_token_when_not_on_loopback(out):
    client = TestClient(create_app(out, host="0.0.0.0", tokens=parse_tokens(["ana:secret-1"], env="")))
    assert client.get("/api/passages").status_code == 200  # reading needs no token
    refused = client.put("/api/passages/p1/labels", json={"stage": "action"})
    assert refused.status_code == 401 and not (out / "corrections.sqlite").exists()
    wrong = client.put("/api/passages/p1/labels", json={"stage": "action"}, headers={"Authorization": "Bearer nope-nope"})
    assert wrong.status_code == 401
    ok = client.put("/api/passages/p1/labels", json={"stage": "action"}, headers={"Authorization": "Bearer secret-1"})
    assert ok.status_code == 200 and ok.json()["author"] == "ana"
    assert latest_corrections(out / "corrections.sqlite")["p1"]["author"] == "ana"


def test_a_public_server_without_tokens_is_refused(out):
    with pytest.raises(BadInput, match="needs access tokens"):
        create_app(out, host="0.0.0.0", tokens={})
    with pytest.raises(BadInput, match="at least 6 characters"):
        parse_tokens(["ana:123"], env="")


def test_the_review_queue_puts_the_least_certain_first(client):
    page = client.get("/queue").text
    assert page.index("Caseloads remain") < page.index("Café culture") < page.index("Health partners")
    assert client.get("/queue", params={"order": "disagreement"}).status_code == 400  # no previous run kept
    assert client.get("/queue", params={"order": "sideways"}).status_code == 400


def test_the_queue_shows_what_changed_since_the_previous_run(out):
    changed = [dict(p) for p in PASSAGES]
    changed[3] = {**changed[3], "themes": ["working_together"], "stage": "action"}
    publish_outputs(out, changed, [], record={"run_id": store.new_run_id()})
    page = TestClient(create_app(out)).get("/queue", params={"order": "disagreement"}).text
    assert "Children told us" in page and "Caseloads remain" not in page


def test_exports_take_the_same_filters(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv", params={"council": "Ashcombe"}).text)))
    assert [r["id"] for r in rows] == ["p0", "p1", "p2", "p3"]
    assert rows[0]["themes"] == "working_together" and "score_working_together" in rows[0]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/export.xlsx", params={"theme": "voice_of_the_child"}).content))
    sheet = book["passages"]
    assert [c.value for c in sheet[1]][:2] == ["id", "file"] and sheet.max_row == 3
    archive = zipfile.ZipFile(io.BytesIO(client.get("/export.qdpx").content))
    assert "project.qde" in archive.namelist()
    assert client.get("/export.csv", params={"theme": "nope"}).status_code == 400


def test_the_browser_keeps_serving_while_a_run_replaces_the_outputs(client, out):
    assert client.get("/api/passages").json()["count"] == 6
    publish_outputs(out, PASSAGES[:2], [], record={"run_id": store.new_run_id()})
    assert client.get("/api/passages").json()["count"] == 2


def test_an_output_folder_without_a_run_says_what_to_do(tmp_path):
    response = TestClient(create_app(tmp_path)).get("/api/passages")
    assert response.status_code == 400 and "textmine run" in response.json()["error"]
