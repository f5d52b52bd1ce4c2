"""`examgen grade`: responses marked against the demo's answer key (3 variants, sampled in process),
the verdicts (correct, named mistake, follow-through, wrong, blank, manual), the class statistics
(facility, discrimination, per-variant ANOVA) against a direct computation, and the report."""
from __future__ import annotations

import csv
import os
import hashlib
import random
import shutil
import statistics
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from examgen.bank import load_bank
from examgen.build import Quiet, sample_variants
from examgen.export.items import export_build
from examgen.export.responses import write_responses
from examgen.export.figures import Figures
from examgen.grading.analysis import anova, f_sf
from examgen.grading.run import GradeError, grade, load_key
from examgen.grading.verdicts import written
from examgen.inputs.paths import ROOT
from examgen.solve import make_context
from examgen.solvers.handwork import layer_shape
from examgen.spec import load_spec
from examgen.write.answer_key import answer_key_json

DEMO = ROOT / "bank" / "exams" / "demo.yaml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """A build folder holding the demo's answer-key.json for 3 variants, and its key solved again."""
    spec = load_spec(DEMO)
    variants = sample_variants(spec, load_bank(), 7, 3, make_context("cpu"), Quiet())
    folder = tmp_path_factory.mktemp("build") / "demo-seed7"
    folder.mkdir()
    (folder / "answer-key.json").write_text(answer_key_json(spec, 7, variants), encoding="utf-8")
    return folder, load_key(folder), export_build(spec, 7, variants)


def write_rows(path: Path, rows: list[dict], columns=("code", "student", "label", "response", "marks")) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def key_text(part) -> str:
    return written(part.groups, part.response.kind)


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def graded_one(demo, tmp_path: Path, code: str, label: str, response: str, marks: str = "") -> dict:
    folder, _, _ = demo
    responses = write_rows(tmp_path / "r.csv", [{"code": code, "label": label, "response": response, "marks": marks}])
    result = grade(folder, responses, tmp_path / "out")
    return next(r for r in read_csv(result.folder / "grades.csv") if r["label"] == label)


def test_responses_copied_from_the_key_score_full_marks_and_the_build_is_untouched(demo, tmp_path: Path) -> None:
    folder, key, _ = demo
    before = snapshot(folder)
    rows = [{"code": code, "student": f"s{n}", "label": label, "response": key_text(part)}
            for n, (code, parts) in enumerate(key.keys.items()) for label, part in parts.items()]
    result = grade(folder, write_rows(tmp_path / "r.csv", rows), tmp_path / "out")
    grades = read_csv(result.folder / "grades.csv")
    assert len(grades) == len(rows)
    assert {g["verdict"] for g in grades} == {"correct"}
    assert all(float(g["marks"]) == float(g["max"]) for g in grades)
    students = read_csv(result.folder / "students.csv")
    assert [s["total"] for s in students] == [s["max"] for s in students] == ["19"] * 3
    assert snapshot(folder) == before      # grading never changes the build folder
    assert {p.name for p in result.files} == {"grades.csv", "students.csv", "items.csv", "report.html", "report.pdf",
                                            "s0.pdf", "s1.pdf", "s2.pdf"}


@pytest.mark.parametrize("written_as", ["{}", "{:,}", "{} parameters"])
def test_a_number_is_read_as_students_write_it(demo, tmp_path: Path, written_as: str) -> None:
    code, parts = next(iter(demo[1].keys.items()))
    total = int(parts["1a"].groups["total"][0].value)
    assert graded_one(demo, tmp_path, code, "1a", written_as.format(total))["verdict"] == "correct"


def test_an_exact_expression_is_correct_within_the_stated_precision(demo, tmp_path: Path) -> None:
    folder, key, _ = demo
    code = next(iter(key.keys))
    loss = key.keys[code]["2"].groups["loss"][0].value
    # an expression with that value: -ln(p) for p = exp(-loss), to many places
    import math

    p = Decimal(math.exp(-float(loss))).quantize(Decimal("1e-12"))
    assert graded_one(demo, tmp_path, code, "2", f"-ln({p})")["verdict"] == "correct"
    assert graded_one(demo, tmp_path, code, "2", f"{loss + Decimal('0.02')}")["verdict"] == "wrong"


