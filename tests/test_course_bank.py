"""An instructor's own bank: `--bank DIR`, `examgen init`, answers as expressions of the
parameters, `--trust-bank-code` for a solvers.py, and usage errors as one line."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from examgen.bank import Banks, load_bank
from examgen.inputs.paths import ROOT

from conftest import pdf_text
from safety_helpers import one_error_line, run


TEMPLATE = """\
id: {id}
title: A question of the course
topics: [course]
kind: numeric
source: {{paper: original, question: "1"}}
params:
  a: {{type: int, min: 2, max: 9}}
  b: {{type: float, min: 0.1, max: 0.9, decimals: 1}}
{body}
marks: 1
question: What is << a >> over << b >>?
answer: $<< total >>$
"""


def course(tmp_path: Path, name: str, body: str, code: str | None = None) -> Path:
    folder = tmp_path / "course"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(TEMPLATE.format(id=name, body=body))
    if code is not None:
        (folder / "solvers.py").write_text(code)
    return folder


@pytest.fixture(autouse=True)
def fresh_bank():
    load_bank.cache_clear()
    yield
    load_bank.cache_clear()


def test_answer_expressions_are_exact_and_shown(tmp_path: Path) -> None:
    folder = course(tmp_path, "course-ratio", 'answers: {total: "a / b", twice: "2 * total + Max(a, 3)"}')
    record = json.loads(run("solve", "course-ratio", "--bank", folder, "--set", "a=3", "--set", "b=0.4", "--json").output)
    a, b = Fraction(3), Fraction("0.4")
    assert record["answers"]["total"]["exact"] == str(a / b)      # kept exact, not 7.4999...
    assert record["answers"]["twice"] == 2 * (a / b) + max(a, 3)
    listed = json.loads(run("list", "--bank", folder, "--json", "--topic", "course").output)
    assert [r["id"] for r in listed] == ["course-ratio"]


def test_expression_working_reaches_the_solution(tmp_path: Path) -> None:
    body = 'answers: {total: "a * (a + 1)"}\nsolution: "$<< total_formula >> = << total_working >> = << total >>$"'
    folder = course(tmp_path, "course-work", body)
    record = json.loads(run("solve", "course-work", "--bank", folder, "--set", "a=4", "--json").output)
    a = 4
    assert record["solution"] == rf"$\mathit{{a}} \cdot \left(\mathit{{a}} + 1\right) = {a} \cdot \left({a} + 1\right) = {a * (a + 1)}$"


def test_without_a_written_solution_the_working_is_shown(tmp_path: Path) -> None:
    folder = course(tmp_path, "course-auto", 'answers: {total: "a^2 - 1"}')
    record = json.loads(run("solve", "course-auto", "--bank", folder, "--set", "a=5", "--json").output)
    a = 5
    assert record["answers"]["total"] == a**2 - 1
    assert rf"\mathit{{a}}^{{2}} - 1 &= {a}^{{2}} - 1 = {a**2 - 1}" in record["solution"]


@pytest.mark.parametrize("expr, why", [
    ("__import__('os').system('true')", "__import__"),
    ("a.real", "not an expression"),
    ("c + 1", "'c' is not a parameter"),
    ("a" * 401, "longer than 400"),
])
def test_unsafe_or_unknown_expressions_are_refused_at_load(tmp_path: Path, expr: str, why: str) -> None:
    folder = course(tmp_path, "course-bad", f"answers: {{total: {json.dumps(expr)}}}")
    line = one_error_line(run("list", "--bank", folder))
    assert "course-bad.yaml" in line and "answers.total" in line and why in line


def test_oversized_power_is_one_clear_error(tmp_path: Path) -> None:
    folder = course(tmp_path, "course-huge", 'answers: {total: "a ^ (10 ^ 10)"}')
    line = one_error_line(run("solve", "course-huge", "--bank", folder))
    assert "course-huge" in line and "exponent" in line


def test_an_id_defined_twice_names_both_files(tmp_path: Path) -> None:
    folder = course(tmp_path, "conv2d-params", 'answers: {total: "a"}')
    line = one_error_line(run("list", "--bank", folder))
    assert str(folder / "conv2d-params.yaml") in line and str(ROOT / "bank" / "cnn" / "conv2d-params.yaml") in line


SOLVERS_PY = """\
from examgen.solvers import Solved, solver


@solver("{name}")
def double(p, ctx):
    return Solved({{"total": 2 * p["a"]}}, {{}})
