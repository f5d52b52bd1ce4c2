"""Whole builds with real pdflatex, read back with pdftotext."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import pdf_text
from examgen.bank import load_bank
from examgen.build import BuildOptions, build
from examgen.errors import LatexError, SpecError
from examgen.paths import ROOT

DEMO = ROOT / "bank" / "exams" / "demo.yaml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    return build(BuildOptions(spec=DEMO, seed=7, out=out)).folder


def test_build_writes_paired_pdfs_key_and_sources(demo: Path) -> None:
    names = sorted(p.name for p in demo.iterdir())
    assert names == ["answer-key.json", "answer-key.pdf", "answer-key.tex", "exam.pdf", "exam.tex",
                     "solutions.pdf", "solutions.tex"]
    assert not list(demo.parent.glob(".*partial*"))


def test_values_appear_in_exam_and_solutions_only_in_solutions(demo: Path) -> None:
    key = json.loads((demo / "answer-key.json").read_text())
    questions = key["variants"][0]["questions"]
    exam, solutions = pdf_text(demo / "exam.pdf"), pdf_text(demo / "solutions.pdf")
    conv = next(q for q in questions if q["template"] == "conv2d-params")
    total = str(conv["answers"]["total"])
    for text in (exam, solutions):
        assert f"takes {conv['params']['in_channels']} input channels" in " ".join(text.split())
    assert total in solutions and total not in exam
    assert "Solution." in solutions and "Solution." not in exam
    total = sum(p["marks"] for q in questions for p in q["parts"])
    assert f"Total: {total:g} marks" in " ".join(exam.split())


def test_answer_key_lists_every_part(demo: Path) -> None:
    key = pdf_text(demo / "answer-key.pdf")
    data = json.loads((demo / "answer-key.json").read_text())
    labels = [p["label"] for q in data["variants"][0]["questions"] for p in q["parts"]]
    assert labels == ["1a", "1b", "1c", "1d", "1e", "2a", "2b"]
    conv = next(q for q in data["variants"][0]["questions"] if q["template"] == "conv2d-params")
    assert str(conv["answers"]["total"]) in key


def test_same_seed_gives_byte_identical_pdfs(demo: Path, tmp_path: Path) -> None:
    again = build(BuildOptions(spec=DEMO, seed=7, out=tmp_path)).folder
    for name in ("exam.pdf", "solutions.pdf", "answer-key.pdf", "answer-key.json"):
        assert (again / name).read_bytes() == (demo / name).read_bytes(), name


def test_other_seed_gives_other_numbers(demo: Path, tmp_path: Path) -> None:
    other = build(BuildOptions(spec=DEMO, seed=8, out=tmp_path)).folder
    first = json.loads((demo / "answer-key.json").read_text())["variants"][0]["questions"]
    second = json.loads((other / "answer-key.json").read_text())["variants"][0]["questions"]
    assert [q["params"] for q in first] != [q["params"] for q in second]


def test_variants_get_their_own_folders(tmp_path: Path) -> None:
    result = build(BuildOptions(spec=DEMO, seed=3, variants=2, out=tmp_path, jobs=2))
    for v in ("variant-01", "variant-02"):
        assert (result.folder / v / "exam.pdf").exists() and (result.folder / v / "solutions.pdf").exists()
    key = json.loads((result.folder / "answer-key.json").read_text())
    assert [v["variant"] for v in key["variants"]] == [1, 2]
    assert "Variant 02" in pdf_text(result.folder / "variant-02" / "exam.pdf")
    bundle = pdf_text(result.folder / "all-exams.pdf")
    assert bundle.index("Variant 01") < bundle.index("Variant 02")
    pages = [pdf_pages(result.folder / v / "exam.pdf") for v in ("variant-01", "variant-02")]
    assert pdf_pages(result.folder / "all-exams.pdf") == sum(n + n % 2 for n in pages)  # each starts on a recto
    again = build(BuildOptions(spec=DEMO, seed=3, variants=2, out=tmp_path / "again", jobs=2))
    for name in ("all-exams.pdf", "all-solutions.pdf", "variant-02/solutions.pdf"):
        assert (again.folder / name).read_bytes() == (result.folder / name).read_bytes(), name


def pdf_pages(path: Path) -> int:
    import subprocess

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def _spec_with(bank: Path, template: str) -> Path:
    spec = bank / "exams" / "one.yaml"
    spec.write_text(f"title: One\ncourse: C\nsections:\n  - title: S\n    questions: [{template}]\n")
    return spec


def test_latex_error_names_template_quotes_log_and_keeps_old_output(scratch_bank: Path, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    spec = _spec_with(scratch_bank, "conv2d-params")
    good = build(BuildOptions(spec=spec, seed=1, out=tmp_path)).folder
    before = (good / "exam.pdf").read_bytes()
    path = scratch_bank / "cnn" / "conv2d-params.yaml"
    path.write_text(path.read_text().replace("How many trainable", r"\notamacro How many trainable"))
    load_bank.cache_clear()
    with pytest.raises(LatexError) as err:
        build(BuildOptions(spec=spec, seed=1, out=tmp_path))
    message = str(err.value)
    assert "question conv2d-params" in message and "Undefined control sequence" in message
    assert re.search(r"\d+: .*\\notamacro", message)
    assert (good / "exam.pdf").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [good.name]


def test_unknown_template_in_spec_is_a_spec_error(scratch_bank: Path, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(SpecError, match="one.yaml: unknown template id 'nope'"):
        build(BuildOptions(spec=_spec_with(scratch_bank, "nope"), seed=1, out=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_spec_section_title_and_intro_are_printed_as_text(scratch_bank: Path, tmp_path: Path) -> None:
    # a spec's strings are text, never LaTeX it could run (issue 12): \oops prints as it is written
    spec = scratch_bank / "exams" / "intro.yaml"
    spec.write_text("title: I\ncourse: C\nsections:\n  - title: S\n    questions: [conv2d-params]\n"
                    "  - title: T & 50% {x}\n    intro: \\oops here\n    questions: [cross-entropy]\n")
    result = build(BuildOptions(spec=spec, seed=1, out=tmp_path / "out"))
    text = pdf_text(result.folder / "exam.pdf")
    assert "\\oops here" in text and "T & 50% {x}" in text


def test_as_printed_uses_the_papers_values_and_notes_its_slips(tmp_path: Path) -> None:
    spec = ROOT / "bank" / "exams" / "fast-cs4045.yaml"
    result = build(BuildOptions(spec=spec, seed=1, out=tmp_path, as_printed=True))
    key = json.loads((result.folder / "answer-key.json").read_text())
    presets = {q["template"]: q.get("preset") for q in key["variants"][0]["questions"]}
    assert presets["conv-output-volume"] == "fast-cs4045-2a" and presets["self-attention"] == "fast-cs4045-7"
    volume = next(q for q in key["variants"][0]["questions"] if q["template"] == "conv-output-volume")
    printed = load_bank()["conv-output-volume"].presets["fast-cs4045-2a"].paper_answers
    assert volume["answers"]["volume"] != printed["volume"]  # the solver corrects the paper's slip
    solutions = " ".join(pdf_text(result.folder / "solutions.pdf").split())
    exam = " ".join(pdf_text(result.folder / "exam.pdf").split())
    assert "original paper" in solutions and "original paper" not in exam
    assert "fast-cs4045-2a" not in solutions and "template" not in solutions  # no internal ids or notes


def test_as_printed_needs_a_preset_prefix(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="demo.yaml: preset_prefix: needed"):
        build(BuildOptions(spec=DEMO, seed=1, out=tmp_path, as_printed=True))
