"""Shared fixtures. Prefect is pointed at a throwaway home before anything imports it."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

_PREFECT_HOME = tempfile.mkdtemp(prefix="textmine-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))

from make_fixtures import build_browser_fixtures, build_fixtures, build_office_fixtures  # noqa: E402
from make_formats import build_format_fixtures  # noqa: E402


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory) -> dict[str, Path]:
    """Every fixture PDF, built once per session by tests/fixtures/make_fixtures.py."""
    return build_fixtures(tmp_path_factory.mktemp("fixtures"))


@pytest.fixture(scope="session")
def format_fixtures(tmp_path_factory) -> dict[str, Path]:
    """The Word, web page and scan fixtures by file name, built once per session by make_formats.py."""
    return build_format_fixtures(tmp_path_factory.mktemp("formats"))


def _needs(tool: str) -> None:
    """Skip without an external layout program; in CI (which installs them) fail instead."""
    from textmine.typeset import find_tool

    try:
        find_tool(tool)
    except FileNotFoundError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def office_fixtures(tmp_path_factory) -> dict[str, Path]:
    """The feature documents typeset by LibreOffice (a second, independent PDF producer)."""
    _needs("libreoffice")
    return build_office_fixtures(tmp_path_factory.mktemp("office"))


@pytest.fixture(scope="session")
def browser_fixtures(tmp_path_factory) -> dict[str, Path]:
    """The feature documents printed to PDF by Chromium (a third PDF producer)."""
    _needs("chromium")
    return build_browser_fixtures(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="session")
def prefect_api():
    """One Prefect server for the flow runs of the session, found or started as `textmine run` does."""
    from textmine.flows.server import PrefectServer

    with PrefectServer() as server:
        with server.ready():
            yield server.api_url


@pytest.fixture(scope="session")
def pipeline(prefect_api):
    """The pipeline flow (an async flow), called and waited for."""
    import asyncio

    from textmine.flows.pipeline import pipeline as flow

    return lambda *args, **kwargs: asyncio.run(flow(*args, **kwargs))


@pytest.fixture(scope="session")
def tiny_examples() -> list[dict]:
    """A handful of labelled passages, enough to train and reload a model."""
    from textmine.classify import validate_example

    raw = [
        ("Caseloads average 28 and a third of social workers are agency staff.", ["capacity_and_resources"], [], None, False, None),
        ("Vacancies in the assessment teams have fallen from 30% to 12%.", ["capacity_and_resources"], [], "outcome", False, None),
        ("The council has recruited twelve newly qualified social workers.", ["capacity_and_resources"], [], "action", False, None),
        ("Budget savings of two million pounds will fall on early help.", ["capacity_and_resources"], ["local_context_and_timing"], None, False, None),
        ("Health and police rarely attend strategy meetings.", ["working_together"], [], None, False, None),
        ("A joint protocol with the police was agreed at the LSCB.", ["working_together"], [], "action", False, None),
        ("Partners now attend 95% of initial conferences.", ["working_together"], [], "outcome", False, None),
        ("The council should agree a multi-agency threshold document with partners.", ["working_together"], [], None, True, "council"),
        ("Children's views are rarely recorded in assessments.", ["voice_of_the_child"], [], None, False, None),
        ("The children in care council now meets the lead member every quarter.", ["voice_of_the_child"], [], "outcome", False, None),
        ("Young people helped to interview candidates for the new posts.", ["voice_of_the_child"], [], "action", False, None),
        ("The LGA should offer a follow-up visit six months after every review.", [], ["monitoring"], None, True, "lga"),
        ("The peer team included a director from a similar council, which gave it credibility.", [], ["team_composition"], "insight", False, None),
        ("The review confirmed what we already suspected about our front door.", ["practice_and_service_delivery"], [], "insight", False, None),
        ("Thank you to everyone who took part in the review week.", [], [], None, False, None),
        ("Contact: the review manager, telephone 0100 000000.", [], [], None, False, None),
    ]
    return [
        validate_example({"text": t, "themes": th, "factors": f, "stage": s, "recommendation": r, "audience": a})
        for t, th, f, s, r, a in raw
    ]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_examples) -> Path:
    """A model folder trained on ``tiny_examples``."""
    from textmine.training import train_model, write_model

    model, metrics = train_model(tiny_examples, folds=3)
    return write_model(model, tmp_path_factory.mktemp("models") / "tiny", tiny_examples, metrics)


@pytest.fixture
def corpus(tmp_path, fixtures) -> Path:
    """A small corpus folder: three good documents, one bad one, and a manifest."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("features-formal", "page_break-modern", "long_table-plain", "truncated"):
        shutil.copy(fixtures[name], folder / fixtures[name].name)
    (folder / "manifest.csv").write_text(
        "file,council,date,timepoint,doc_type\n"
        "features-formal.pdf,Fixture,2014-05-01,review,report\n"
        "page_break-modern.pdf,Fixture,2014-09-15,3-6m,follow_up\n"
        "truncated.pdf,Other,2014-01-01,pre,scope\n",
        encoding="utf-8",
    )
    return folder


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)
