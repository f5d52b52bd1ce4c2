"""What the bank puts on the page: marking guides that add up and rescale, no internal notes,
products with negative factors in brackets, precision as asked, drawn templates as questions."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from examgen.bank import load_bank, parse_template
from examgen.build import Quiet, sample_variants
from examgen.errors import BankError
from examgen.tex.latexfmt import fixed, matrix, mul, vec
from examgen.models import Pick
from examgen.render import render_question, scaled_points
from examgen.sample import instantiate
from examgen.seeding import rng_for
from examgen.solve import make_context
from examgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
EXAMS = ROOT / "bank" / "exams"
GUIDE = re.compile(r"\\emph\{Marking:\}(.*)", re.S)
SHARE = re.compile(r"(?:^|; )(\d+(?:\.\d+)?) for ")
NEGATIVE_AFTER_OPERATOR = re.compile(r"(\\cdot|\\times|\+)\s*-\s*\d")
LISTING = re.compile(r"\\begin\{lstlisting\}.*?\\end\{lstlisting\}", re.S)  # code may multiply: 16*5*5
INTERNAL = re.compile(r"\btemplate\b|\d\s*\*\s*\d|paper's own hint|Marking points|\bMarks?:", re.I)


def _guide_total(solution: str) -> float | None:
    match = GUIDE.search(solution)
    return sum(float(s) for s in SHARE.findall(match.group(1).strip())) if match else None


def test_a_guide_that_does_not_add_up_fails_the_loader_naming_the_field(tmp_path: Path) -> None:
    data = {"id": "guide-demo", "title": "t", "topics": ["cnn"], "kind": "essay",
            "source": {"paper": "original", "question": "1"},
            "parts": [{"label": "a", "marks": 3, "question": "Why?", "answer": "because",
                       "marking": [{"points": 1, "text": "one"}, {"points": 1, "text": "two"}]}]}
    with pytest.raises(BankError, match=r"parts\[0\]\.marking: the points add up to 2, not the part's 3 marks"):
        parse_template(tmp_path / "guide-demo.yaml", data)


def test_check_fails_a_guide_that_does_not_add_up_with_one_line(scratch_bank: Path) -> None:
    from typer.testing import CliRunner

    from examgen.cli import app

    path = scratch_bank / "cnn" / "conv-output-volume.yaml"
    path.write_text(path.read_text().replace("- {points: 0.5, text: 'the volume'}", "- {points: 1, text: 'the volume'}"))
    result = CliRunner().invoke(app, ["check", "conv-output-volume", "--samples", "2", "--no-compile"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "conv-output-volume.yaml: marking: the points add up to 1.5, not the part's 1 marks" in result.output


def test_every_guide_in_the_bank_is_structured_and_adds_up() -> None:
    bank = load_bank()
    for t in bank.values():
        for p in t.parts:
            assert "Marking" not in p.solution, f"{t.id}: a marking guide left as free text"
            if p.marking:
                assert abs(sum(m.points for m in p.marking) - p.marks) < 1e-9, t.id
    assert sum(bool(p.marking) for t in bank.values() for p in t.parts) >= 100


@pytest.mark.parametrize("points,total", [([0.5, 1], 4), ([0.25, 0.25], 3), ([1, 1, 1], 2), ([4, 5, 4, 2], 15)])
def test_shares_rescale_to_the_printed_marks(points: list[float], total: float) -> None:
    shares = scaled_points(points, total)
    assert abs(sum(shares) - total) < 1e-9 and min(shares) > 0


def test_default_exam_guides_match_the_printed_marks() -> None:
    """Default spec Q2(a)/(b), Q5(a), Q6(f) printed guides of another total before the guides rescaled."""
    spec = load_spec(EXAMS / "default.yaml")
    checked = 0
    for seed in (7, 11):
        for variant in sample_variants(spec, load_bank(), seed, 2, make_context("cpu"), Quiet()):
            for section in variant.sections:
                for question in section.questions:
                    for part in question.parts:
                        total = _guide_total(part.solution)
                        if total is not None:
                            assert abs(total - part.marks) < 1e-9, (seed, question.template_id, part.label)
                            checked += 1
    assert checked >= 20


def test_drawn_templates_are_questions_of_their_own() -> None:
    spec = load_spec(EXAMS / "default.yaml")
    assert len(spec.sections) == 12
    assert all(len(s.items) == 1 and s.items[0].draw == 1 for s in spec.sections[4:])


def _rendered_texts(seeds: range) -> list[tuple[str, str]]:
    ctx, out = make_context("cpu"), []
    for template in load_bank().values():
        for seed in seeds:
            instance = instantiate(template, rng_for(seed, 1, template.id, 0), ctx)
            labels = iter([chr(97 + i) for i in range(len(template.parts))])
            q = render_question(instance, Pick(template), labels)
            out += [(template.id, text) for text in (q.stem, q.stem_solution)]
            out += [(template.id, text) for p in q.parts for text in (p.question, p.solution, p.answer)]
    return out


def test_no_internal_notes_or_unbracketed_negative_factors_reach_a_page() -> None:
    for tid, text in _rendered_texts(range(3)):
        text = LISTING.sub("", text)
        assert not INTERNAL.search(text), (tid, INTERNAL.search(text).group(0))
        assert not NEGATIVE_AFTER_OPERATOR.search(text), (tid, NEGATIVE_AFTER_OPERATOR.search(text).group(0))


def test_errata_are_typeset_prose() -> None:
    errata = [(t.id, p.name, p.erratum) for t in load_bank().values() for p in t.presets.values() if p.erratum]
    assert errata  # the papers' slips are in the bank
    for tid, name, erratum in errata:
        assert not re.search(r"\btemplate\b|\d\s*\*\s*\d|\d+x\d+", erratum), (tid, name)


def test_precision_asked_is_precision_printed() -> None:
    assert fixed(1, 2) == "1.00" and fixed(7.75, 2) == "7.75" and fixed(-0.0001, 2) == "0.00"
    assert matrix([[0.786, 1]], 4) == r"\begin{bmatrix} 0.7860 & 1.0000 \end{bmatrix}"
    assert vec([0.5, -2], 2) == "(0.50, -2.00)"
    assert matrix([[1, 0.5]]) == r"\begin{bmatrix} 1 & 0.5 \end{bmatrix}"
    assert mul([0.5, -0.162]) == r"0.5 \cdot (-0.162)"


@pytest.mark.parametrize("points,total", [([1, 3.5], 8), ([1, 1, 1], 2), ([2, 1, 1], 5), ([4, 5, 4, 2], 15)])
def test_rescaled_shares_lie_on_the_half_mark_grid(points: list[float], total: float) -> None:
    """Issue 25: a grader can award half marks, not 0.89 or 2.75."""
    shares = scaled_points(points, total)
    assert abs(sum(shares) - total) < 1e-9 and all(s > 0 and float(2 * s).is_integer() for s in shares), shares


def test_quarter_marks_only_inside_a_part_under_one_mark() -> None:
    shares = scaled_points([0.5, 0.25], 0.5)
    assert shares == [0.25, 0.25]
    assert all(float(4 * s).is_integer() for s in scaled_points([1, 2], 0.75))


def test_every_printed_share_of_the_default_and_demo_exams_is_on_the_grid() -> None:
    """Default Q2 printed 0.89 per arrow (8 marks over 9) and shares of 2.75 and 1.75 before issue 25."""
    checked = 0
    for name in ("default", "demo"):
        spec = load_spec(EXAMS / f"{name}.yaml")
        for variant in sample_variants(spec, load_bank(), 3, 2, make_context("cpu"), Quiet()):
            for question in (q for s in variant.sections for q in s.questions):
                for part in question.parts:
                    match = GUIDE.search(part.solution)
                    assert match, (name, question.template_id, part.label)   # every part has a guide
                    step = 0.25 if part.marks < 1 else 0.5
                    for share in SHARE.findall(match.group(1)):
                        assert (float(share) / step).is_integer(), (name, question.template_id, part.label, share)
                        checked += 1
    assert checked >= 40
