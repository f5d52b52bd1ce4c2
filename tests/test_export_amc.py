"""The AMC source run through `auto-multiple-choice prepare` (Debian package): the copies compile, one per
variant with its code and student, and AMC's own scoring data holds the key's numbers and choices."""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from examgen.bank import load_bank
from examgen.build import BuildOptions, Quiet, sample_variants
from examgen.build import build as build_paper
from examgen.export.amc import write_amc
from examgen.export.items import ExportBuild, ExportVariant, Item, ItemPart, export_build
from examgen.export.values import Value
from examgen.inputs.paths import ROOT
from examgen.models import RenderedOption, SectionSpec, Student
from examgen.solve import make_context
from examgen.spec import load_spec

from conftest import pdf_text
from export_support import DEMO, FULL, SPECS, sampled, write

AMC = shutil.which("auto-multiple-choice")
# `make test` installs it (scripts/install-test-tools.sh); only a bare pytest elsewhere may skip.
pytestmark = pytest.mark.skipif(AMC is None and not os.environ.get("CI"), reason="auto-multiple-choice is not installed")


def prepare(source: Path) -> Path:
    """`prepare --mode s` (question sheets, corrected sheets) then `--mode b` (scoring data)."""
    project = source.parent / "project"
    (project / "data").mkdir(parents=True)
    for mode in (["--mode", "s", "--prefix", f"{project}/"], ["--mode", "b"]):
        run = subprocess.run([AMC, "prepare", *mode, "--data", str(project / "data"), "--with", "pdflatex",
                              "--epoch", "0", source.name], cwd=source.parent, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return project


def test_copies_compile_with_codes_students_and_the_keys_numbers(tmp_path: Path) -> None:
    _, build = sampled(FULL, 2, True)
    [source] = write(write_amc, build, tmp_path)
    project = prepare(source)
    sheets = pdf_text(project / "sujet.pdf")
    for variant in build.variants:
        assert variant.code in sheets and variant.student_name in sheets
    db = sqlite3.connect(project / "data" / "scoring.sqlite")
    titles = dict(db.execute("select question, title from scoring_title"))
    copies = {row[0] for row in db.execute("select student from scoring_question")}
    assert copies == {1, 2}
    numbers = {(s, titles[q]): dict(kv.split("=", 1) for kv in strategy.split(",") if "=" in kv)
               for s, q, strategy in db.execute("select student, question, strategy from scoring_question")}
    checked = 0
    for copy, variant in enumerate(build.variants, start=1):
        for item in variant.items:
            for part in item.parts:
                name = f"{item.family}-{part.own or 'q'}"
                if part.kind == "numeric":
                    assert float(numbers[(copy, name)]["numval"]) == pytest.approx(part.values[0].value)
                    checked += 1
                if part.kind == "choice":
                    q = next(k for k, t in titles.items() if t == name)
                    marked = [c for _, c in sorted(db.execute(
                        "select answer, correct from scoring_answer where student=? and question=? and answer > 0",
                        (copy, q)))]  # answer 0: the "none of these" box completemulti adds
                    assert marked == [int(c.correct) for c in part.choices]
                    checked += 1
    assert checked


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s for s in SPECS if s != FULL], ids=lambda p: p.stem)
def test_every_spec_compiles_in_amc(spec: Path, tmp_path: Path) -> None:
    _, build = sampled(spec, 1)
    [source] = write(write_amc, build, tmp_path)
    project = prepare(source)
    assert (project / "sujet.pdf").stat().st_size > 0 and (project / "corrige.pdf").stat().st_size > 0


@pytest.mark.parametrize("printed, places, key", [
    ("12", 0, "12"), ("2.50", 2, "2.50"), (r"\frac{1}{3}", 4, "0.3333"), (r"-\frac{7}{4}", 4, "-1.7500"),
])
def test_numeric_keys_keep_the_places_the_printed_answer_has(printed: str, places: int, key: str) -> None:
    """AMC grades the digits typed: a fraction printed exactly is still typed with four places."""
    from examgen.export.amc import _numeric
    from examgen.export.values import printed_values

    [value] = printed_values(f"${printed}$")
    assert value.decimals == places
    assert f"\\AMCnumericChoices{{{key}}}" in _numeric("q", "", value, 1.0, "", "")