def test_a_response_equal_to_a_named_mistake_gets_that_verdict_and_name(demo, tmp_path: Path) -> None:
    from examgen.solvers.mistakes import MISTAKES

    code, parts = next(iter(demo[1].keys.items()))
    for label in ("1a", "2", "1e"):
        name, why, groups = parts[label].mistakes[0]
        row = graded_one(demo, tmp_path, code, label, written(groups, parts[label].response.kind))
        assert row["verdict"] == f"mistake: {name}"
        assert row["marks"] == "0"
        assert row["detail"] == why and why    # the mistake's explanation (MISTAKES[name].why, plain)
        assert name in MISTAKES


def follow_through_case(part):
    """The part's layers with a wrong conv1 shape (2 too wide and high) and later shapes consistent with it."""
    names = list(part.groups)
    assert names[0] == "conv1"
    shape = [int(e.value) for e in part.groups["conv1"]]
    shape[-2:] = [shape[-2] + 2, shape[-1] + 2]
    shapes = {"conv1": shape}
    for layer in part.layers[1:]:
        shape = layer_shape(layer, shape)
        shapes[layer["name"]] = shape
    return names, shapes


def test_later_shapes_consistent_with_a_wrong_conv1_get_follow_through(demo, tmp_path: Path) -> None:
    code, parts = next(iter(demo[1].keys.items()))
    part = parts["1b"]
    names, shapes = follow_through_case(part)
    text = "; ".join(f"{n}: {shapes[n]}" for n in names)
    from examgen.grading.verdicts import mark

    verdict = mark(part, text)
    assert verdict.entries["conv1"] == "wrong"
    assert all(verdict.entries[n] == "follow-through" for n in names[1:])
    assert verdict.verdict == "follow-through"
    assert verdict.marks == round(part.marks * (len(names) - 1) / len(names) * 4) / 4
    row = graded_one(demo, tmp_path, code, "1b", text)
    assert row["verdict"] == "follow-through" and "conv1: wrong" in row["detail"]
    # a later shape that follows from neither the key nor the student's own is wrong
    shapes[names[3]] = [s + 1 for s in shapes[names[3]]]
    verdict = mark(part, "; ".join(f"{n}: {shapes[n]}" for n in names))
    assert verdict.entries[names[3]] == "wrong" and verdict.entries[names[2]] == "follow-through"
    # the right shapes from the start: no follow-through, all correct
    assert mark(part, key_text(part)).verdict == "correct"


def test_a_graders_marks_are_used_as_given(demo, tmp_path: Path) -> None:
    code, parts = next(iter(demo[1].keys.items()))
    row = graded_one(demo, tmp_path, code, "3", "the attention output is a weighted mean", marks="1.5")
    assert row["marks"] == "1.5" and row["verdict"] == "manual"
    row = graded_one(demo, tmp_path, code, "1a", key_text(parts["1a"]), marks="0.5")
    assert row["marks"] == "0.5" and "automatic verdict: correct" in row["detail"]
    with pytest.raises(GradeError, match="row 2: marks 9 outside 0 to 2"):
        graded_one(demo, tmp_path, code, "1a", "1", marks="9")


@pytest.mark.parametrize("response, reason", [
    ("The kernel slides over the image and we add it up", "unreadable"),
    ("[1, 2", "not closed"), ("__import__('os').system('true')", "unreadable"),
    ("9^9^9^9", "power"), ("[[1, 2], [3", "not closed"),
])
def test_an_unreadable_response_is_left_to_a_grader_with_the_reason(demo, tmp_path: Path, response, reason) -> None:
    code = next(iter(demo[1].keys))
    for label in ("1a", "1c", "1b"):
        row = graded_one(demo, tmp_path, code, label, response)
        assert row["verdict"] == "manual" and "unreadable" in row["detail"] and row["marks"] == ""
        assert reason in row["detail"] or label != "1c"     # a matrix says what is wrong with it


def test_blank_and_missing_responses_score_nothing(demo, tmp_path: Path) -> None:
    folder, key, _ = demo
    code = next(iter(key.keys))
    result = grade(folder, write_rows(tmp_path / "r.csv", [{"code": code, "label": "1a", "response": " "}]),
                   tmp_path / "out")
    grades = read_csv(result.folder / "grades.csv")
    assert len(grades) == len(key.keys[code])        # the parts without a row are blank too
    assert {g["verdict"] for g in grades} == {"blank"} and {g["marks"] for g in grades} == {"0"}


