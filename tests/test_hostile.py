"""Hostile and broken input: one clear line every time, nothing executed, nothing lost.

The inputs come from ``tests/fixtures/make_hostile.py``. Each kind is checked where
it is cheap (the extraction pool, the manifest reader, the command line in
process), and one real ``textmine run`` over a corpus holding them all checks the
whole path: exit status, errors.csv, every CSV and XLSX, the browser, the API,
report.html and the REFI-QDA export; then refused runs leave its outputs intact.
Browser-only cases (CSRF, Host, malformed JSON) are in ``tests/test_web.py``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from make_hostile import HOSTILE_TEXTS, TAMPERED, build_manifests, build_pdfs, hostile_page

from textmine import store
from textmine.cli import main
from textmine.corpus import discover, read_manifest
from textmine.errors import BadInput
from textmine.parallel import ExtractionPool
from textmine.safe import FORMULA_START

PDFS = build_pdfs()
MANIFESTS = build_manifests()
BASE = "http://127.0.0.1:8765"
NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def one_clear_line(text: str, *names: str) -> str:
    """The one line of an error message: no traceback, and it names each of ``names``."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


# --------------------------------------------------------------------------- PDFs, in the real extraction pool


@pytest.fixture(scope="module")
def pool():
    with ExtractionPool(workers=1, timeout=30) as pool:
        yield pool


@pytest.mark.parametrize("name", list(PDFS))
def test_a_hostile_pdf_is_read_or_refused_with_one_line_naming_it(pool, tmp_path, name):
    data, error, fragment = PDFS[name]
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    result = pool.extract(path)
    assert result.get("error_type") == error, result.get("error")
    if error is None:
        assert result["blocks"], "a readable page gave no blocks"
    else:
        assert fragment in result["error"] and "\n" not in result["error"]
        assert result["error"].startswith(path.name)


def test_no_text_layer_is_said_only_of_a_pdf_whose_pages_draw_no_text(pool, tmp_path):
    path = tmp_path / "bad_flate_content.pdf"
    path.write_bytes(PDFS["bad_flate_content"][0])
    assert "no text layer" not in pool.extract(path)["error"]
    path = tmp_path / "second_page_broken.pdf"
    path.write_bytes(PDFS["second_page_broken"][0])
    result = pool.extract(path)
    assert result["blocks"] and result["problems"] == [
        "second_page_broken.pdf: page 2 could not be read (its content stream (object 7) could not be "
        "decompressed (FlateDecode)); the other pages were"]


def test_a_page_pdfium_cannot_load_is_read_by_pdfplumber(pool, tmp_path):
    path = tmp_path / "garbled_kids.pdf"  # the page tree's second entry is garbled; pdfium fails to load that page
    path.write_bytes(PDFS["garbled_kids"][0])
    text = " ".join(block["text"] for block in pool.extract(path)["blocks"])
    assert "The second page." in text


