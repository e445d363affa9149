"""The passage browser through FastAPI's test client: every endpoint and bad request."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from textmine import store
from textmine.corrections import latest_corrections
from textmine.run import publish_outputs
from textmine.errors import BadInput
from textmine.guard import Site, check_request
from textmine.web import MAX_BODY, create_app, parse_tokens
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


BASE = "http://127.0.0.1:8765"  # the default address, as the Host header a browser sends


@pytest.fixture
def client(out):
    return TestClient(create_app(out), base_url=BASE)


def form_token(client, passage_id: str) -> str:
    """The CSRF token of the correction form, read from the passage page as a browser would."""
    page = client.get(f"/passage/{passage_id}")
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def post_form(client, passage_id: str, body: str, headers: dict | None = None):
    return client.post(f"/passage/{passage_id}/labels", content=body, follow_redirects=False,
                       headers={"content-type": "application/x-www-form-urlencoded", **(headers or {})})


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
    csrf = form_token(client, "p3")
    response = post_form(
        client, "p3",
        f"themes=voice_of_the_child&themes=working_together&stage=outcome&recommendation=false&audience=council&csrf={csrf}",
        headers={"origin": BASE},
    )
    assert response.status_code == 303 and response.headers["location"] == "/passage/p3?saved=1"
    saved = latest_corrections(out / "corrections.sqlite")["p3"]["labels"]
    assert saved["themes"] == ["voice_of_the_child", "working_together"] and saved["stage"] == "outcome"
    assert "Correction saved" in client.get("/passage/p3?saved=1").text


def test_writes_need_a_token_when_not_on_loopback(out):
    client = TestClient(create_app(out, host="0.0.0.0", tokens=parse_tokens(["ana:secret-1"], env="")), base_url=BASE)
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
    page = TestClient(create_app(out), base_url=BASE).get("/queue", params={"order": "disagreement"}).text
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
    response = TestClient(create_app(tmp_path), base_url=BASE).get("/api/passages")
    assert response.status_code == 400 and "textmine run" in response.json()["error"]


# --------------------------------------------------------------------------- other sites, foreign hosts


LOOPBACK = Site("127.0.0.1", 8765)
PUBLIC = Site("0.0.0.0", 8765)
PROXIED = Site("127.0.0.1", 8765, ("textmine.example.org",))


@pytest.mark.parametrize(
    "site, method, headers, status",
    [
        (LOOPBACK, "GET", {"host": "127.0.0.1:8765"}, None),
        (LOOPBACK, "GET", {"host": "localhost:8765"}, None),
        (LOOPBACK, "GET", {"host": "[::1]:8765"}, None),
        (LOOPBACK, "GET", {"host": "LOCALHOST:8765"}, None),
        (LOOPBACK, "GET", {"host": "evil.example:8765"}, 421),  # DNS rebinding
        (LOOPBACK, "GET", {"host": "127.0.0.1:9999"}, 421),
        (LOOPBACK, "GET", {"host": "127.0.0.1"}, 421),  # port 80
        (LOOPBACK, "GET", {"host": "192.168.1.20:8765"}, 421),
        (LOOPBACK, "GET", {}, 400),
        (LOOPBACK, "GET", {"host": "127.0.0.1:80a"}, 400),
        (LOOPBACK, "GET", {"host": "[::1"}, 400),
        (PUBLIC, "GET", {"host": "192.168.1.20:8765"}, None),
        (PUBLIC, "GET", {"host": "localhost:8765"}, None),
        (PUBLIC, "GET", {"host": "evil.example:8765"}, 421),
        (Site("192.168.1.20", 8765), "GET", {"host": "127.0.0.1:8765"}, 421),
        (PROXIED, "GET", {"host": "textmine.example.org"}, None),
        (PROXIED, "GET", {"host": "textmine.example.org:443"}, None),
        (PROXIED, "GET", {"host": "other.example.org"}, 421),
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:8765"}, None),
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765"}, None),  # no Origin, no Referer: not a web page
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765", "origin": "http://evil.example"}, 403),
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:9999"}, 403),
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765", "origin": "https://127.0.0.1:8765"}, None),
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765", "origin": "http://localhost:8765"}, 403),
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765", "origin": "null"}, 403),
        (LOOPBACK, "PUT", {"host": "127.0.0.1:8765", "origin": "file://"}, 403),
        (LOOPBACK, "PUT", {"host": "127.0.0.1:8765", "referer": "http://127.0.0.1:8765/passage/p1"}, None),
        (LOOPBACK, "DELETE", {"host": "127.0.0.1:8765", "referer": "http://evil.example/page"}, 403),
        (LOOPBACK, "PATCH", {"host": "127.0.0.1:8765", "referer": "http://127.0.0.1:8765@evil.example/"}, 403),
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765", "sec-fetch-site": "cross-site"}, 403),
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765", "sec-fetch-site": "same-site", "origin": "http://127.0.0.1:8765"}, 403),
        (LOOPBACK, "POST", {"host": "127.0.0.1:8765", "sec-fetch-site": "same-origin", "origin": "http://127.0.0.1:8765"}, None),
        (LOOPBACK, "GET", {"host": "127.0.0.1:8765", "origin": "http://evil.example"}, None),  # reading is not writing
        (PROXIED, "PUT", {"host": "textmine.example.org", "origin": "https://textmine.example.org"}, None),
    ],
)
def test_check_request_answers_only_this_server_and_its_own_pages(site, method, headers, status):
    refusal = check_request(site, method, headers)
    assert (refusal.status if refusal else None) == status
    assert refusal is None or refusal.reason


@pytest.mark.parametrize("value", ["evil example", "textmine.example.org:443", "http://x", "-bad.example", ""])
def test_allow_host_takes_only_host_names(value):
    with pytest.raises(BadInput, match="not a host name"):
        Site("127.0.0.1", 8765, (value,))


def test_a_cross_site_form_post_is_refused_and_writes_nothing(client, out):
    csrf = form_token(client, "p2")  # even with a valid token and cookie, another site's page may not write
    response = post_form(client, "p2", f"themes=working_together&csrf={csrf}", headers={"origin": "http://evil.example"})
    assert response.status_code == 403 and "another site" in response.text
    put = client.put("/api/passages/p2/labels", json={"stage": "action"}, headers={"origin": "http://127.0.0.1:9999"})
    assert put.status_code == 403 and "another site" in put.json()["error"]
    assert not (out / "corrections.sqlite").exists()


@pytest.mark.parametrize("method", ["GET", "PUT", "POST"])
def test_a_foreign_host_header_gets_421_and_writes_nothing(out, method):
    client = TestClient(create_app(out), base_url="http://evil.example:8765")
    response = client.request(method, "/api/passages/p1/labels" if method != "GET" else "/", json={"stage": "action"})
    assert response.status_code == 421 and "does not answer to the name 'evil.example:8765'" in html.unescape(response.text)
    assert not (out / "corrections.sqlite").exists()


@pytest.mark.parametrize("base", ["http://localhost:8765", "http://[::1]:8765"])
def test_loopback_aliases_of_the_port_are_served(out, base):
    assert TestClient(create_app(out), base_url=base).get("/api/passages").json()["count"] == 6


def test_a_configured_name_is_served(out):
    app = create_app(out, allow_hosts=("textmine.example.org",))
    assert TestClient(app, base_url="https://textmine.example.org").get("/api/passages").status_code == 200
    assert TestClient(create_app(out), base_url="https://textmine.example.org").get("/api/passages").status_code == 421


def test_the_session_cookie_is_strict_and_http_only(client):
    cookie = client.get("/passage/p1").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "set-cookie" not in client.get("/passage/p2").headers  # one session: the cookie is kept


@pytest.mark.parametrize(
    "csrf, keep_cookie, why",
    [
        (None, True, "no token in the form"),
        ("0" * 64, True, "a made-up token"),
        ("sécret", True, "a non-ASCII token"),
        ("valid", False, "a token without its session cookie"),
    ],
)
def test_the_correction_form_needs_its_csrf_token(client, out, csrf, keep_cookie, why):
    valid = form_token(client, "p3")
    if not keep_cookie:
        client.cookies.clear()
    body = "stage=outcome" + ("" if csrf is None else f"&csrf={quote(valid if csrf == 'valid' else csrf)}")
    response = post_form(client, "p3", body, headers={"origin": BASE})
    assert response.status_code == 403, why
    assert "open the page again" in response.text
    assert not (out / "corrections.sqlite").exists()


def test_a_token_from_another_session_is_refused(out):
    app = create_app(out)
    first, second = TestClient(app, base_url=BASE), TestClient(app, base_url=BASE)
    second.get("/passage/p3")  # the second client has its own session cookie
    response = post_form(second, "p3", f"stage=outcome&csrf={form_token(first, 'p3')}", headers={"origin": BASE})
    assert response.status_code == 403 and not (out / "corrections.sqlite").exists()


# --------------------------------------------------------------------------- malformed requests: 4xx, never 500

DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    "method, url, kwargs, status, message",
    [
        ("PUT", "/api/passages/p1/labels", {"json": {"stage": ["action"]}}, 400, "unknown stage ['action']"),
        ("PUT", "/api/passages/p1/labels", {"json": {"stage": {"a": 1}}}, 400, "unknown stage"),
        ("PUT", "/api/passages/p1/labels", {"json": {"audience": ["lga"]}}, 400, "unknown audience"),
        ("PUT", "/api/passages/p1/labels", {"json": {"themes": [["working_together"]]}}, 400, "must be a list of theme ids"),
        ("PUT", "/api/passages/p1/labels", {"json": {"themes": "working_together"}}, 400, "must be a list of theme ids"),
        ("PUT", "/api/passages/p1/labels", {"content": DEEP}, 400, "nested too deeply"),
        ("PUT", "/api/passages/p1/labels", {"content": '{"themes": ' + DEEP + "}"}, 400, "nested too deeply"),
        ("PUT", "/api/passages/p1/labels", {"content": b'{"stage": "\xff"}'}, 400, "not UTF-8 text (byte 0xff at position 11)"),
        ("PUT", "/api/passages/p1/labels", {"content": b'{"stage": "\xed\xa0\x80"}'}, 400, "not UTF-8 text"),
        ("PUT", "/api/passages/p1/labels", {"content": '{"stage": NaN}'}, 400, "unknown stage nan"),
        ("PUT", "/api/passages/p1/labels", {"content": "1" * 5000}, 400, "cannot be read (Exceeds the limit"),
        ("PUT", "/api/passages/p1/labels", {"content": "12345"}, 400, "must be a JSON object"),
        ("PUT", "/api/passages/p1/labels", {"content": b"x" * (MAX_BODY + 1)}, 413, "larger than the 65,536 bytes"),
        ("PUT", "/api/passages/p1/labels", {"content": iter([b"[" * 40000, b"]" * 40000])}, 413, "larger than the 65,536 bytes"),
        ("POST", "/passage/p1/labels", {"content": b"stage=\xff"}, 400, "not UTF-8 text"),
        ("POST", "/passage/p1/labels", {"content": b"stage=" + b"a" * MAX_BODY}, 413, "larger than"),
        ("GET", "/?page=abc", {}, 400, "page must be a whole number from 1 to 1, not 'abc'"),
        ("GET", "/?page=1.5", {}, 400, "page must be a whole number"),
        ("GET", "/?page=1e3", {}, 400, "page must be a whole number"),
        ("GET", "/?page=0", {}, 400, "page must be a whole number"),
        ("GET", "/?page=-1", {}, 400, "page must be a whole number"),
        ("GET", "/?page=2", {}, 400, "from 1 to 1, not '2'"),
        ("GET", "/?page=" + "9" * 5000, {}, 400, "page must be a whole number"),
        ("GET", "/?page=%D9%A3", {}, 400, "page must be a whole number"),  # an Arabic-Indic digit three
        ("GET", "/passage/p1?saved=abc", {}, 400, "saved"),
        ("GET", "/api/passages?min_score=nan", {}, 400, "between 0 and 1"),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_message_and_write_nothing(client, out, method, url, kwargs, status, message):
    # raise_server_exceptions (the default) would raise here if any of these reached the catch-all 500
    headers = {"content-type": "application/json" if url.startswith("/api/") else "application/x-www-form-urlencoded"}
    response = client.request(method, url, headers=headers, **kwargs)
    assert response.status_code == status
    assert message in (response.json()["error"] if url.startswith("/api/") else html.unescape(response.text))
    assert not (out / "corrections.sqlite").exists()


@pytest.mark.parametrize(
    "headers, body",
    [
        ({"authorization": "Bearer sécret-1".encode("utf-8")}, None),
        ({"authorization": "Bearer sécret-1".encode("latin-1")}, None),
        ({}, "token=s%C3%A9cret-1"),
        ({}, "token=%FF%FE%00"),
    ],
)
def test_a_non_ascii_access_token_is_a_401_not_a_500(out, headers, body):
    client = TestClient(create_app(out, host="0.0.0.0", tokens=parse_tokens(["ana:secret-1"], env="")), base_url=BASE)
    if body is None:
        response = client.put("/api/passages/p1/labels", json={"stage": "action"}, headers=headers)
        assert response.status_code == 401 and "access token" in response.json()["error"]
    else:
        response = post_form(client, "p1", f"stage=action&csrf={form_token(client, 'p1')}&{body}", headers={"origin": BASE})
        assert response.status_code == 401 and "access token" in response.text
    assert not (out / "corrections.sqlite").exists()


def test_an_unexpected_error_is_a_500_with_one_line_and_no_traceback(out):
    (store.previous_run_dir(out) / "passages.parquet").write_bytes(b"not parquet at all")  # a damaged output folder
    client = TestClient(create_app(out), base_url=BASE, raise_server_exceptions=False)
    api = client.get("/api/passages")
    assert api.status_code == 500 and api.json() == {"error": "the browser hit an unexpected error (ArrowInvalid); the server's log has the details"}
    page = client.get("/")
    assert page.status_code == 500 and "unexpected error (ArrowInvalid)" in page.text and "Traceback" not in page.text


# --------------------------------------------------------------------------- exports: nothing breaks, nothing is cut silently

HOSTILE = [
    passage(0, "a.pdf", "Ash\x01combe", "3-6m", "Health partners\x01 now attend\x0b strategy meetings.", ["working_together"]),
    passage(1, "c.pdf", "=HYPERLINK(\"http://evil.example\",\"click\")", "3-6m", "=1+2"),
    passage(2, "d.pdf", "@SUM(A1)", "3-6m", "+44 0100 000000"),
    passage(3, "e.pdf", "Ashcombe", "3-6m", "-2+3 is not a formula here"),
    passage(4, "e.pdf", "Ashcombe", "3-6m", "\tindented=1"),
    passage(5, "e.pdf", "Ashcombe", "3-6m", "\rcarriage=1"),
    passage(6, "b.pdf", "Brindlecote", "12m", "x" * 100_000),
]


@pytest.fixture
def hostile_client(tmp_path):
    publish_outputs(tmp_path, HOSTILE, [], record={"run_id": store.new_run_id()})
    return TestClient(create_app(tmp_path), base_url=BASE), tmp_path


def test_long_text_is_kept_whole_in_parquet_and_csv(hostile_client):
    client, out = hostile_client
    (long,) = [p for p in store.read_passages(out / "passages.parquet") if p["id"] == "p6"]
    assert len(long["text"]) == 100_000
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(client.get("/export.csv").text, newline=""))}
    assert rows["p6"]["text"] == "x" * 100_000
    assert rows["p0"]["text"] == "Health partners\x01 now attend\x0b strategy meetings."  # CSV can hold them


def test_csv_cells_that_could_start_a_formula_are_neutralised(hostile_client):
    client, _ = hostile_client
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(client.get("/export.csv").text, newline=""))}
    assert rows["p1"]["council"] == "'=HYPERLINK(\"http://evil.example\",\"click\")" and rows["p1"]["text"] == "'=1+2"
    assert rows["p2"]["council"] == "'@SUM(A1)" and rows["p2"]["text"] == "'+44 0100 000000"
    assert rows["p3"]["text"] == "'-2+3 is not a formula here"
    assert rows["p4"]["text"] == "'\tindented=1" and rows["p5"]["text"] == "'\rcarriage=1"
    assert rows["p0"]["council"] == "Ash\x01combe" and rows["p0"]["text"].startswith("Health")  # the rest untouched


def test_excel_export_survives_control_characters_and_cuts_visibly(hostile_client):
    from openpyxl import load_workbook

    client, _ = hostile_client
    response = client.get("/export.xlsx")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            assert "<f>" not in archive.read(name).decode("utf-8") and "<f " not in archive.read(name).decode("utf-8")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["passages"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["p0"]["council"] == "Ash\ufffdcombe"
    assert rows["p0"]["text"] == "Health partners\ufffd now attend\ufffd strategy meetings."
    assert rows["p1"]["text"] == "'=1+2" and rows["p2"]["council"] == "'@SUM(A1)" and rows["p4"]["text"] == "'\tindented=1"
    long = rows["p6"]["text"]
    assert 32_700 < len(long) <= 32_767 and long.startswith("x" * 32_000)
    shown = long.index("[")
    assert long[shown:] == f"[... cut: {100_000 - shown:,} characters not shown; full text in passages.parquet / export.csv]"
    notes = [r for r in book["notes"].iter_rows(values_only=True)]
    assert notes[0][0].startswith("3 cells of sheet 'passages' could not be written as they are")
    assert ("p0", "council", "1 character XML cannot hold replaced by U+FFFD") in notes
    assert ("p0", "text", "2 characters XML cannot hold replaced by U+FFFD") in notes
    assert ("p6", "text", f"cut at 32,767 characters: {100_000 - shown:,} not shown") in notes


def test_an_export_with_nothing_to_change_has_no_notes_sheet(client):
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(client.get("/export.xlsx").content)).sheetnames == ["passages"]


def test_qdpx_export_survives_control_characters(hostile_client):
    client, _ = hostile_client
    archive = zipfile.ZipFile(io.BytesIO(client.get("/export.qdpx").content))
    assert "\x01" not in archive.read("project.qde").decode("utf-8")


# --------------------------------------------------------------------------- tokens


def test_a_malformed_token_is_named_by_number_never_by_its_text():
    with pytest.raises(BadInput) as caught:
        parse_tokens(["ana:secret-1", "ben-forgot-the-colon-secret"], env="")
    assert str(caught.value).startswith("token #2 (from --token) is not name:token")
    assert "forgot" not in str(caught.value) and "secret" not in str(caught.value)
    with pytest.raises(BadInput, match=r"token #3 \(from TEXTMINE_TOKENS\)") as caught:
        parse_tokens(["ana:secret-1"], env="ben:other-1,cy:123")
    assert "123" not in str(caught.value) and "cy" not in str(caught.value)


def test_the_same_secret_under_two_names_is_refused():
    with pytest.raises(BadInput, match=r"tokens #1 and #2 are the same secret \(names 'ana' and 'ben'\)") as caught:
        parse_tokens(["ana:shared-secret"], env="ben:shared-secret")
    assert "shared-secret" not in str(caught.value)


def test_a_non_ascii_token_is_refused_at_start():
    with pytest.raises(BadInput, match="printable ASCII") as caught:
        parse_tokens(["ana:sécret-long"], env="")
    assert "sécret" not in str(caught.value)


# The audit: the Audit page, its form and PUT /api/audit/{id}

ANSWER = {"themes": ["working_together"], "factors": [], "stage": "action", "recommendation": False}


@pytest.fixture
def sampled(out):
    """The output folder with an audit sample of 4 of the 6 passages, and those passages' ids."""
    from textmine.audit import draw_sample

    sample, _ = draw_sample(out, [p["id"] for p in PASSAGES], 4, seed=1)
    return out, sample.ids