@pytest.mark.parametrize("row, message", [
    ({"code": "NOPE-123", "label": "1a", "response": "1"}, "r.csv row 2: unknown exam code 'NOPE-123'"),
    ({"code": "{code}", "label": "9z", "response": "1"}, "r.csv row 2: unknown label '9z'"),
    ({"student": "s-nobody", "label": "1a", "response": "1"}, "r.csv row 2: unknown student 's-nobody'"),
])
def test_an_unknown_code_or_label_is_one_line_naming_the_row(demo, tmp_path: Path, row, message) -> None:
    folder, key, _ = demo
    row = {k: v.format(code=next(iter(key.keys))) for k, v in row.items()}
    responses = write_rows(tmp_path / "r.csv", [row])
    with pytest.raises(GradeError, match=message):
        grade(folder, responses, tmp_path / "out")
    run = subprocess.run([sys.executable, "-m", "examgen", "grade", str(folder), "--responses", str(responses),
                          "--out", str(tmp_path / "cli")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0 and message in run.stderr


def test_the_blank_sheet_export_lists_every_variant_and_part_and_grades_as_blank(demo, tmp_path: Path) -> None:
    folder, key, build = demo
    files = write_responses(build, tmp_path, Figures())
    rows = read_csv(files[0])
    assert list(rows[0])[:5] == ["code", "student", "label", "response", "marks"]
    assert [(r["code"], r["label"]) for r in rows] == [(c, lab) for c, parts in key.keys.items() for lab in parts]
    result = grade(folder, files[0], tmp_path / "out")
    assert {g.verdict.verdict for g in result.rows} == {"blank"}


# --- a simulated class -------------------------------------------------------------------------

def simulate(key, seed: int, harder: tuple[str, str] | None = None, students: int = 200):
    """200 students on the 3 variants: each part answered from the key (with the student's ability),
    else with a named mistake, a wrong value or a blank. `harder` = (code, label): that part of that
    variant is mostly missed. Returns the rows and the marks each response is meant to earn."""
    codes = list(key.keys)
    rows, meant = [], {}
    for n in range(students):
        code, student = codes[n % 3], f"c{n:03d}"
        ability = random.Random(f"{seed}-{student}").uniform(0.2, 0.95)
        for label, part in key.keys[code].items():
            rng = random.Random(f"{seed}-{student}-{label}")   # the same draws with or without `harder`
            p = ability * (0.15 if harder == (code, label) else 1)
            draw = rng.random()
            if draw < p:
                text, marks = written(part.groups, part.response.kind), part.marks
            elif draw < p + (1 - p) * 0.5 and part.mistakes:
                text, marks = written(rng.choice(part.mistakes)[2], part.response.kind), 0.0
            elif draw < p + (1 - p) * 0.8 and part.response.kind != "values":
                off = 2 if part.depends else 1   # +1 would follow from a +1 earlier part: follow-through
                wrong = {g: [type(e)(e.label, e.value + off, e.tolerance, e.decimals) for e in es]
                         for g, es in part.groups.items()}
                text, marks = written(wrong, part.response.kind), 0.0
            else:
                text, marks = "", 0.0
            rows.append({"code": code, "student": student, "label": label, "response": text})
            meant[student, label] = marks
    return rows, meant


@pytest.fixture(scope="module")
def classes(demo, tmp_path_factory: pytest.TempPathFactory):
    folder, key, _ = demo
    out = {}
    harder = (list(key.keys)[1], "1a")
    for name, hard in (("fair", None), ("harder", harder)):
        tmp = tmp_path_factory.mktemp(name)
        rows, meant = simulate(key, 11, hard)
        result = grade(folder, write_rows(tmp / "r.csv", rows), tmp / "out")
        out[name] = (result, meant, hard)
    return out


def test_the_simulated_class_is_graded_as_meant(classes) -> None:
    result, meant, _ = classes["fair"]
    assert {(g.student, g.key.label): g.marks for g in result.rows} == meant
    assert {g.verdict.verdict for g in result.rows} >= {"correct", "mistake", "wrong", "blank"}


def test_facility_and_discrimination_equal_a_direct_computation(classes) -> None:
    result, meant, _ = classes["fair"]
    items = {i["label"]: i for i in read_csv(result.folder / "items.csv")}
    students = sorted({s for s, _ in meant})
    labels = sorted({lab for _, lab in meant})
    maxima = {g.key.label: g.key.marks for g in result.rows}
    totals = {s: sum(meant[s, lab] for lab in labels) for s in students}
    for label in labels:
        scores = [meant[s, label] for s in students]
        facility = statistics.mean(x / maxima[label] for x in scores)
        discrimination = statistics.correlation(scores, [totals[s] - meant[s, label] for s in students])
        assert float(items[label]["facility"]) == pytest.approx(facility, abs=6e-5)
        assert float(items[label]["discrimination"]) == pytest.approx(discrimination, abs=6e-5)
        assert discrimination > 0.1          # abler students get more right: the simulation discriminates
    totals_csv = {s["student"]: float(s["total"]) for s in read_csv(result.folder / "students.csv")}
    assert totals_csv == pytest.approx(totals)


def test_a_variant_made_harder_is_flagged_and_none_otherwise(classes) -> None:
    fair, _, _ = classes["fair"]
    harder, _, (code, label) = classes["harder"]
    from examgen.grading.analysis import variant_tests

    assert [t for t in variant_tests(fair.rows) if t.flagged] == []
    flagged = [t for t in variant_tests(harder.rows) if t.flagged]
    assert [(t.family, t.part) for t in flagged] == [("conv2d-params", "main")]
    means = {c: statistics.mean(s) for c, s in flagged[0].groups.items()}
    assert min(means, key=means.get) == code
    assert "differs" in (harder.folder / "report.html").read_text(encoding="utf-8")


def test_the_anova_p_value_matches_known_values() -> None:
    assert f_sf(4.96, 1, 10) == pytest.approx(0.05, abs=2e-4)      # F tables: the 5 % point of F(1, 10)
    assert f_sf(4.82, 2, 100) == pytest.approx(0.01, abs=2e-4)     # the 1 % point of F(2, 100)
    f, p = anova([[1, 2, 3], [1, 2, 3]])
    assert f == 0 and p == 1
    assert anova([[1, 1], [1, 1]]) == (None, None)


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed (CI never skips)")
def test_the_report_opens_in_chromium_with_its_plots(classes, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    result, _, _ = classes["harder"]
    page = result.folder / "report.html"
    text = page.read_text(encoding="utf-8")
    assert text.count('src="data:image/png;base64,') == 4     # distribution, items, mistakes, variants
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert "Facility and discrimination" in dom and dom.count("<img") == 4
    shot = tmp_path / "report.png"
    subprocess.run([*args, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
                   capture_output=True, timeout=120)
    gray = Image.open(shot).convert("L")
    assert ImageStat.Stat(gray).stddev[0] > 20


# --- the files instructors already have: AMC's scores, Moodle's responses report -------------------

def amc_questions(build, tmp_path: Path) -> list[list[str]]:
    """Each copy's AMC question names, read from the AMC source examgen exports (copy N = variant N)."""
    import re

    from examgen.export.amc import write_amc

    tex = write_amc(build, tmp_path, Figures())[0].read_text(encoding="utf-8")
    groups = {}
    for chunk in tex.split("\\element{")[1:]:
        groups.setdefault(chunk[:chunk.index("}")], []).extend(re.findall(r"\\begin\{question\w*\}\{([^}]*)\}", chunk))
    return [groups[g] for g in sorted(groups)]


def test_amcs_csv_export_of_scores_is_read_as_the_graders_marks_per_part(demo, tmp_path: Path) -> None:
    """AMC's CSV module writes `"Exam","A:id","Name","Mark",<question>...` quoted, with decimal commas;
    each copy's scores of a part's questions are summed into that part's marks."""
    from examgen.grading.formats import amc_name

    folder, key, build = demo
    copies = amc_questions(build, tmp_path)
    names = sorted({q for qs in copies for q in qs})
    assert "conv2d-params-q" in names and "conv2d-by-hand-b-1" in names
    lines = ['"Exam","A:id","Name","Mark",' + ",".join(f'"{n}"' for n in names)]
    meant = {}
    for number, (code, questions) in enumerate(zip(key.order, copies), start=1):
        scores = {}
        for label, part in key.keys[code].items():   # each question its share; half marks on 1d
            own = [q for q in questions if q == amc_name(part.family, part.own)
                   or q.startswith(amc_name(part.family, part.own) + "-")]
            scores.update({q: part.marks / len(own) * (0.5 if label == "1d" else 1) for q in own})
            meant[code, label] = part.marks * (0.5 if label == "1d" else 1)
        lines.append(f'"{number}","","","{sum(scores.values()):g}",'
                     + ",".join(f'"{str(scores[n]).replace(".", ",")}"' if n in scores else '""' for n in names))
    (tmp_path / "amc.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = grade(folder, tmp_path / "amc.csv", tmp_path / "out")
    assert {(g.code, g.key.label): g.marks for g in result.rows} == meant
    assert {g.verdict.verdict for g in result.rows} == {"manual"}
    assert all(g.student == g.code for g in result.rows)     # no roster: the copy number names the variant
    with pytest.raises(GradeError, match="copy '9' is not a variant number"):
        (tmp_path / "bad.csv").write_text(lines[0] + '\n"9","","","0",' + ",".join('""' for _ in names) + "\n")
        grade(folder, tmp_path / "bad.csv", tmp_path / "out2", source="amc")


def moodle_report(key, rows: list[tuple[str, str, list[str]]]) -> str:
    """A Moodle quiz Responses report as downloaded (CSV): identity columns, the attempt's state and
    times, its grade, then Response N and Right answer N per slot; `Exam code` added as a profile field."""
    slots = max(len(r) for _, _, r in rows)
    header = ["Surname", "First name", "ID number", "Email address", "Exam code", "State", "Started on", "Completed",
              "Time taken", "Grade/19.00"] + [c for n in range(1, slots + 1) for c in (f"Response {n}", f"Right answer {n}")]
    body = [["Doe", name, "", f"{name.lower()}@example.org", code, "Finished", "7 December 2026  9:00 AM",
             "7 December 2026  10:30 AM", "1 hour 30 mins", "-"] + [c for r in responses for c in (r, "")]
            for name, code, responses in rows]
    lines = [header, *body, ["Overall average"] + [""] * (len(header) - 1)]
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    return buffer.getvalue()


def test_moodles_responses_report_is_read_slot_by_slot_in_exam_order(demo, tmp_path: Path) -> None:
    folder, key, _ = demo
    first, second = key.order[:2]
    right = [key_text(p) for p in key.keys[first].values()]
    shape = [int(e.value) for e in key.keys[second]["1b"].groups[next(iter(key.keys[second]["1b"].groups))]]
    loss = key.keys[second]["2"]
    name, why, wrong = loss.mistakes[0]
    answers = ["-", "; ".join(f"part {i}: {x}" for i, x in enumerate(shape, 1)), "-", "-", "-",
               written(wrong, loss.response.kind), "-"]
    text = moodle_report(key, [("Ada", first, right), ("Ben", second.lower(), answers)])
    (tmp_path / "moodle.csv").write_text(text, encoding="utf-8")
    result = grade(folder, tmp_path / "moodle.csv", tmp_path / "out")
    by = {(g.student, g.key.label): g for g in result.rows}
    assert {by["ada@example.org", lab].verdict.verdict for lab in key.keys[first]} == {"correct"}
    assert by["ben@example.org", "2"].verdict.mistake == name
    assert by["ben@example.org", "1a"].verdict.verdict == "blank"
    if len(key.keys[second]["1b"].groups) == 1:      # a cloze of one shape: read in order
        assert by["ben@example.org", "1b"].verdict.verdict == "correct"


def test_the_report_pdf_and_a_feedback_pdf_per_student_name_marks_and_mistakes(demo, tmp_path: Path) -> None:
    folder, key, _ = demo
    code, parts = next(iter(key.keys.items()))
    name, why, wrong = parts["2"].mistakes[0]
    shapes = follow_through_case(parts["1b"])
    rows = [{"code": code, "student": "s-ada", "label": "1a", "response": key_text(parts["1a"])},
            {"code": code, "student": "s-ada", "label": "2", "response": written(wrong, parts["2"].response.kind)},
            {"code": code, "student": "s-ada", "label": "1b",
             "response": "; ".join(f"{n}: {shapes[1][n]}" for n in shapes[0])}]
    result = grade(folder, write_rows(tmp_path / "r.csv", rows), tmp_path / "out")
    report, sheet = result.folder / "report.pdf", result.folder / "feedback" / "s-ada.pdf"
    assert report in result.files and sheet in result.files
    for pdf in (report, sheet):
        assert pdf.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(sheet), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert f"Part 1a: {parts['1a'].marks:g} of {parts['1a'].marks:g} marks" in text
    assert "Part 2: 0 of 2 marks" in text and name in text
    assert " ".join(why.split()[1:4]) in text          # the mistake's explanation, in words
    assert "follow-through" in text and "Total:" in text
    summary = subprocess.run(["pdftotext", str(report), "-"], capture_output=True, text=True, check=True).stdout
    assert "Facility and discrimination" in summary and "Per-variant difficulty" in summary and name in summary


def test_a_later_part_computed_from_a_wrong_earlier_part_gets_follow_through(demo, tmp_path: Path) -> None:
    """Issue 26: the demo's 1d pools the student's own 1c (conv2d-by-hand declares `depends:`);
    a wrong 1c pooled correctly earns 1d's marks, as the marking guide says; the key's pooling of
    a wrong 1c, or a wrong pooling, does not."""
    from examgen.solvers.handwork import max_pool

    folder, key, _ = demo
    code, parts = next(iter(key.keys.items()))
    conv, pool = parts["1c"], parts["1d"]
    assert pool.depends == {"part": "a", "answer": "output", "credit": 1.0} and pool.follow is not None
    wrong = [row[:] for row in pool.answers["output"]]
    wrong[0][0] += 1
    pooled = max_pool(wrong, pool.params["pool"], 1)
    rows = [{"code": code, "label": "1c", "response": str(wrong)}, {"code": code, "label": "1d", "response": str(pooled)}]
    result = grade(folder, write_rows(tmp_path / "r.csv", rows), tmp_path / "out")
    got = {r["label"]: r for r in read_csv(result.folder / "grades.csv")}
    assert got["1c"]["verdict"] == "wrong" and float(got["1c"]["marks"]) == 0
    assert got["1d"]["verdict"] == "follow-through" and float(got["1d"]["marks"]) == pool.auto
    assert "your own answer to 1c" in got["1d"]["detail"]
    off = [[v + 1 for v in row] for row in pooled]      # pooled wrongly: no credit
    rows[1]["response"] = str(off)
    result = grade(folder, write_rows(tmp_path / "r2.csv", rows), tmp_path / "out2")
    assert {r["label"]: r for r in read_csv(result.folder / "grades.csv")}["1d"]["verdict"] == "wrong"


@pytest.mark.parametrize("paper", ["oslo-in5400-2022", "glasgow-compsci5103-2023"])
def test_a_paper_specs_key_copied_as_responses_scores_every_graded_part_full_marks(paper: str, tmp_path: Path) -> None:
    """Issue 26 on a paper spec: every auto-graded part answered from the key is correct with its
    full graded marks; prose waits for a grader (manual)."""
    spec = load_spec(ROOT / "bank" / "exams" / f"{paper}.yaml")
    variants = sample_variants(spec, load_bank(), 5, 2, make_context("cpu"), Quiet())
    folder = tmp_path / f"{paper}-seed5"
    folder.mkdir()
    (folder / "answer-key.json").write_text(answer_key_json(spec, 5, variants), encoding="utf-8")
    key = load_key(folder)
    roman = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"]

    def copied(part) -> str:   # what the key says, as a student writes it
        if part.correct_options:
            return ", ".join(roman[i] for i in part.correct_options)
        return key_text(part) if part.groups else "a written answer"
    rows = [{"code": code, "label": label, "response": copied(part)}
            for code, parts in key.keys.items() for label, part in parts.items()]
    result = grade(folder, write_rows(tmp_path / "r.csv", rows), tmp_path / "out")
    graded = [g for g in result.rows if g.key.auto and (g.key.groups or g.key.correct_options)]
    assert graded and all(g.verdict.verdict == "correct" and g.marks == g.key.auto for g in graded), \
        [(g.key.label, g.verdict.text, g.verdict.detail) for g in graded if g.verdict.verdict != "correct"][:5]
    assert {g.verdict.verdict for g in result.rows if g.key.response.kind == "prose"} <= {"manual"}