def test_extract_of_a_hostile_pdf_prints_one_line_and_no_parser_notes(tmp_path):
    path = tmp_path / "exponent_media_box.pdf"  # pdfminer warns "Invalid MediaBox" on its way to failing
    path.write_bytes(PDFS["exponent_media_box"][0])
    proc = subprocess.run([sys.executable, "-m", "textmine.cli", "extract", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stdout == ""
    assert one_clear_line(proc.stderr, "exponent_media_box.pdf").startswith("Error: ")


# --------------------------------------------------------------------------- manifests


@pytest.mark.parametrize("name", list(MANIFESTS))
def test_a_broken_manifest_is_refused_in_one_line_or_its_bad_rows_named(tmp_path, name):
    data, outcome, fragment = MANIFESTS[name]
    (tmp_path / "good.pdf").write_bytes(PDFS["good"][0])
    (tmp_path / "manifest.csv").write_bytes(data)
    if outcome == "refused":
        with pytest.raises(BadInput) as caught:
            read_manifest(tmp_path)
        assert "manifest.csv" in str(caught.value) and fragment in str(caught.value) and "\n" not in str(caught.value)
        return
    docs, problems = discover(tmp_path)
    assert [d.file for d in docs] == ["good.pdf"], "a bad manifest must never lose a document"
    messages = [message for _, message in problems]
    if outcome == "ok":
        assert messages == []
        assert docs[0].council in ("Ashcombe", '=HYPERLINK("http://127.0.0.1:1/x","c")') and docs[0].date == "2014-05-01"
    else:
        assert any(fragment in m for m in messages), messages
        assert all("\n" not in m for m in messages)


def test_a_manifest_row_that_conflicts_with_another_gives_neither_its_metadata(tmp_path):
    (tmp_path / "good.pdf").write_bytes(PDFS["good"][0])
    (tmp_path / "manifest.csv").write_bytes(MANIFESTS["duplicate_conflicting"][0])
    docs, problems = discover(tmp_path)
    assert docs[0].council is None and docs[0].timepoint is None
    assert len([m for _, m in problems if "good.pdf" in m]) == 1


def test_a_formula_in_a_manifest_is_kept_as_text(tmp_path):
    (tmp_path / "good.pdf").write_bytes(PDFS["good"][0])
    (tmp_path / "manifest.csv").write_bytes(MANIFESTS["formula_council"][0])
    assert discover(tmp_path)[0][0].council == '=HYPERLINK("http://127.0.0.1:1/x","c")'


# --------------------------------------------------------------------------- links in the corpus


def test_links_out_of_the_corpus_are_skipped_with_a_line_and_links_inside_it_read(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.pdf").write_bytes(PDFS["good"][0])
    (corpus / "passwd.pdf").symlink_to("/etc/passwd")
    (corpus / "dangling.pdf").symlink_to(tmp_path / "gone.pdf")
    (corpus / "copy.pdf").symlink_to(corpus / "good.pdf")
    (tmp_path / "outside").mkdir()
    (corpus / "outside").symlink_to(tmp_path / "outside", target_is_directory=True)
    (tmp_path / "outside" / "secret.pdf").write_bytes(PDFS["good"][0])
    docs, problems = discover(corpus)
    assert [d.file for d in docs] == ["copy.pdf", "good.pdf"]
    skipped = dict(problems)
    assert set(skipped) == {"passwd.pdf", "dangling.pdf", "outside"}
    assert all(name in message and "\n" not in message for name, message in skipped.items())


# --------------------------------------------------------------------------- model folders and output folders


@pytest.mark.parametrize("tamper, message", TAMPERED, ids=[m for _, m in TAMPERED])
def test_classify_with_a_tampered_model_prints_one_line(tmp_path, tiny_model_dir, tamper, message):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    tamper(folder)
    result = CliRunner().invoke(main, ["classify", "--model", str(folder)], input='{"id": 1, "text": "Caseloads fell."}\n')
    assert result.exit_code == 1
    line = one_clear_line(result.output, str(folder), message)
    assert line.startswith("Error: ")


def _read_only_folder(path: Path) -> Path:
    """A folder no file can be made in: read-only by its mode, or (for root, whom modes do not stop) immutable."""
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o500)
    elif shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        pytest.skip("running as root on a file system without chattr +i: no folder is read-only to root")
    return path


def _blocked_outputs(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "a_file").write_text("in the way")
    return {"a file in the way": tmp_path / "a_file", "a parent that is a file": tmp_path / "a_file" / "out"}


@pytest.mark.parametrize("kind", ["a file in the way", "a parent that is a file", "read-only"])
def test_an_output_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path, kind):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.pdf").write_bytes(PDFS["good"][0])
    out = _blocked_outputs(tmp_path).get(kind) or _read_only_folder(tmp_path / "locked")
    try:
        result = CliRunner().invoke(main, ["run", str(corpus), "--out", str(out)])
    finally:
        if kind == "read-only" and os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(out)], check=True)
    assert result.exit_code == 1
    line = one_clear_line(result.output, "output folder", str(out))
    assert ("cannot be written" in line) == (kind == "read-only")
    assert not (corpus / ".textmine").exists()


