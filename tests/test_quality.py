"""Issue 13: degeneracy and balance checks, the stress-test report, the fixed templates, and
numeric parts asked as multiple choice with distractors from modelled mistakes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from examgen.bank import load_bank
from examgen.quality.check import check_bank, seed_rng
from examgen.cli import app
from examgen.solvers.degenerate import (argmax_tie, constant_columns, degenerate_problems, equals_given,
                                identical_rows, same_parts, uniform_softmax, zero_gradient)
from examgen.errors import BankError, SpecError
from examgen.inputs.paths import ROOT
from examgen.sample import instantiate
from examgen.solve import make_context
from examgen.solvers import load_all
from examgen.solvers.mistakes import DISTRACTORS, printed

from conftest import pdf_text

load_all()
runner = CliRunner()
CTX = make_context()
ESSAY = {"title": "t", "topics": ["x"], "kind": "short-answer", "source": {"paper": "original", "question": "1"},
         "marks": 1, "question": "Say << mode >>.", "answer": "Anything.",
         "marking": [{"points": 1, "text": "any answer"}]}


@pytest.fixture
def tmp_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bank = tmp_path / "bank"
    (bank / "q").mkdir(parents=True)
    monkeypatch.setenv("EXAMGEN_BANK", str(bank))
    load_bank.cache_clear()
    yield bank
    load_bank.cache_clear()


def write(bank: Path, tid: str, **fields: object) -> None:
    data = {k: v for k, v in {"id": tid, **ESSAY, **fields}.items() if v is not None}
    (bank / "q" / f"{tid}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


# --- the general checks ---------------------------------------------------------------------------

def test_degeneracy_functions_find_what_they_name() -> None:
    import sympy

    assert identical_rows([[1, 2], [3, 4], [1, 2]]) and not identical_rows([[1, 2], [2, 1]])
    assert constant_columns([[1, 2], [3, 2]]) and not constant_columns([[1, 2], [3, 4]])
    assert "uniform" in uniform_softmax([[0.5, 0.5], [0.2, 0.8]])
    assert "saturated" in uniform_softmax([[0.995, 0.005]]) and not uniform_softmax([[0.3, 0.7]])
    assert argmax_tie([[3, 1, 3]]) and not argmax_tie([[3, 1, 2]])
    assert zero_gradient([[0, 0], [0.0, 0]]) and not zero_gradient([[0, 1e-3]])
    assert equals_given([0.1, 0.05], [0.1]) and not equals_given([0.05], [0.1, 0.2])
    a, b, c = sympy.symbols("da_dx1 da_dx2 db_dx2")
    assert same_parts(a * c, b * c, {"x1": "x2"}) and not same_parts(a * c, b, {"x1": "x2"})


def test_declared_degeneracy_fails_check_with_a_seed(tmp_bank: Path) -> None:
    write(tmp_bank, "flat", params={"mode": {"type": "int", "min": 0, "max": 9},
                                    "M": {"type": "const", "value": [[1, 2], [1, 2]]}},
          degenerate={"identical-rows": ["M"]})
    report = check_bank(["flat"], samples=5, compile_pdf=False)
    failure = report.failures[0]
    assert failure.seed == 0 and "identical-rows" in failure.problem
    assert failure.reproduce == "examgen solve flat --seed 0"


def test_unknown_degeneracy_check_is_one_clear_error(tmp_bank: Path) -> None:
    write(tmp_bank, "typo", degenerate=["identical-rowz"])
    with pytest.raises(BankError, match="degenerate: unknown check 'identical-rowz'"):
        load_bank()


def test_rare_outcome_fails_balance_unless_declared(tmp_bank: Path) -> None:
    skewed = {"mode": {"type": "choice", "choices": ["a"] * 9 + ["b"]}}
    write(tmp_bank, "skewed", params=skewed, balance={"outcomes": {"mode": ["a", "b", "c"]}})
    write(tmp_bank, "declared", params=skewed,
          balance={"outcomes": {"mode": ["a", "b"]}, "exempt": {"mode": "b is the rare case on purpose"}})
    report = {t.id: t for t in check_bank(["skewed", "declared"], samples=120, compile_pdf=False).templates}
    problem = report["skewed"].failures[0].problem
    assert "unbalanced mode" in problem and "c 0%" in problem
    assert report["skewed"].balance["mode"]["c"] == 0
    assert report["declared"].ok and any("on purpose" in n for n in report["declared"].notes)


def test_report_writes_pngs_and_a_page_linking_them(tmp_bank: Path, tmp_path: Path) -> None:
    write(tmp_bank, "pick", params={"mode": {"type": "choice", "choices": ["a", "b"]}},
          options=[{"text": "yes", "correct": True}, {"text": "no", "correct": False}], answer=None,
          question="Which one? Choose one.")   # a choice part says how many to give (issue 25)
    out = tmp_path / "report"
    result = runner.invoke(app, ["check", "--no-compile", "--samples", "20", "--report", str(out)])
    assert result.exit_code == 0, result.stdout + result.stderr
    page = (out / "index.md").read_text(encoding="utf-8")
    for name in ("sampling-time.png", "rejection-rate.png", "distinct-instances.png", "pick.png"):
        assert f"]({name})" in page and (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "position (part stem)" in json.dumps(check_bank(["pick"], 20, False).templates[0].balance)


# --- the instances the issue names ---------------------------------------------------------------

def solved(tid: str, seed: int):  # noqa: ANN201
    template = load_bank()[tid]
    return instantiate(template, seed_rng(template, seed), CTX)


@pytest.mark.parametrize("tid, seeds", [("self-attention", [2, 5, 123456]), ("pathsum-gradients", [202, 5, 123456])])
def test_named_seeds_are_no_longer_degenerate(tid: str, seeds: list[int]) -> None:
    for seed in seeds:
        assert degenerate_problems(solved(tid, seed)) == []


def test_field_of_view_never_skips_pixels_and_lr_epochs_spread() -> None:
    for seed in range(60):
        fov = solved("field-of-view", seed).params
        assert fov["kernels"][0] >= fov["first_stride"]  # the solver also counts pixels by autograd
        lr = solved("lr-step-decay", seed)
        steps = [t // lr.params["K"] for t in lr.params["epochs"]]
        assert len(set(steps)) == 3 and min(steps) >= 1 and degenerate_problems(lr) == []


def test_rnn_cases_are_balanced() -> None:
    """Explode and vanish both come up often; the "misleading" case (singular values above 1, spectral
    radius below) is never drawn, since a student cannot decide it by hand (issue 24)."""
    cases = [solved("rnn-bptt-gradients", seed).solved.work["case"] for seed in range(150)]
    assert all(cases.count(c) / len(cases) >= 0.15 for c in ("explode", "vanish"))
    assert "misleading" not in cases


# --- numeric parts as multiple choice ------------------------------------------------------------

def test_at_least_15_templates_have_distinct_mistake_distractors_over_200_seeds() -> None:
    with_mistakes = [t for t in load_bank().values() if t.mistakes]
    assert len(with_mistakes) >= 15
    for template in with_mistakes:
        for seed in range(200):
            inst = instantiate(template, seed_rng(template, seed), CTX, as_choice=True)
            for label, spec in template.mistakes.items():
                index = [p.label or "main" for p in template.parts].index(label)
                options = inst.choices[index]
                texts = [o.text for o in options]
                assert len(set(texts)) == len(texts) >= DISTRACTORS + 1, (template.id, seed, texts)
                right = [o for o in options if o.correct]
                assert [o.text for o in right] == [f"${printed(inst.answers[spec['answer']], spec.get('format', 'num'))}$"]
                assert all(o.why for o in options)


def test_spec_rejects_multiple_choice_for_a_template_without_mistakes(scratch_bank: Path, tmp_path: Path) -> None:
    from examgen.build import BuildOptions, build

    spec = tmp_path / "s.yaml"
    for item, message in (({"template": "maxpool-by-hand", "as": "multiple-choise"}, "as: must be one of multiple-choice"),
                          ({"template": "layer-output-shapes", "as": "multiple-choice"}, "declares no mistakes")):
        spec.write_text(yaml.safe_dump({"title": "t", "sections": [{"title": "s", "questions": [item]}]}))
        with pytest.raises(SpecError, match=message):
            build(BuildOptions(spec, seed=1, out=tmp_path / "out"))


@pytest.mark.pdf
def test_multiple_choice_build_prints_options_key_label_and_mistakes(tmp_path: Path) -> None:
    from examgen.build import BuildOptions, build

    spec = tmp_path / "mc.yaml"
    spec.write_text(yaml.safe_dump({"title": "MC", "sections": [{"title": "s", "questions": [
        {"template": "conv2d-params", "as": "multiple-choice"}]}]}))
    result = build(BuildOptions(spec, seed=4, out=tmp_path / "out"))
    inst = result.variants[0].instances[0][0]
    labels = ["i", "ii", "iii", "iv", "v"]
    right = labels[[o.correct for o in inst.choices[0]].index(True)]
    key = json.loads((result.folder / "answer-key.json").read_text())
    [part] = key["variants"][0]["questions"][0]["parts"]
    assert part["answer"].startswith(f"{right}) ")  # the key names the right label, not just any label
    solutions = pdf_text(result.folder / "solutions.pdf")
    assert "Leaves out the biases" in solutions and str(inst.answers["total"]) in pdf_text(result.folder / "exam.pdf")
