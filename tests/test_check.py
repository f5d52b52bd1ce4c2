"""`examgen check`: the whole bank passes; broken templates are named with a seed that reproduces them."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from typer.testing import CliRunner

from examgen.bank import load_bank
from examgen.quality.check import check_bank
from examgen.quality.sanity import nonfinite
from examgen.cli import app
from examgen.models import Solved
from examgen.inputs.paths import ROOT
from examgen.solvers import SOLVERS, load_all

load_all()
runner = CliRunner()

ESSAY = {"title": "t", "topics": ["cnn"], "kind": "short-answer", "source": {"paper": "original", "question": "1"},
         "marks": 1, "question": "Say something.", "answer": "Anything.",
         "marking": [{"points": 1, "text": "a relevant statement"}]}


def write_template(bank: Path, tid: str, **fields: object) -> None:
    (bank / "broken").mkdir(parents=True, exist_ok=True)
    (bank / "broken" / f"{tid}.yaml").write_text(yaml.safe_dump(
        {k: v for k, v in {"id": tid, **ESSAY, **fields}.items() if v is not None}), encoding="utf-8")  # None: leave out


@pytest.fixture
def tmp_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bank holding one good template (conv2d-params), for broken ones to join."""
    bank = tmp_path / "bank"
    (bank / "cnn").mkdir(parents=True)
    shutil.copy(ROOT / "bank" / "cnn" / "conv2d-params.yaml", bank / "cnn")
    monkeypatch.setenv("EXAMGEN_BANK", str(bank))
    load_bank.cache_clear()
    yield bank
    load_bank.cache_clear()