def test_a_domain_error_inside_the_flow_is_one_line_with_the_traceback_in_the_run_log(pipeline, tmp_path, caplog):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.pdf").write_bytes(PDFS["good"][0])
    (corpus / "manifest.csv").write_bytes(MANIFESTS["latin1"][0])
    out = tmp_path / "out"
    with pytest.raises(BadInput, match="is not UTF-8"):
        pipeline(str(corpus), str(out), workers=1, timeout=30)
    about = [r for r in caplog.records if r.name.startswith("prefect.") and "is not UTF-8" in r.getMessage()]
    assert about, "Prefect logged nothing about the failure"
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in about)  # what the console and server get
    logs = re.findall(r"\(traceback in (\S+\.log)\)", " ".join(r.getMessage() for r in about))
    assert logs and Path(logs[0]).parent == out / ".textmine" / "logs"
    log = Path(logs[0]).read_text()
    assert "Traceback (most recent call last)" in log and "BadInput" in log


# --------------------------------------------------------------------------- one real run over all of it


@pytest.fixture(scope="module")
def hostile_run(prefect_api, tmp_path_factory, fixtures, tiny_model_dir):
    """One ``textmine run`` over every hostile PDF, the hostile web page and links, with a hostile manifest."""
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, (data, _, _) in PDFS.items():
        (corpus / f"{name}.pdf").write_bytes(data)
    shutil.copy(fixtures["features-formal"], corpus / "features-formal.pdf")
    (corpus / "minutes.html").write_bytes(hostile_page())
    (corpus / "passwd.pdf").symlink_to("/etc/passwd")
    (corpus / "manifest.csv").write_text(
        "file,council,date,timepoint,doc_type\n"
        'features-formal.pdf,"=HYPERLINK(""http://127.0.0.1:1/x"",""c"")",2014-05-01,review,report\n'
        "hostile_text.pdf,+Ashcombe,2014-13-01,review,report\n"
        "minutes.html,@Brindlecote,2015-02-01,someday,minutes\n"
        "absent.pdf,Nowhere,2014-01-01,pre,scope\n", encoding="utf-8")
    out = root / "out"
    proc = subprocess.run([sys.executable, "-m", "textmine.cli", "run", str(corpus), "--out", str(out),
                           "--model", str(tiny_model_dir), "--workers", "2", "--timeout", "30"],
                          capture_output=True, text=True, timeout=600)
    return {"corpus": corpus, "out": out, "proc": proc, "model": tiny_model_dir}


