"""The command line through click's runner: help, extract, classify, evaluate, errors."""

from __future__ import annotations

import json
import re
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


def test_a_plain_non_editable_install_has_the_flows_templates_and_default_model(tmp_path):
    import subprocess
    import sys

    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = wheel_dir.glob("textmine-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import textmine, flows.pipeline, textmine.web;"
        "from textmine.classify import default_model_path, load_model;"
        "p = default_model_path(); assert str(p).startswith(sys.argv[1]), p;"
        "print(load_model().predict(['Caseloads are far too high.'])[0]['themes'])"
    )
    result = subprocess.run([sys.executable, "-c", code, str(target)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "capacity_and_resources" in result.stdout