def audit_rows(out) -> int:
    import sqlite3

    with sqlite3.connect(out / "corrections.sqlite") as conn:
        return conn.execute("SELECT COUNT(*) FROM audit_labels").fetchone()[0]


def test_the_audit_page_without_a_sample_says_how_to_draw_one(client, out):
    page = client.get("/audit")
    assert page.status_code == 200 and f"textmine audit {out} --size 60" in html.unescape(page.text)


def test_the_audit_page_is_blind_until_answered_then_shows_both(client, sampled):
    out, ids = sampled
    first = client.get("/audit")
    assert "0 of 4 done" in first.text and "Passage 1 of 4" in first.text
    shown = next(p for p in PASSAGES if p["id"] == ids[0])
    assert html.escape(shown["text"]) in first.text
    assert 'id="model-labels"' not in first.text and "checked" not in first.text.split('name="stage" value=""')[0]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', first.text).group(1)
    response = client.post(f"/audit/{ids[0]}", content=f"themes=voice_of_the_child&stage=&recommendation=false&csrf={csrf}",
                           headers={"content-type": "application/x-www-form-urlencoded", "origin": BASE},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/audit?answered={ids[0]}"
    after = client.get(response.headers["location"])
    assert "1 of 4 done" in after.text and "Passage 2 of 4" in after.text
    model = re.search(r'id="model-labels">(.*?)</td>', after.text, re.S).group(1)
    yours = re.search(r'id="your-labels">(.*?)</td>', after.text, re.S).group(1)
    assert "voice_of_the_child" in yours and all(t in model for t in shown["themes"])
    assert latest_corrections(out / "corrections.sqlite")[ids[0]]["labels"]["themes"] == ["voice_of_the_child"]


def test_the_audit_form_needs_its_csrf_token(client, sampled):
    out, ids = sampled
    client.get("/audit")  # the session cookie
    response = client.post(f"/audit/{ids[0]}", content="themes=voice_of_the_child&csrf=forged",
                           headers={"content-type": "application/x-www-form-urlencoded", "origin": BASE})
    assert response.status_code == 403 and audit_rows(out) == 0


def test_put_an_audit_answer(client, sampled):
    out, ids = sampled
    response = client.put(f"/api/audit/{ids[1]}", json=ANSWER)
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "action" and response.json()["progress"].startswith("1 of 4 done")
    listed = client.get("/api/audit").json()
    assert listed["done"] == 1 and "model_labels" not in listed["passages"][0]  # the API is blind too
    assert client.get(f"/api/passages/{ids[1]}").json()["label_source"] == "human"


@pytest.mark.parametrize("body, message", [
    ("{not json", "not valid JSON"),
    ('["themes"]', "an audit answer is a JSON object"),
    ('{"themes": ["working_together"]}', "factors, stage, recommendation are missing"),
    ('{"themes": ["nope"], "factors": [], "stage": null, "recommendation": false}', "unknown theme 'nope'"),
    ('{"themes": [], "factors": [], "stage": null, "recommendation": false, "mood": "happy"}', "unknown field"),
])
def test_bad_audit_bodies_get_a_400_and_nothing_is_written(client, sampled, body, message):
    out, ids = sampled
    response = client.put(f"/api/audit/{ids[0]}", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and message in response.json()["error"]
    assert audit_rows(out) == 0 and latest_corrections(out / "corrections.sqlite") == {}


def test_a_passage_outside_the_sample_takes_no_audit_answer(client, sampled):
    out, ids = sampled
    outside = next(p["id"] for p in PASSAGES if p["id"] not in ids)
    response = client.put(f"/api/audit/{outside}", json=ANSWER)
    assert response.status_code == 400 and "not in the audit sample" in response.json()["error"]
    assert client.put("/api/audit/nope", json=ANSWER).status_code == 400
    assert audit_rows(out) == 0


def test_a_cross_site_audit_answer_is_refused_and_writes_nothing(client, sampled):
    out, ids = sampled
    page = client.get("/audit")  # even with a valid token and cookie, another site's page may not write
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    body = f"themes=working_together&stage=&recommendation=false&csrf={csrf}"
    response = client.post(f"/audit/{ids[0]}", content=body, headers={
        "content-type": "application/x-www-form-urlencoded", "origin": "http://evil.example"})
    assert response.status_code == 403 and audit_rows(out) == 0
    put = client.put(f"/api/audit/{ids[0]}", json=ANSWER, headers={"origin": "http://evil.example"})
    assert put.status_code == 403 and audit_rows(out) == 0