def _errors(out: Path) -> list[dict]:
    with open(out / "errors.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_hostile_run_completes_and_accounts_for_every_file(hostile_run, pool, tmp_path):
    proc, out = hostile_run["proc"], hostile_run["out"]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = _errors(out)
    by_file = {e["file"]: e["error"] for e in errors if e["step"] == "extract"}
    read = {p["file"] for p in store.read_passages(out / "passages.parquet")}
    assert {"features-formal.pdf", "minutes.html"} <= read
    for name, (data, error, fragment) in PDFS.items():
        file = f"{name}.pdf"
        if error is None:
            assert file in read, (file, by_file.get(file))
        else:
            assert fragment in by_file[file] and file not in read
    discovered = [(e["file"], e["error"]) for e in errors if e["step"] == "discover"]
    assert any(file == "passwd.pdf" and "outside the corpus" in message for file, message in discovered)
    manifest = " | ".join(message for file, message in discovered if file == "manifest.csv")
    for fragment in ("absent.pdf", "'2014-13-01'", "'someday'"):
        assert fragment in manifest


def _csv_cells(data: bytes):
    for row in csv.reader(io.StringIO(data.decode("utf-8"))):
        yield from row


def _xlsx_cells(data: bytes):
    from openpyxl import load_workbook

    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    yield cell.value


def _formula_cells(cells) -> list[str]:
    return [c for c in cells if c.startswith(FORMULA_START) and not NUMBER.fullmatch(c)]


@pytest.fixture(scope="module")
def client(hostile_run):
    from fastapi.testclient import TestClient

    from textmine.web import create_app

    return TestClient(create_app(hostile_run["out"]), base_url=BASE)


def test_no_cell_of_any_csv_or_xlsx_of_the_run_can_start_a_formula(hostile_run, client):
    out = hostile_run["out"]
    files = {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}
    assert {"errors.csv", "prevalence.csv", "recommendations.csv"} <= set(files)
    files["export.csv"] = client.get("/export.csv").content
    found = {name: _formula_cells(_csv_cells(data)) for name, data in files.items()}
    found["export.xlsx"] = _formula_cells(_xlsx_cells(client.get("/export.xlsx").content))
    assert all(not cells for cells in found.values()), found
    export = files["export.csv"].decode("utf-8")
    assert "'=HYPERLINK" in export and "'+SUM(1,2)" in export and "'@SUM(1)" in export  # kept, as text


def _hostile_passages(out: Path) -> list[dict]:
    return [p for p in store.read_passages(out / "passages.parquet") if p["file"] in ("minutes.html", "hostile_text.pdf")]


def test_hostile_passage_text_is_text_in_every_page_and_the_api(hostile_run, client):
    passages = _hostile_passages(hostile_run["out"])
    assert len(passages) >= len(HOSTILE_TEXTS)
    pages = [client.get("/").text, client.get("/queue").text] + [client.get(f"/passage/{p['id']}").text for p in passages]
    for page in pages:
        assert "<script>alert" not in page and " onmouseover=\"alert(1)\"" not in page and "onfocus='alert" not in page
    for p in passages:
        answer = client.get(f"/api/passages/{p['id']}")
        assert answer.status_code == 200 and answer.json()["text"] == p["text"]
    listed = client.get("/api/passages", params={"q": "onmouseover"}).json()
    assert any("onmouseover" in item["text"] for item in (listed.get("passages") or listed.get("items") or []))


def test_hostile_passage_text_is_text_in_the_report_and_valid_xml_in_the_qdpx(hostile_run, client):
    report = (hostile_run["out"] / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in report and "onmouseover=\"alert" not in report
    with zipfile.ZipFile(io.BytesIO(client.get("/export.qdpx").content)) as qdpx:
        root = ET.fromstring(qdpx.read("project.qde"))  # raises on broken XML
        texts = "".join(qdpx.read(n).decode("utf-8") for n in qdpx.namelist() if n.startswith("sources/"))
    assert root.tag.endswith("Project")
    assert "A CDATA end ]]> and a comment end -->" in texts and "<script>alert('passage')</script>" in texts


def _snapshot(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("passages.parquet", "errors.csv", "prevalence.csv", "report.html")}


def test_refused_runs_leave_the_outputs_intact(hostile_run, tmp_path):
    corpus, out = hostile_run["corpus"], hostile_run["out"]
    before = _snapshot(out)
    model = tmp_path / "model"
    shutil.copytree(hostile_run["model"], model)
    next(tamper for tamper, message in TAMPERED if message == "NaN or infinite")(model)
    manifest = (corpus / "manifest.csv").read_bytes()
    runs = [
        (["--model", str(model)], str(model)),
        (["--model", str(tmp_path / "no-model")], "no-model"),
    ]
    for args, name in runs:
        proc = subprocess.run([sys.executable, "-m", "textmine.cli", "run", str(corpus), "--out", str(out), *args],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1 and proc.stdout == ""
        one_clear_line(proc.stderr, name)
        assert _snapshot(out) == before
    (corpus / "manifest.csv").write_bytes(MANIFESTS["latin1"][0])
    try:
        proc = subprocess.run([sys.executable, "-m", "textmine.cli", "run", str(corpus), "--out", str(out),
                               "--model", str(hostile_run["model"])], capture_output=True, text=True, timeout=300)
    finally:
        (corpus / "manifest.csv").write_bytes(manifest)
    assert proc.returncode == 1
    one_clear_line(proc.stderr, "manifest.csv", "save it as UTF-8")
    assert _snapshot(out) == before
