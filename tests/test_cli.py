"""The command line through click's runner: help, extract, classify, evaluate, errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from textmine.cli import main

ROOT = Path(__file__).resolve().parent.parent


def commands() -> list[str]:
    return sorted(main.commands)


@pytest.mark.parametrize("name", commands())
def test_every_command_has_help_and_is_in_the_readme(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert len(main.commands[name].help or "") > 40
    assert re.search(rf"textmine {name}\b", (ROOT / "README.md").read_text()), f"README does not show `textmine {name}`"


def test_extract_prints_json_lines_with_kind_page_and_section(fixtures):
    result = CliRunner().invoke(main, ["extract", str(fixtures["features-formal"])])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {"heading", "paragraph", "bullet", "table_cell"} <= {r["kind"] for r in rows}
    assert all({"text", "page", "kind", "section"} <= set(r) for r in rows)


def test_extract_of_a_bad_file_is_one_clear_line(fixtures):
    result = CliRunner().invoke(main, ["extract", str(fixtures["not_a_pdf"])])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: not_a_pdf.pdf is not a PDF (it starts with b'<html')"


def test_classify_round_trips_ids_and_fields(tiny_model_dir):
    lines = "\n".join(json.dumps({"id": i, "text": t}) for i, t in enumerate(["Caseloads are high.", "Children are listened to."]))
    result = CliRunner().invoke(main, ["classify", "--model", str(tiny_model_dir)], input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in rows] == [0, 1]
    assert all(set(r) == {"id", "themes", "factors", "stage", "recommendation", "audience", "scores"} for r in rows)


def test_classify_names_a_malformed_line(tiny_model_dir):
    result = CliRunner().invoke(main, ["classify", "--model", str(tiny_model_dir)], input='{"id": 1, "text": "ok"}\nnot json\n')
    assert result.exit_code == 1
    assert "stdin: line 2 is not valid JSON" in result.output


def test_the_installed_script_keeps_exit_statuses_and_delivers_all_its_output_through_a_pipe(fixtures, tmp_path):
    """The script ends the process without interpreter teardown: statuses and piped output must survive that."""
    script = Path(sys.executable).parent / "textmine"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120)

    version = run("--version")
    assert version.returncode == 0 and "version" in version.stdout
    missing = run("classify", "--model", str(tmp_path / "no-model"))
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1 and "no-model" in missing.stderr
    assert run("no-such-command").returncode == 2
    extracted = run("extract", str(fixtures["features-formal"]))
    in_process = CliRunner().invoke(main, ["extract", str(fixtures["features-formal"])])
    assert extracted.returncode == 0 and extracted.stdout == in_process.output
    assert [json.loads(line) for line in extracted.stdout.splitlines()]


def test_evaluate_prints_per_label_scores_and_macros(tiny_model_dir, tmp_path, tiny_examples):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in tiny_examples))
    result = CliRunner().invoke(main, ["evaluate", str(path), "--model", str(tiny_model_dir), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["n"] == len(tiny_examples)
    assert set(report["macro"]) >= {"theme", "factor", "stage", "recommendation"}
    text = CliRunner().invoke(main, ["evaluate", str(path), "--model", str(tiny_model_dir)]).output
    assert "kappa" in text and "capacity_and_resources" in text


def test_a_missing_model_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["classify", "--model", str(tmp_path)], input='{"id": 1, "text": "x"}\n')
    assert result.exit_code == 1 and "not a textmine model folder" in result.output


def test_run_refuses_a_missing_corpus(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_train_without_data_outside_a_checkout_asks_for_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["train"])
    assert result.exit_code == 1
    assert "no training data given and there is no corpus/training here: pass --data" in result.output


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """textmine built as a wheel, once for this module."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(folder), str(ROOT)],
                   check=True, capture_output=True)
    (built,) = folder.glob("textmine-*.whl")
    return built


