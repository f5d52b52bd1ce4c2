"""Whole builds with real pdflatex, read back with pdftotext."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import pdf_text
from examgen.quality.layout import pdf_pages_text
from examgen.bank import load_bank
from examgen.build import BuildOptions, build
from examgen.errors import LatexError, SpecError
from examgen.inputs.paths import ROOT

DEMO = ROOT / "bank" / "exams" / "demo.yaml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    return build(BuildOptions(spec=DEMO, seed=7, out=out)).folder


def test_build_writes_paired_pdfs_key_and_sources(demo: Path) -> None:
    names = sorted(p.name for p in demo.iterdir())
    assert names == [".examgen-output", "answer-key.json", "answer-key.pdf", "answer-key.tex", "exam.pdf",
                     "exam.tex", "solutions.pdf", "solutions.tex"]
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
    assert "Answer:" not in (demo / "exam.tex").read_text()   # the exam's source holds no solutions
    total = sum(p["marks"] for q in questions for p in q["parts"])
    assert f"Total: {total:g} marks" in " ".join(exam.split())


def test_exam_pages_show_the_exam_code_never_the_seed(demo: Path) -> None:
    code = json.loads((demo / "answer-key.json").read_text())["variants"][0]["code"]
    pages = pdf_pages_text(demo / "exam.pdf")
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Exam code {code}" in page and f"Page {number} of {len(pages)}" in page
        assert not re.search(r"\bseed\b", page, re.I)
    assert code in pdf_text(demo / "answer-key.pdf") and "seed 7" in pdf_text(demo / "answer-key.pdf")


def test_answer_key_lists_every_part(demo: Path) -> None:
    key = pdf_text(demo / "answer-key.pdf")
    data = json.loads((demo / "answer-key.json").read_text())
    labels = [p["label"] for q in data["variants"][0]["questions"] for p in q["parts"]]
    assert labels == ["1a", "1b", "1c", "1d", "1e", "2", "3"]   # losses and attention are questions of their own
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


def test_one_tex_run_per_kind_split_into_each_variants_pdfs(tmp_path: Path) -> None:
    result = build(BuildOptions(spec=DEMO, seed=3, variants=3, out=tmp_path, jobs=2))
    folder = result.folder
    assert sorted(p.name for p in folder.glob("*.tex")) == ["all-exams.tex", "all-solutions.tex", "answer-key.tex"]
    key = json.loads((folder / "answer-key.json").read_text())
    codes = [v["code"] for v in key["variants"]]
    assert [v["variant"] for v in key["variants"]] == [1, 2, 3] and len(set(codes)) == 3
    for bundle, name in (("all-exams", "exam"), ("all-solutions", "solutions")):
        pages = pdf_pages_text(folder / f"{bundle}.pdf")
        start = 0
        for code, number in zip(codes, (1, 2, 3)):
            own = pdf_pages_text(folder / f"variant-{number:02d}" / f"{name}.pdf")
            assert start % 2 == 0                              # each variant starts on a recto
            assert own == pages[start:start + len(own)]        # the variant's PDF is its pages of the bundle
            for page_number, page in enumerate(own, start=1):  # numbered per variant, the cover counted
                assert f"Exam code {code}" in page and f"Page {page_number} of {len(own)}" in page
            start += len(own) + len(own) % 2
        assert start - len(pages) in (0, 1)                   # no pages but the variants' and blank versos
    assert not list(folder.rglob("*.pages")) and not list(folder.rglob("*.fmt"))
    again = build(BuildOptions(spec=DEMO, seed=3, variants=3, out=tmp_path / "again", jobs=2))
    for name in ("all-exams.pdf", "all-solutions.pdf", "answer-key.pdf", "variant-02/solutions.pdf"):
        assert (again.folder / name).read_bytes() == (folder / name).read_bytes(), name


def test_variant_folders_have_as_many_digits_as_the_largest_number_so_they_list_in_order() -> None:
    from examgen.build import variant_folder
    from examgen.export.items import ExportVariant
    from examgen.models import Variant

    assert variant_folder(Variant(7, []), 40) == "variant-07"
    names = [variant_folder(Variant(n, []), 200) for n in (1, 9, 10, 99, 100, 200)]
    assert names == sorted(names) == ["variant-001", "variant-009", "variant-010", "variant-099", "variant-100",
                                      "variant-200"]
    assert ExportVariant(9, "C", None, None, (), of=200).name == "variant-009"   # exports name files alike
    assert ExportVariant(9, "C", None, None, (), of=200).digits == "009"         # and label items


def test_a_build_of_100_variants_names_folders_and_key_rows_with_three_digits(tmp_path: Path) -> None:
    folder = build(BuildOptions(spec=DEMO, seed=5, variants=100, out=tmp_path)).folder
    folders = sorted(p.name for p in folder.glob("variant-*"))
    assert folders == [f"variant-{n:03d}" for n in range(1, 101)]
    key = pdf_text(folder / "answer-key.pdf")
    assert "Variant 001" in key and "Variant 100" in key and "Variant 01 " not in key


def test_roster_gives_each_student_a_named_cover_files_and_key_entry(tmp_path: Path) -> None:
    roster = tmp_path / "students.csv"
    roster.write_text("id,name\ns1,O'Brien & Søren_1\ns2,Zoë #2\n", encoding="utf-8")
    result = build(BuildOptions(spec=DEMO, seed=4, variants=9, out=tmp_path / "out", roster=roster))
    folder = result.folder
    assert len(result.variants) == 2                          # one per student, --variants overridden
    for sid, name in (("s1", "O'Brien & Søren_1"), ("s2", "Zoë #2")):
        cover = pdf_pages_text(folder / "students" / sid / "exam.pdf")[0]
        assert name in cover.replace("’", "'") and sid in cover
        assert (folder / "students" / sid / "solutions.pdf").exists()
    key = json.loads((folder / "answer-key.json").read_text())
    assert key["students"]["s2"] == {"name": "Zoë #2", "variant": 2, "code": key["variants"][1]["code"]}
    assert key["variants"][0]["student"] == {"id": "s1", "name": "O'Brien & Søren_1"}
    text = " ".join(pdf_text(folder / "answer-key.pdf").split()).replace("’", "'")
    assert "O'Brien & Søren_1 (s1)" in text and "Zoë #2 (s2)" in text


def test_roster_errors_are_one_clear_line(tmp_path: Path) -> None:
    roster = tmp_path / "students.csv"
    roster.write_text("id,name\ns1,A\ns1,B\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"students.csv: roster line 3: id 's1' is already on line 2"):
        build(BuildOptions(spec=DEMO, seed=4, out=tmp_path / "out", roster=roster))
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())




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
    path.write_text(path.read_text().replace("How many trainable", r"$\left( x$ How many trainable"))
    load_bank.cache_clear()
    with pytest.raises(LatexError) as err:
        build(BuildOptions(spec=spec, seed=1, out=tmp_path))
    message = str(err.value)
    assert "question conv2d-params" in message and "Missing \\right. inserted" in message
    assert re.search(r"\d+: .*\\left\( x", message)
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
    notes = solutions.split("Notes on the original paper", 1)
    assert len(notes) == 2 and "original paper" not in exam    # one section, at the end of the solutions
    shape = " × ".join(str(n) for n in volume["answers"]["volume"])  # the solver's corrected volume
    assert shape in notes[1] and "fast-cs4045" not in solutions and "template" not in solutions
    assert notes[1].index("Question 2") < notes[1].index("End of solutions")


def test_as_printed_needs_a_preset_prefix(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="demo.yaml: preset_prefix: needed"):
        build(BuildOptions(spec=DEMO, seed=1, out=tmp_path, as_printed=True))


def test_a_section_of_more_than_26_parts_letters_them_on_past_z(tmp_path: Path) -> None:
    """Issue 24 item 6: a section of 30 parts builds (LaTeX's \\alph stopped at z with "Counter too
    large"); the paper prints (aa), (ab), ... as the key does."""
    one_part = sorted(t.id for t in load_bank().values() if t.kind in ("short-answer", "essay", "multiple-choice")
                      and len(t.parts) == 1)[:30]
    spec = tmp_path / "long.yaml"
    spec.write_text("title: Long\ncourse: C\nsections:\n  - title: Everything\n"
                    f"    questions: [{', '.join(one_part)}]\n", encoding="utf-8")
    result = build(BuildOptions(spec=spec, seed=2, out=tmp_path / "out"))
    key = json.loads((result.folder / "answer-key.json").read_text())
    labels = [p["label"] for q in key["variants"][0]["questions"] for p in q["parts"]]
    assert labels[:2] == ["1a", "1b"] and labels[25:28] == ["1z", "1aa", "1ab"] and len(labels) == 30
    exam = pdf_text(result.folder / "exam.pdf")
    assert "(aa)" in exam and "(ad)" in exam and "(ae)" not in exam
