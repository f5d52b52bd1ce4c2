"""The graders' CSV, the JSON build against its schema, the `export` command, and every format on every spec."""
from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from lxml import etree, html as lhtml
from typer.testing import CliRunner

from examgen.cli import app
from examgen.write.answer_key import answer_key
from examgen.export.csv_key import write_csv
from examgen.export.json_build import write_json
from examgen.export.run import FORMATS, writers
from examgen.inputs.paths import ROOT

from export_support import DEMO, FULL, SPECS, sampled, write

SCHEMA = json.loads((ROOT / "docs" / "schema" / "build.schema.json").read_text(encoding="utf-8"))


def test_csv_has_one_row_per_student_and_part_with_codes_and_marks(tmp_path: Path) -> None:
    variants, build = sampled(FULL, 2, True)
    [path] = write(write_csv, build, tmp_path)
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(len(i.parts) for v in build.variants for i in v.items)
    for variant, v in zip(variants, build.variants, strict=True):
        mine = [r for r in rows if r["code"] == v.code]
        assert {r["student_id"] for r in mine} == {variant.student.id}
        assert sum(float(r["marks"]) for r in mine) == pytest.approx(sum(s.marks for s in variant.sections))
        assert [r["answer"] for r in mine] == [p.answer for s in variant.sections for q in s.questions for p in q.parts]
    numeric = [r for r in rows if r["kind"] == "numeric"]
    assert numeric
    for r in numeric:
        float(r["values"])  # a grader's spreadsheet reads a plain number


def test_json_build_validates_against_its_schema_and_matches_the_answer_key(tmp_path: Path) -> None:
    variants, build = sampled(FULL, 2, True)
    [path] = write(write_json, build, tmp_path)
    record = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(record, SCHEMA, cls=jsonschema.Draft202012Validator)
    key = answer_key(build.spec, build.seed, variants)
    for exported, keyed in zip(record["variants"], key["variants"], strict=True):
        assert [q["answers"] for q in exported["questions"]] == [q["answers"] for q in keyed["questions"]]
        assert [p["marks"] for q in exported["questions"] for p in q["parts"]] == \
               [p["marks"] for q in keyed["questions"] for p in q["parts"]]
    bad = json.loads(json.dumps(record))
    bad["variants"][0]["code"] = "not a code"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_export_command_writes_a_folder_and_names_students(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nada,Ada Lovelace\nalan,Alan Turing\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["export", str(DEMO), "--seed", "3", "--format", "json",
                                      "--roster", str(roster), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "out" / "demo-seed3-json").glob("*.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert [v["student"]["id"] for v in record["variants"]] == ["ada", "alan"]


def test_export_command_rejects_an_unknown_format_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", str(DEMO), "--seed", "1", "--format", "docx", "--out", str(tmp_path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--format" in lines[0] and "moodle" in lines[0]
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_format_on_every_spec_is_well_formed(spec: Path, tmp_path: Path) -> None:
    _, build = sampled(spec, 1)
    for name, writer in writers().items():
        files = write(writer, build, tmp_path / name)
        assert files and all(f.stat().st_size > 0 for f in files)
        for f in files:
            if f.suffix == ".xml":
                etree.parse(str(f))
            elif f.suffix == ".zip":
                with zipfile.ZipFile(f) as zf:
                    [etree.fromstring(zf.read(n)) for n in zf.namelist() if n.endswith(".xml")]
            elif f.suffix == ".json":
                jsonschema.validate(json.loads(f.read_text()), SCHEMA, cls=jsonschema.Draft202012Validator)
            elif f.suffix == ".html":
                assert lhtml.fromstring(f.read_bytes()).find(".//main") is not None
    assert set(writers()) == set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_command_publishes_every_formats_files(fmt: str, tmp_path: Path) -> None:
    """Through the CLI, so the publisher's allow-list lets each format's files out of staging."""
    result = CliRunner().invoke(app, ["export", str(DEMO), "--seed", "2", "--format", fmt, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [folder] = tmp_path.iterdir()
    published = [p for p in folder.rglob("*") if p.is_file() and p.name != ".examgen-output"]
    assert published and all(p.stat().st_size > 0 for p in published)
    assert f"exported {len(published)} file(s)" in result.output  # it counts what is there