"""


def test_a_bank_solver_runs_only_when_trusted(tmp_path: Path) -> None:
    untrusted = course(tmp_path / "u", "course-untrusted", "solver: course_untrusted", SOLVERS_PY.format(name="course_untrusted"))
    line = one_error_line(run("list", "--bank", untrusted))
    assert "course-untrusted.yaml" in line and "solvers.py" in line and "--trust-bank-code" in line
    trusted = course(tmp_path / "t", "course-trusted", "solver: course_double", SOLVERS_PY.format(name="course_double"))
    done = run("solve", "course-trusted", "--bank", trusted, "--trust-bank-code", trusted, "--set", "a=7", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["answers"]["total"] == 2 * 7  # the bank's own solver ran


def test_a_missing_bank_folder_is_one_line(tmp_path: Path) -> None:
    assert "not-there" in one_error_line(run("list", "--bank", tmp_path / "not-there"))


def test_check_reads_the_extra_bank(tmp_path: Path) -> None:
    folder = course(tmp_path, "course-check", 'answers: {total: "a + b"}\nmarking: [{points: 1, text: the sum}]')
    done = run("check", "course-check", "--bank", folder, "--samples", "20", "--no-compile", "--json")
    assert done.exit_code == 0, done.output
    assert "course-check" in done.output


@pytest.mark.pdf
def test_init_writes_a_course_that_builds(tmp_path: Path) -> None:
    folder = tmp_path / "my-course"
    done = run("init", folder)
    assert done.exit_code == 0, done.output
    assert (folder / "README.md").is_file() and (folder / "exams" / "course-exam.yaml").is_file()
    out = tmp_path / "out"
    done = run("build", folder / "exams" / "course-exam.yaml", "--bank", folder, "--seed", "1", "--out", out)
    assert done.exit_code == 0, done.output
    key = json.loads((out / "course-exam-seed1" / "answer-key.json").read_text())
    text = json.dumps(key)
    assert "course-dense-layer-params" in text
    solutions = " ".join(pdf_text(out / "course-exam-seed1" / "solutions.pdf").split())
    assert "fully connected layer" in solutions
    bank = load_bank(Banks((folder,)))
    assert "course-dense-layer-params" in bank and "conv2d-params" in bank


def test_init_refuses_a_folder_in_use(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    assert "used" in one_error_line(run("init", tmp_path / "used"))
    assert (tmp_path / "used" / "notes.txt").read_text() == "mine"


def test_version() -> None:
    done = run("--version")
    assert done.exit_code == 0 and done.output.startswith("examgen ")


@pytest.mark.parametrize("args", [
    ("build", "--seed", "x"),
    ("build", "--seed", "1", "--variants", "0"),
    ("build", "--seed", "1", "--bogus"),
    ("solve",),
    ("no-such-command",),
])
def test_usage_errors_are_one_line_and_status_1(args: tuple[str, ...]) -> None:
    one_error_line(run(*args))


def test_export_reads_the_course_bank(tmp_path: Path) -> None:
    """`--bank` works on export as on build: the course's own question reaches the CSV key."""
    folder = tmp_path / "my-course"
    assert run("init", folder).exit_code == 0
    out = tmp_path / "out"
    done = run("export", folder / "exams" / "course-exam.yaml", "--bank", folder, "--seed", "1",
               "--format", "json", "--out", out)
    assert done.exit_code == 0, done.output
    [path] = (out / "course-exam-seed1-json").glob("*.json")
    assert "course-dense-layer-params" in path.read_text(encoding="utf-8")
    assert run("export", folder / "exams" / "course-exam.yaml", "--seed", "1", "--format", "json",
               "--out", tmp_path / "other").exit_code == 1  # without --bank the course's template is unknown


def test_draws_skip_what_the_template_declares_degenerate_but_given_values_stand(tmp_path: Path) -> None:
    """`degenerate:` is applied to every draw (here: an answer equal to a given value is redrawn);
    values an instructor gives with --set are solved as they are."""
    body = 'answers: {total: "Max(a, 5)"}\ndegenerate: {equals-given: {total: [a]}}'
    folder = course(tmp_path, "course-degenerate", body)
    drawn = [json.loads(run("solve", "course-degenerate", "--bank", folder, "--seed", seed, "--json").output)
             for seed in range(12)]
    assert all(r["params"]["a"] < 5 for r in drawn)          # Max(a, 5) = a, the given value, from 5 up
    given = json.loads(run("solve", "course-degenerate", "--bank", folder, "--set", "a=7", "--set", "b=0.5",
                           "--json").output)
    assert given["answers"]["total"] == 7


def test_init_without_a_terminal_leaves_the_cover_fields_empty_with_comments(tmp_path: Path) -> None:
    """Issue 25: no placeholder institution or date; the starter says what to fill in."""
    assert run("init", tmp_path / "c").exit_code == 0
    text = (tmp_path / "c" / "exams" / "course-exam.yaml").read_text()
    for key in ("institution", "course", "session", "date"):
        assert f'{key}: ""' in text and "fill in" in text.split(f'{key}: ""', 1)[1].splitlines()[0]
    assert "Your University" not in text and "DL101" not in text


def test_init_fills_in_the_cover_fields_it_is_given(tmp_path: Path) -> None:
    import yaml

    from examgen.commands.starter import write_starter

    write_starter(tmp_path / "c", {"institution": "Uni: North", "course": "ML 2", "session": "", "date": "1 May"})
    data = yaml.safe_load((tmp_path / "c" / "exams" / "course-exam.yaml").read_text())
    assert (data["institution"], data["course"], data["session"], data["date"]) == ("Uni: North", "ML 2", "", "1 May")
