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
    assert len(spec.sections) == 13
    assert all(len(s.items) == 1 and s.items[0].draw == 1 for s in spec.sections[3:])


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
    assert vec([0.5, -2], 2) == "{(0.50, -2.00)}"   # braced: never broken at a line end
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


# --- issue 25: one topic a question, choice parts that say what to write, a reason with room ---------

def _variant(name: str, seed: int = 3):
    spec = load_spec(EXAMS / f"{name}.yaml")
    [variant] = sample_variants(spec, load_bank(), seed, 1, make_context("cpu"), Quiet())
    return spec, variant


def _question(template_id: str, seed: int = 0, **kwargs):
    template = load_bank()[template_id]
    instance = instantiate(template, rng_for(seed, 1, template_id, 0), make_context("cpu"), **kwargs)
    return render_question(instance, Pick(template), iter("abcdefgh"))


def test_every_choice_part_says_how_many_to_give_and_has_room_for_a_reason_it_asks() -> None:
    from examgen.quality.sanity import choice_wording_problems

    found = {t.id: problems for t in load_bank().values() if (problems := choice_wording_problems(t))}
    assert not found


def test_a_choice_part_that_asks_for_a_reason_gets_room_for_it() -> None:
    """Oslo IN5400 2022 Ex7(a) asked to "explain in at most five sentences" under a 1.5 cm box."""
    from examgen.models import RenderedPart
    from examgen.tex.document import CHOICE_CM, answer_space, page_for

    spec, variant = _variant("oslo-in5400-2022")
    page_for(spec, variant)
    [reason] = next(q.parts for s in variant.sections for q in s.questions if q.template_id == "adversarial-metric")
    assert reason.choice and reason.written == 2 and float(reason.space.removesuffix("cm")) >= 5
    assert answer_space(RenderedPart("a", 3, "Choose one.", "", "", choice=True), "marks") == f"{CHOICE_CM}cm"


def test_a_numeric_part_asked_as_multiple_choice_says_to_give_one_label() -> None:
    from examgen.render import ONE_OPTION

    [part] = _question("maxpool-by-hand", as_choice=True).parts
    assert part.choice and ONE_OPTION in part.question and ONE_OPTION not in _question("maxpool-by-hand").parts[0].question


def test_a_section_intro_prints_once_before_its_questions() -> None:
    """The default exam's Concepts intro was printed before each of its four questions."""
    from examgen.render import render_document
    from examgen.tex.document import document_context, page_for

    spec, variant = _variant("default")
    concepts = [s for s in spec.sections if s.title == "Concepts"]
    assert len(concepts) == 4 and concepts[0].intro and not any(s.intro for s in concepts[1:])
    paper = render_document("paper.tex.j2", solutions=False, variants=[page_for(spec, variant)],
                            **document_context(spec, 3))
    assert [bool(s.intro) for s in variant.sections if s.title == "Concepts"] == [True, False, False, False]
    printed = re.findall(r"\\titledquestion\{Concepts\}\\leavevmode\\examgenkeepnext\n(.*)\n", paper)
    assert len(printed) == 4 and sum("of every option you choose" in line for line in printed) == 1


def test_each_default_question_has_one_topic_and_attention_introduces_its_symbols() -> None:
    """Hard attention, with its own Q, was printed under the Wasserstein distance's preamble."""
    spec = load_spec(EXAMS / "default.yaml")
    pools = {s.title: {t for item in s.items for t in item.pool} for s in spec.sections}
    assert pools["Attention"] == {"self-attention", "hard-attention"}
    assert not any({"self-attention", "hard-attention"} & p for title, p in pools.items() if title != "Attention")
    hard = " ".join(_question("hard-attention").parts[0].question.split())
    assert r"$d_k$ is the length of the queries and keys" in hard and "each row of $Q$ is a query" in hard
    assert "output $A$" in hard
    own = " ".join(_question("self-attention").parts[0].question.split())
    assert all(s in own for s in ("$Q = XW_Q$", "$K = XW_K$", "$V = XW_V$", "$d_k = 2$ scales the scores"))


def test_fast_q4_update_rules_are_the_gradient_of_its_loss() -> None:
    """The question told students its own rule was not the gradient of its J; J is now the squared error."""
    q = _question("relu-autoencoder")
    stem = " ".join((q.stem + q.parts[0].question).split())
    assert r"J = \tfrac12\sum_d (\hat X_d - X_d)^2" in stem and "not the gradient" not in stem
    assert r"\ln" not in q.parts[1].solution


def test_the_jacobian_example_is_neutral() -> None:
    """Imperial Q1(o)'s solution illustrated da/dz2 with z_1 and z_3, the question's own other vectors."""
    solution = _question("siamese-network").parts[3].solution
    assert "z_{1}" not in solution and "z_{3}" not in solution and "f'(u_{1})" in solution


def test_convolution_by_hand_prints_its_result_matrix_once() -> None:
    """Demo 1(c)/(d) printed the result matrix in the working and again as the answer."""
    for part in _question("conv2d-by-hand", seed=3).parts:
        assert r"\begin{bmatrix}" not in part.solution and r"\begin{bmatrix}" in part.answer