# --- AMC reading the copies back: association, layout, scoring ---------------------------------

GLASGOW = ROOT / "bank" / "exams" / "glasgow-compsci5103-2023.yaml"
ROSTER = (Student("s-ada", "Ada Lovelace"), Student("s-alan", "Alan Turing"), Student("s-grace", "Grace Hopper"))
DPI = 100   # the scans' resolution: AMC's own examples scan at 150-300; 100 reads clean renders


def amc(*args: object, cwd: Path | None = None) -> None:
    run = subprocess.run([AMC, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, f"auto-multiple-choice {args[0]}: " + run.stdout[-2000:] + run.stderr[-2000:]


def rostered(spec: Path, students: tuple[Student, ...] = ROSTER, seed: int = 7) -> ExportBuild:
    """The build a roster gives: one variant per student, named on its copy."""
    exam = load_spec(spec)
    variants = sample_variants(exam, load_bank(), seed, len(students), make_context("cpu"), Quiet(),
                               students=list(students))
    return export_build(exam, seed, variants)


def scan(project: Path, ticks: list[tuple[int, str, int]] = ()) -> sqlite3.Connection:
    """AMC reads the printed question sheets back as a scanner's pages, as its users do after an
    exam: `meptex` (the boxes' layout from the LaTeX run), every page of sujet.pdf rendered in grey
    (pdftoppm), with the boxes in `ticks` — (copy, question name, answer number as AMC numbers it)
    — filled in black, then `analyse` (AMC's own box detection) and `note` (its scoring).
    Returns AMC's scoring database."""
    data = project / "data"
    amc("meptex", "--src", project / "calage.xy", "--data", data)
    scans = project / "scans"
    scans.mkdir()
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", str(project / "sujet.pdf"), str(scans / "p")], check=True)
    rendered = sorted(scans.glob("p-*.pgm"))
    layout = sqlite3.connect(data / "layout.sqlite")
    # the pages AMC laid out (a blank page padding a copy to an even count has no marks: not scanned)
    pages = {(s, p): rendered[n - 1] for s, p, n in layout.execute("select student, page, subjectpage from layout_page")}
    [(dpi,)] = layout.execute("select distinct dpi from layout_page")
    boxes: dict[Path, list[tuple[float, ...]]] = {}
    for copy, name, answer in ticks:
        [(page, *box)] = layout.execute(
            "select b.page, b.xmin, b.xmax, b.ymin, b.ymax from layout_box b join layout_question q"
            " on q.question = b.question where b.student = ? and q.name = ? and b.answer = ? and b.role = 1",
            (copy, name, answer)).fetchall()
        boxes.setdefault(pages[(copy, page)], []).append(tuple(c * DPI / dpi for c in box))
    for pgm, filled in boxes.items():
        _fill(pgm, filled)
    listing = project / "scans.txt"
    listing.write_text("".join(f"{p}\n" for p in sorted(pages.values())))
    (project / "cr").mkdir()
    amc("analyse", "--projet", project, "--data", data, "--cr", project / "cr", "--liste-fichiers", listing)
    amc("note", "--data", data, "--seuil", "0.15")
    return sqlite3.connect(data / "scoring.sqlite")


def _fill(pgm: Path, boxes: list[tuple[float, ...]]) -> None:
    """Ink the middle of each box (x0, x1, y0, y1 in pixels) of a binary greyscale PGM, as a pen would."""
    raw = pgm.read_bytes()
    magic, width, height, depth = raw.split(maxsplit=4)[:4]
    assert magic == b"P5" and depth == b"255"
    start = len(raw) - int(width) * int(height)
    pixels = bytearray(raw[start:])
    for x0, x1, y0, y1 in boxes:
        dx, dy = (x1 - x0) * 0.2, (y1 - y0) * 0.2
        for y in range(round(y0 + dy), round(y1 - dy)):
            row = y * int(width)
            pixels[row + round(x0 + dx):row + round(x1 - dx)] = bytes(round(x1 - dx) - round(x0 + dx))
    pgm.write_bytes(raw[:start] + bytes(pixels))


def test_amc_associates_every_roster_copy_with_its_student(tmp_path: Path) -> None:
    """Each roster copy carries \\AMCassociation{id}: after a scan, association-auto --pre-association
    names every copy's student from the students list, with no ID grid to fill in."""
    build = rostered(DEMO)
    [source] = write(write_amc, build, tmp_path)
    project = prepare(source)
    scan(project)
    layout = sqlite3.connect(project / "data" / "layout.sqlite")
    assert dict(layout.execute("select student, id from layout_association")) == \
        {n: v.student_id for n, v in enumerate(build.variants, start=1)}
    students = project / "students.csv"
    students.write_text("id,name\n" + "".join(f"{s.id},{s.name}\n" for s in ROSTER), encoding="utf-8")
    amc("association-auto", "--pre-association", "--data", project / "data", "--liste", students,
        "--liste-key", "id", "--hard-fail")
    associated = sqlite3.connect(project / "data" / "association.sqlite").execute(
        "select student, copy, auto, manual from association_association").fetchall()
    assert {(s, c, a) for s, c, a, _ in associated} == {(n, 0, v.student_id) for n, v in enumerate(build.variants, start=1)}
    assert len(associated) == len(ROSTER) == 3


def test_names_in_other_scripts_print_on_amcs_copies(tmp_path: Path) -> None:
    """AMC compiles with pdflatex: a name it cannot set comes as the PDF of it XeLaTeX typeset
    beside the source (examgen-names-<n>.pdf), and reads back from AMC's own sheets."""
    students = (Student("s1", "Иван Петров"), Student("s2", "李雷"), Student("s3", "Zoë Brontë"))
    build = rostered(DEMO, students)
    source, *sheets = write(write_amc, build, tmp_path)
    assert [p.name for p in sheets] == ["examgen-names-1.pdf", "examgen-names-2.pdf"]   # one per name
    project = prepare(source)
    sheets = pdf_text(project / "sujet.pdf")
    for student in students:
        assert student.name in sheets, student


@pytest.mark.pdf
def test_a_stem_prints_once_and_a_copy_is_about_as_long_as_the_paper(tmp_path: Path) -> None:
    """A stem (and its figure) shared by several parts prints once, before its first part, every
    question's parts stay together in exam order, and a copy takes about the paper's pages."""
    _, build = sampled(GLASGOW, 1)
    [variant] = build.variants
    [source] = write(write_amc, build, tmp_path)
    tex = source.read_text(encoding="utf-8")
    shared = [item for item in variant.items if item.stem and len(item.parts) > 1]
    assert shared and any("tikzpicture" in item.stem for item in shared)
    for item in shared:
        assert tex.count(item.stem.strip()) == 1, item.family
    project = prepare(source)
    amc("meptex", "--src", project / "calage.xy", "--data", project / "data")
    layout = sqlite3.connect(project / "data" / "layout.sqlite")
    first: dict[str, tuple[int, float]] = {}
    for name, page, y in layout.execute("select q.name, b.page, b.ymin from layout_box b join layout_question q"
                                        " on q.question = b.question where b.student = 1"):
        first[name] = min(first.get(name, (page, y)), (page, y))
    parts = {f"{item.family}-{part.own or 'q'}": (i, j)
             for i, item in enumerate(variant.items) for j, part in enumerate(item.parts)}

    def part_of(name: str) -> tuple[int, int]:   # a part's grids are <name>-1, -2 ..., its hand-marked box <name>-hand
        return parts[max((k for k in parts if name == k or name.startswith(k + "-")), key=len)]

    placed = [part_of(name) for name in sorted(first, key=first.get)]
    assert placed == sorted(placed) and set(placed) == set(parts.values())   # every part, in exam order
    sheets = pdf_text(project / "sujet.pdf")
    paper = build_paper(BuildOptions(GLASGOW, seed=7, out=tmp_path / "built", preamble_format=False))
    built = pdf_text(paper.folder / "exam.pdf").count("\f")
    pages = sheets.count("\f")
    assert built - 1 <= pages <= built + 2, (pages, built)   # an even count: AMC pads for two-sided printing


def _synthetic() -> ExportBuild:
    """Six copies of one small exam, to tick differently: a stem shared by a multiple-answer part
    (2 of 5 options right, 4 marks of which 1 by hand) and a number stated to 2 places, then (first
    in the variant's order, last in the copy) a question from an optional section."""
    spec = replace(load_spec(DEMO), sections=(SectionSpec("Counted", ()),
                                              SectionSpec("Extra", (), optional="PhD candidates only")))
    greek = tuple(RenderedOption(t, c) for t, c in
                  [("alpha", True), ("beta", False), ("gamma", True), ("delta", False), ("epsilon", False)])
    choice = ItemPart("1a", "a", 4.0, "choice", "Tick alpha and gamma.", "", "alpha, gamma",
                      choices=greek, multiple=True, manual=1.0)
    number = ItemPart("1b", "b", 2.0, "numeric", "The loss, to 2 decimal places?", "", "1.05",
                      values=(Value(1.05, 0.005, "1.05", "loss"),))
    extra = ItemPart("2a", "", 2.0, "choice", "Is this counted?", "", "no",
                     choices=(RenderedOption("yes", False), RenderedOption("no", True)), optional=True)
    items = (Item(2, "extra", "Extra", "", "Extra", "", "", (extra,)),
             Item(1, "greek", "Greek", "", "Counted", "A stem both parts share.", "", (choice, number)))
    return ExportBuild(spec, 1, tuple(ExportVariant(n, f"C{n}", None, None, items, 6) for n in range(1, 7)))


def _number_ticks(db: sqlite3.Connection, copy: int, name: str, digits: str) -> list[tuple[int, str, int]]:
    """The boxes to tick for `digits` in a numeric grid, found from AMC's own scoring data: each box
    sets one digit (set.digitD=0 ... set.digitA=9, D the leftmost of four)."""
    [(question,)] = db.execute("select question from scoring_title where title = ?", (name,))
    boxes = dict(db.execute("select strategy, answer from scoring_answer where student = ? and question = ?",
                            (copy, question)))
    letters = [chr(ord("A") + i) for i in reversed(range(len(digits)))]
    return [(copy, name, boxes[f",set.digit{letter}={d}"]) for letter, d in zip(letters, digits)]


def test_amc_scores_ticked_sheets_by_examgens_rules(tmp_path: Path) -> None:
    """AMC scores scanned ticks as examgen does: several right options each earn marks/(right ones),
    each wrong one ticked loses marks/(wrong ones), never below zero; the hand-marked share is an
    \\AMCOpen box worth it; a number's grid reads the stated places; an optional question is
    scored but, indicative, left out of the total (and printed after the counted ones)."""
    build = _synthetic()
    [source] = write(write_amc, build, tmp_path)
    project = prepare(source)
    db = sqlite3.connect(project / "data" / "scoring.sqlite")
    ticked = {1: {1, 3}, 2: {1}, 3: {1, 2}, 4: set(), 5: {1, 2, 3}, 6: {1, 2, 4, 5}}  # alpha, gamma right
    hand = {1: 3, 2: 2, 3: 1}                     # AMCOpen's boxes: 1 "0", 2 "h" (half), 3 "f" (full)
    ticks = [(c, "greek-a", a) for c, answers in ticked.items() for a in answers]
    ticks += [(c, "greek-a-hand", box) for c, box in hand.items()]
    ticks += _number_ticks(db, 1, "greek-b", "0105") + _number_ticks(db, 2, "greek-b", "0106")
    ticks += [(1, "extra-q", 2)]
    db.close()
    db = scan(project, ticks)
    titles = dict(db.execute("select question, title from scoring_title"))
    scores = {(s, titles[q]): (score, top) for s, q, score, top in
              db.execute("select student, question, score, max from scoring_score")}
    for copy, answers in ticked.items():
        right, wrong = len(answers & {1, 3}), len(answers - {1, 3})
        assert scores[(copy, "greek-a")] == (pytest.approx(max(0.0, 3 * right / 2 - 3 * wrong / 3)), 3)
    assert [scores[(c, "greek-a")][0] for c in range(1, 7)] == pytest.approx([3, 1.5, 0.5, 0, 2, 0])
    assert [scores[(c, "greek-a-hand")][0] for c in range(1, 5)] == pytest.approx([1, 0.5, 0, 0])
    assert [scores[(c, "greek-b")][0] for c in (1, 2, 3)] == pytest.approx([2, 0, 0])
    indicative = {titles[q]: i for q, i in db.execute("select question, indicative from scoring_question where student = 1")}
    assert indicative == {"greek-a": 0, "greek-a-hand": 0, "greek-b": 0, "extra-q": 1}
    assert scores[(1, "extra-q")][0] == 2
    totals = {s: (total, top) for s, total, top in db.execute("select student, total, max from scoring_mark")}
    assert totals[1] == (pytest.approx(3 + 1 + 2), 6) and totals[2] == (pytest.approx(1.5 + 0.5), 6)
    layout = sqlite3.connect(project / "data" / "layout.sqlite")
    [(extra_page,)] = layout.execute("select min(page) from layout_box b join layout_question q using (question)"
                                     " where b.student = 1 and q.name = 'extra-q'")
    [(greek_page,)] = layout.execute("select max(page) from layout_box b join layout_question q using (question)"
                                     " where b.student = 1 and q.name like 'greek-%'")
    assert extra_page >= greek_page
    sheets = pdf_text(project / "sujet.pdf")
    assert sheets.count("A stem both parts share.") == 6 and "Optional: PhD candidates only" in sheets


def test_a_numeric_grid_has_the_stated_places_and_a_spare_digit(tmp_path: Path) -> None:
    """demo's cross-entropy states 2 decimal places: AMC's grid for it reads 2 decimals, with one
    digit more than the key's whole part needs; several values each print their label by their grid."""
    from examgen.export.amc import _numeric

    assert "{1.05}{digits=4,decimals=2," in _numeric("q", "", Value(1.05, 0.005, "1.05"), 2.0, "", "")
    assert "{-12.5}{digits=4,decimals=1," in _numeric("q", "", Value(-12.5, 0.05, "-12.5"), 2.0, "", "")
    assert "{9.996}{digits=5,decimals=3," in _numeric("q", "", Value(9.996, 0.0005, "9.996"), 2.0, "", "")
    _, build = sampled(DEMO, 1, True)
    [variant] = build.variants
    [part] = [p for i in variant.items if i.family == "cross-entropy" for p in i.parts]
    assert part.kind == "numeric" and part.values[0].decimals == 2
    labelled = [p for i in variant.items for p in i.parts if p.kind == "numeric-multi" and len(p.values) <= 4]
    assert labelled and all(v.label for p in labelled for v in p.values)
    [source] = write(write_amc, build, tmp_path)
    project = prepare(source)
    db = sqlite3.connect(project / "data" / "scoring.sqlite")
    [(strategy,)] = db.execute("select strategy from scoring_question join scoring_title using (question)"
                               " where title = 'cross-entropy-q'")
    rows = len(re.findall(r"default\.digit[A-Z]=", strategy))   # one row of boxes per digit, D the leftmost
    whole = len(str(int(abs(part.values[0].value))))
    assert "set.valueX=intXX*10**(-2)" in strategy and rows == whole + 1 + 2, strategy
    sheets = pdf_text(project / "sujet.pdf")
    for p in labelled:
        for value in p.values:
            assert f"{value.label}:" in sheets