def test_the_wheel_ships_only_the_textmine_package_and_run_dependencies(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        requires = [line for line in archive.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")]
    assert {name.split("/")[0] for name in names} == {"textmine", metadata.split("/")[0]}
    assert {"textmine/flows/pipeline.py", "textmine/flows/train.py", "textmine/_models/default/model.json",
            "textmine/_models/default/weights.npz", "textmine/templates/index.html"} <= set(names)
    assert "textmine/compare.py" not in names
    typesetting = [line for line in requires if "reportlab" in line or "pyphen" in line]
    assert typesetting and all("; extra == " in line for line in typesetting), typesetting  # only with an extra


def test_a_fresh_install_of_the_wheel_runs_without_reportlab_and_has_no_flows_package(wheel, tmp_path, fixtures):
    """The wheel alone in a new venv: its dependencies come from this test environment instead of PyPI
    (the same packages, not downloaded again), with reportlab and pyphen blocked, so the run proves that
    nothing on its path imports them."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (site / "test_no_typesetting.pth").write_text("import sys; sys.modules.update(reportlab=None, pyphen=None)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PREFECT_API_URL")}  # its own temporary server
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")

    def python_c(code: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(python), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)

    assert "No module named 'flows'" in python_c("import flows").stderr
    assert "halted" in python_c("import reportlab").stderr  # the block works
    where = python_c("import textmine.flows.pipeline as m; print(m.__file__)")
    assert where.stdout.startswith(str(site)), where.stderr
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(fixtures["features-formal"], corpus / "report.pdf")
    run = subprocess.run([str(venv / "bin" / "textmine"), "run", str(corpus), "--out", str(tmp_path / "out")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "textmine run completed: 1 documents (1 extracted" in run.stdout
    assert (tmp_path / "out" / "report.html").exists() and (tmp_path / "out" / "passages.parquet").exists()


@pytest.fixture
def published(tmp_path):
    from textmine import store
    from textmine.run import publish_outputs

    from test_web import PASSAGES

    publish_outputs(tmp_path, PASSAGES, [], record={"run_id": store.new_run_id()})
    return tmp_path


@pytest.mark.parametrize(
    "args, message, secret",
    [
        (["--token", "ana:secret-one", "--token", "ben-secret-two"], "token #2 (from --token) is not name:token", "secret-two"),
        (["--token", "ana:shared-secret", "--token", "ben:shared-secret"], "tokens #1 and #2 are the same secret", "shared-secret"),
        (["--host", "0.0.0.0"], "needs access tokens", None),
        (["--allow-host", "not a name"], "--allow-host 'not a name' is not a host name", None),
        (["--port", "0"], "port must be a number from 1 to 65535", None),
    ],
)
def test_browse_refuses_bad_settings_at_start_without_printing_a_secret(published, args, message, secret):
    result = CliRunner().invoke(main, ["browse", str(published), *args], env={"TEXTMINE_TOKENS": ""})
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert secret is None or secret not in result.output


def test_browse_serves_its_own_address_and_refuses_other_hosts_and_sites(published):
    import http.client
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "textmine.cli", "browse", str(published), "--port", str(port),
         "--token", "ana:secret-cli-1", "--allow-host", "textmine.example.org"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "TEXTMINE_TOKENS": ""},
    )
    try:
        def request(method, host, headers=None, body=None):
            deadline = time.time() + 30
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request(method, "/api/passages/p1/labels" if body else "/api/passages", body=body,
                                 headers={"Host": host, **(headers or {})})
                    return conn.getresponse().status
                except ConnectionRefusedError:
                    assert time.time() < deadline and proc.poll() is None, "the browser did not start"
                    time.sleep(0.2)

        assert request("GET", f"127.0.0.1:{port}") == 200
        assert request("GET", f"localhost:{port}") == 200
        assert request("GET", "textmine.example.org") == 200
        assert request("GET", f"evil.example:{port}") == 421
        body = '{"stage": "action"}'
        assert request("PUT", f"127.0.0.1:{port}", {"Origin": "http://evil.example"}, body) == 403
        assert request("PUT", f"127.0.0.1:{port}", {"Origin": f"http://127.0.0.1:{port}"}, body) == 200
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert f"textmine browser on http://127.0.0.1:{port}/" in output and "secret-cli-1" not in output
    from textmine.corrections import latest_corrections

    assert list(latest_corrections(published / "corrections.sqlite")) == ["p1"]


def test_audit_draws_prints_grows_and_imports(tmp_path):
    from test_audit import PASSAGES

    from textmine import store
    from textmine.run import publish_outputs

    publish_outputs(tmp_path, PASSAGES, [], record={"run_id": store.new_run_id()})
    first = CliRunner().invoke(main, ["audit", str(tmp_path), "--size", "5", "--seed", "3"])
    assert first.exit_code == 0, first.output
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    assert [r["position"] for r in rows] == [1, 2, 3, 4, 5]
    assert {"id", "file", "page", "text", "model_labels", "audit_labels"} <= set(rows[0])
    assert "audit sample of 5 passages (seed 3), 5 added now: 0 of 5 done" in first.stderr
    grown = CliRunner().invoke(main, ["audit", str(tmp_path), "--size", "8", "--blind"])
    again = [json.loads(line) for line in grown.stdout.splitlines()]
    assert [r["id"] for r in again[:5]] == [r["id"] for r in rows] and len(again) == 8, "grown, not redrawn"
    assert "model_labels" not in again[0]
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(json.dumps({**r, "themes": [], "factors": ["monitoring"], "stage": None,
                                             "recommendation": False}) for r in again[:2]), encoding="utf-8")
    imported = CliRunner().invoke(main, ["audit", str(tmp_path), "--labels", str(answers)])
    assert imported.exit_code == 0, imported.output
    assert "imported 2 audit answers" in imported.stderr and "2 of 8 done" in imported.stderr


def test_a_bad_audit_import_is_one_clear_line(tmp_path):
    from test_audit import PASSAGES

    from textmine import store
    from textmine.run import publish_outputs

    publish_outputs(tmp_path, PASSAGES, [], record={"run_id": store.new_run_id()})
    none_yet = CliRunner().invoke(main, ["audit", str(tmp_path)])
    assert none_yet.exit_code == 1 and f"no audit sample yet: draw one with `textmine audit {tmp_path} --size 60`" in none_yet.output
    CliRunner().invoke(main, ["audit", str(tmp_path), "--size", "3", "--seed", "1"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "p00", "themes": ["nope"], "factors": [], "stage": null, "recommendation": false}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(tmp_path), "--labels", str(bad)])
    assert result.exit_code == 1 and result.output.startswith(f"Error: {bad}: line 1: ")
    assert "Traceback" not in result.output