def run_check(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["check", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def by_id(report: dict) -> dict[str, dict]:
    return {t["id"]: t for t in report["templates"]}


def test_whole_bank_passes_with_30_samples() -> None:
    """The CI gate: every template, 30 seeds, one batched compile."""
    result = runner.invoke(app, ["check", "--samples", "30"])
    assert result.exit_code == 0, result.stdout + result.stderr


def test_good_template_passes_and_json_parses(tmp_bank: Path) -> None:
    code, report = run_check("--samples", "8")
    assert code == 0 and report["ok"]
    t = by_id(report)["conv2d-params"]
    assert t["instances"] == t["agreed"] == t["rendered"] == 8 and t["compiled"] is True


def test_undefined_variable_is_named_with_its_seed(tmp_bank: Path) -> None:
    write_template(tmp_bank, "bad-render", params={"n": {"type": "int", "min": 1, "max": 50}},
                   question="n is << n >>.", answer="<< nowhere >>")
    code, report = run_check("--samples", "5", "--no-compile")
    assert code == 1 and not report["ok"]
    failure = by_id(report)["bad-render"]["failures"][0]
    assert failure["seed"] == 0 and "nowhere" in failure["problem"]
    assert failure["reproduce"] == "examgen solve bad-render --seed 0"
    assert by_id(report)["conv2d-params"]["ok"]


def test_failure_reproduces_with_solve(tmp_bank: Path) -> None:
    write_template(tmp_bank, "bad-render", params={"n": {"type": "int", "min": 1, "max": 50}},
                   question="n is << n >>.", answer="<< nowhere >>")
    result = runner.invoke(app, ["solve", "bad-render", "--seed", "0"])
    assert result.exit_code == 1 and "nowhere" in result.stderr


def test_unsatisfiable_rules_are_a_sampling_failure(tmp_bank: Path) -> None:
    write_template(tmp_bank, "never-fits", rules=["kernel_fits_image"],
                   params={"image": {"type": "matrix", "rows": 2, "cols": 2, "min": 0, "max": 9},
                           "kernel": {"type": "matrix", "rows": 3, "cols": 3, "min": -1, "max": 1}})
    report = check_bank(["never-fits"], samples=2, compile_pdf=False)
    assert [f.seed for f in report.failures] == [0, 1]
    assert "kernel_fits_image" in report.failures[0].problem


def test_low_variety_is_flagged_but_fixed_or_essay_params_are_not(tmp_bank: Path) -> None:
    data = yaml.safe_load((tmp_bank / "cnn" / "conv2d-params.yaml").read_text(encoding="utf-8"))
    data.pop("effort", None)   # a narrowed family: its own effort, not conv2d-params' median
    data.update(id="few-values", presets={}, params={
        "in_channels": {"type": "int", "choices": [1, 2]}, "out_channels": {"type": "const", "value": 4},
        "kernel": {"type": "pair", "min": 3, "max": 3}, "bias": {"type": "const", "value": True}})
    (tmp_bank / "cnn" / "few-values.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    write_template(tmp_bank, "essay-choice", params={"n": {"type": "choice", "choices": [1, 2]}})
    write_template(tmp_bank, "essay-only", params={"n": {"type": "const", "value": 3}})
    ids = ["few-values", "essay-choice", "essay-only"]
    report = {t.id: t for t in check_bank(ids, samples=20, compile_pdf=False).templates}
    low = [f for f in report["few-values"].failures if "low variety" in f.problem]
    assert low and low[0].seed is None
    assert report["essay-choice"].ok and "low variety" in report["essay-choice"].notes[0]
    assert report["essay-only"].ok and not report["essay-only"].drawn


def test_latex_error_names_the_template(tmp_bank: Path) -> None:
    write_template(tmp_bank, "bad-latex", question=r"A $\left( x$ here.")   # typesetting only, but broken
    code, report = run_check("--samples", "2")
    t = by_id(report)["bad-latex"]
    assert code == 1 and t["compiled"] is False and t["failures"][0]["seed"] == 0
    assert "Missing \\right" in t["failures"][0]["problem"]
    assert by_id(report)["conv2d-params"]["compiled"] is True


def test_wrong_solver_disagrees_with_checker(tmp_bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    right = SOLVERS["conv2d_params"]

    def off_by_one(p: dict, ctx: object) -> Solved:
        solved = right(p, ctx)
        return Solved({"total": solved.answers["total"] + (p["out_channels"] == 64)}, solved.work, solved.effort)

    monkeypatch.setitem(SOLVERS, "conv2d_params", off_by_one)
    report = check_bank(["conv2d-params"], samples=40, compile_pdf=False)
    assert not report.ok and all("disagreement: total" in f.problem for f in report.failures)
    assert all(f.seed is not None for f in report.failures)


def test_unknown_id_is_one_line_error(tmp_bank: Path) -> None:
    result = runner.invoke(app, ["check", "conv2d-param"])
    assert result.exit_code == 1 and "did you mean conv2d-params" in result.stderr


def test_nonfinite_walks_nested_values() -> None:
    import sympy

    found = nonfinite({"a": [1, float("nan")], "b": {"c": sympy.zoo}, "d": sympy.Rational(1, 3)}, "answers")
    assert found == ["answers.a[1] is not finite (nan)", "answers.b.c is not finite (zoo)"]


def test_batch_bisects_when_the_log_names_the_wrong_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error LaTeX notices late names a later template; the suspect is cleared alone, then bisection."""
    from examgen.quality import checktex

    samples = [(SimpleNamespace(template=SimpleNamespace(id=name)), 0) for name in "abcdefg"]

    def fake_compile(group: list, folder: Path) -> tuple[str, str] | None:
        ids = [s[0].template.id for s in group]
        return (ids[-1], f"error from {ids}") if "c" in ids else None

    monkeypatch.setattr(checktex, "compile_group", fake_compile)
    assert checktex.latex_failures(samples, Path("unused")) == {"c": "error from ['c']"}


def test_presets_are_checked_against_the_checker(tmp_bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    right = SOLVERS["conv2d_params"]

    def wrong_on_paper_values(p: dict, ctx: object) -> Solved:
        solved = right(p, ctx)
        return Solved({"total": solved.answers["total"] + (p["kernel"] == [5, 9])}, solved.work)

    monkeypatch.setitem(SOLVERS, "conv2d_params", wrong_on_paper_values)
    report = check_bank(["conv2d-params"], samples=3, compile_pdf=False)
    failures = [f for f in report.failures if f.preset]
    assert failures and all(f.preset == "oslo-2022-3c" and "disagreement: total" in f.problem for f in failures)
    assert failures[0].reproduce == "examgen solve conv2d-params --preset oslo-2022-3c"


def test_two_checkers_for_one_solver_both_run() -> None:
    from examgen.solvers.checkers import CHECKERS, checker

    try:
        checker("demo_solver")(lambda p, s: ["first"])
        checker("demo_solver")(lambda p, s: ["second"])
        assert CHECKERS["demo_solver"]({}, Solved({})) == ["first", "second"]
    finally:
        CHECKERS.pop("demo_solver", None)


def test_text_running_into_the_margin_is_a_layout_note(tmp_bank: Path) -> None:
    wide = r"\[ " + " + ".join(f"x_{{{i}}}" for i in range(60)) + r" \]"
    write_template(tmp_bank, "too-wide", question=f"Simplify {wide}")
    code, report = run_check("--samples", "2")
    assert code == 0
    assert any(n.startswith("layout: a line runs") for n in by_id(report)["too-wide"]["notes"])
    assert not any(n.startswith("layout") for n in by_id(report)["conv2d-params"]["notes"])


def test_layout_problems_are_reported_per_template(tmp_bank: Path) -> None:
    write_template(tmp_bank, "leaky-note", question="Say something.", answer="None, as the template says.")
    write_template(tmp_bank, "clean-note")
    report = check_bank(["leaky-note", "clean-note", "conv2d-params"], samples=2)
    notes = {t.id: " ".join(t.notes) for t in report.templates}
    assert "layout: forbidden text" in notes["leaky-note"] and "template" in notes["leaky-note"]
    assert "layout" not in notes["clean-note"] and "layout" not in notes["conv2d-params"]


def test_a_solution_that_says_how_examgen_checked_itself_fails(tmp_bank: Path) -> None:
    """Issue 25: autograd, a simulated run or the PyTorch module belong in `check`, not on the page."""
    write_template(tmp_bank, "self-checked", solution="It is 4.\n(Checked numerically against automatic differentiation.)")
    write_template(tmp_bank, "autograd-aside", solution="It is 4 (autograd through the layer gives the same matrix).")
    write_template(tmp_bank, "plain-solution", solution="It is 4: automatic differentiation applies the chain rule.")
    # the asides a page-by-page review found (Glasgow 2(g), Oslo 2022 batch norm, INF5860 2(g)),
    # one of them over a line break
    write_template(tmp_bank, "second-route", solution="It is 4.\nDifferentiating $y = 2x^2$\ndirectly gives the same.")
    write_template(tmp_bank, "shape-aside", solution="It is 4 (a batch of two images still gives an output of shape $[2, 10]$).")
    write_template(tmp_bank, "library-aside", solution="It is 4; SGD keeps $b$, so it takes exactly these steps.")
    ids = ["self-checked", "autograd-aside", "plain-solution", "second-route", "shape-aside", "library-aside"]
    report = check_bank(ids, samples=2, compile_pdf=False)
    found = {t.id: " ".join(f.problem for f in t.failures) for t in report.templates}
    assert "checked numerically" in found["self-checked"] and "examgen check" in found["self-checked"]
    assert "autograd through" in found["autograd-aside"]
    assert "directly gives the same" in found["second-route"]
    assert "still gives an output" in found["shape-aside"]
    assert "exactly these steps" in found["library-aside"]
    assert found["plain-solution"] == ""


def test_a_part_without_a_marking_guide_fails(tmp_bank: Path) -> None:
    """Issue 25: every part says what earns its marks."""
    write_template(tmp_bank, "no-guide", marking=None)
    write_template(tmp_bank, "two-parts", marks=None, marking=None, question=None, answer=None, parts=[
        {"label": "a", "marks": 2, "question": "Say one thing.", "answer": "x",
         "marking": [{"points": 2, "text": "the thing"}]},
        {"label": "b", "marks": 1, "question": "Say another.", "answer": "y"}])
    report = check_bank(["no-guide", "two-parts", "conv2d-params"], samples=2, compile_pdf=False)
    found = {t.id: " ".join(f.problem for f in t.failures) for t in report.templates}
    assert "the question (1 marks) has no marking guide" in found["no-guide"]
    assert "part b" in found["two-parts"] and "part a" not in found["two-parts"]
    assert found["conv2d-params"] == ""


def test_marking_shares_off_the_half_mark_grid_fail(tmp_bank: Path) -> None:
    """Issue 25: half marks; quarter marks only inside a part worth less than one mark."""
    write_template(tmp_bank, "quarters", marks=3, marking=[{"points": 2.25, "text": "most"}, {"points": 0.75, "text": "rest"}])
    write_template(tmp_bank, "halves", marks=3, marking=[{"points": 2.5, "text": "most"}, {"points": 0.5, "text": "rest"}])
    write_template(tmp_bank, "small-part", marks=0.5, marking=[{"points": 0.25, "text": "one"}, {"points": 0.25, "text": "two"}])
    report = check_bank(["quarters", "halves", "small-part"], samples=2, compile_pdf=False)
    found = {t.id: " ".join(f.problem for f in t.failures) for t in report.templates}
    assert "2.25, 0.75 are not multiples of 0.5" in found["quarters"]
    assert found["halves"] == "" and found["small-part"] == ""


def test_choice_parts_say_how_many_and_leave_room_for_a_reason_they_ask_for(tmp_bank: Path) -> None:
    """Issue 25: a choice part says how many options to give, asks for labels (there are no boxes to
    tick), and a written reason it asks for has marks, and so room (Oslo IN5400 2022 Ex7(a))."""
    options = [{"text": "yes", "correct": True}, {"text": "no", "correct": False}]
    choice = {"kind": "multiple-choice", "options": options, "answer": "<< correct >>"}
    write_template(tmp_bank, "how-many", **choice, question="Which is right?")
    write_template(tmp_bank, "tick-both", **choice, question="Which is right? Tick both.")
    write_template(tmp_bank, "no-room", **choice, question="Which is right? Choose one and explain why.")
    write_template(tmp_bank, "room", **choice, question="Which is right? Choose one and explain why.",
                   response={"type": "choice", "manual": 0.5})
    write_template(tmp_bank, "plain", **choice, question="Which is right? Give the labels of all that apply; "
                                                         "no explanation is needed.")
    report = check_bank(["how-many", "tick-both", "no-room", "room", "plain"], samples=2, compile_pdf=False)
    found = {t.id: " ".join(f.problem for f in t.failures) for t in report.templates}
    assert "does not say how many to give" in found["how-many"]
    assert "'Tick'" in found["tick-both"] and "no boxes" in found["tick-both"]
    assert "asks for a written reason ('explain')" in found["no-room"] and "manual" in found["no-room"]
    assert found["room"] == found["plain"] == ""
