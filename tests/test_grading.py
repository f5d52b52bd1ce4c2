"""Grading semantics (issue 23): every part is graded as its declared response says, at the stated
precision, with the marks the paper gives, the same in the key and in every export."""
from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from examgen.bank import load_bank
from examgen.export.moodle import write_moodle
from examgen.grading.expected import exact_decimal, expected_values, round_once, tolerance
from examgen.grading.printed import NUMERIC, hand_marked, key_text, precision_sentence
from examgen.models import Pick, Response
from examgen.render import render_question
from examgen.sample import instantiate
from examgen.seeding import rng_for
from examgen.solve import make_context
from export_support import SPECS, sampled, write

SEEDS = 200


def _numeric_templates() -> list:
    return [t for t in load_bank().values() if any(p.response.kind in NUMERIC for p in t.parts)]


def test_rounding_is_once_from_the_exact_value() -> None:
    import sympy

    assert round_once(sympy.log(sympy.Rational(20, 7)), 2) == Decimal("1.05")
    assert round_once(5.47503, 2) == Decimal("5.48")     # not 5.4750 first, then 5.48 or 5.47
    assert round_once(sympy.Rational(1, 8), 2) == Decimal("0.13")   # half away from zero, exactly
    assert tolerance(2) == Decimal("0.005") and tolerance(None) == 0


def test_a_hand_marked_share_reads_as_one_short_clause_after_the_values() -> None:
    """Issue 25: the key gives the graded values (each label tied to its value), then the hand-marked
    share and what earns it, without repeating the values: not `...; by hand (2 marks): max pooling,
    window 3 × 3, stride 1` nor `0.6 (and 1 mark by hand, see the marking guide)`."""
    pooling = Response("values", ("w", "s"), ("window size", "stride"), manual=2)
    graded = key_text(replace(pooling, manual=0.0), {"w": 3, "s": 1})
    assert graded == "window~size:~$3$; stride:~$1$"
    extra = hand_marked(r"max pooling, window $3 \times 3$, stride 1", graded)
    assert key_text(pooling, {"w": 3, "s": 1}, extra) == graded + "~--- by hand (2~marks):~max pooling"
    distance = Response("number", ("W",), (), 1, manual=1)
    assert hand_marked("$W(P, Q) = 0.6$", "$0.6$") == ""
    assert key_text(distance, {"W": 0.6}) == "$0.6$~--- by hand (1~mark):~see the marking guide"
    assert hand_marked(r"$\eta_t = \eta_0 c^{t}$; $\eta_{3} = 0.06$", "rates:~$[0.060000]$") == r"$\eta_t = \eta_0 c^{t}$"


@pytest.mark.parametrize("template", _numeric_templates(), ids=lambda t: t.id)
def test_the_key_prints_the_exact_value_rounded_once_and_every_tolerance_holds_it(template) -> None:
    """For 200 seeds: the key's line is each value rounded once to the stated precision; the
    solver's unrounded value, and that value rounded to the stated precision (what a student who
    rounds only at the end writes), both lie within the tolerance every export grades with."""
    ctx = make_context("cpu")
    for seed in range(SEEDS):
        instance = instantiate(template, rng_for(seed, 1, template.id, 0), ctx)
        rendered = render_question(instance, Pick(template), iter("abcdefghijklmnopqrstuvwxyz"))
        for part in rendered.parts:
            response = template.parts[part.index].response
            if response.kind not in NUMERIC:
                continue
            graded = key_text(replace(response, manual=0.0), instance.solved.answers)
            assert part.answer == graded or part.answer.startswith(graded + "~--- by hand (")
            for name in response.answers:
                for exact, expected in zip(_leaves(instance.solved.answers[name]),
                                           expected_values(Response(response.kind, (name,), (), response.decimals),
                                                           instance.solved.answers)):
                    truth = exact_decimal(exact)
                    assert expected.value == round_once(exact, expected.decimals)
                    assert abs(truth - expected.value) <= expected.tolerance
                    student = round_once(exact, response.decimals or 0)
                    assert abs(student - expected.value) <= expected.tolerance
            if response.decimals is not None:
                assert precision_sentence(response) in part.question   # the question says how to give it


def _leaves(value):
    if isinstance(value, dict):          # a layer's name → its shape: the values, in order
        value = list(value.values())
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def test_every_non_integer_numeric_part_states_its_precision() -> None:
    """A numeric response whose answers are not whole numbers declares `decimals`; `examgen check`
    (quality/sanity.py) fails one that does not, so this walks the bank's own answers."""
    ctx = make_context("cpu")
    missing = []
    for template in _numeric_templates():
        for seed in range(20):
            instance = instantiate(template, rng_for(seed, 1, template.id, 0), ctx)
            for part in template.parts:
                r = part.response
                if r.kind in ("number", "values", "matrix") and r.decimals is None:
                    values = [v for n in r.answers for v in _leaves(instance.solved.answers[n])]
                    if any(exact_decimal(v) != exact_decimal(v).to_integral_value() for v in values):
                        missing.append(f"{template.id} part {part.label}")
    assert not sorted(set(missing))


def _moodle_mark(question: etree._Element) -> float:
    """A question's mark as Moodle computes it on import: a cloze question's is the sum of its
    fields' weights ({w:NUMERICAL:...}), every other question's its defaultgrade."""
    if question.get("type") == "cloze":
        text = question.findtext("questiontext/text") or ""
        return float(sum(int(w) for w in re.findall(r"\{(\d+):NUMERICAL:", text)))
    return float(question.findtext("defaultgrade"))


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_moodle_category_imports_with_one_mark(spec: Path, tmp_path: Path) -> None:
    """Issue 23: the questions of one category (a family's part) import with the same mark, equal to
    the part's marks where Moodle can weigh the fields so (else a whole multiple, named in the
    question's name: 'set mark N')."""
    _, build = sampled(spec, 2, True)
    [path] = write(write_moodle, build, tmp_path)
    quiz = etree.parse(str(path)).getroot()
    category, marks = None, {}
    for question in quiz:
        if question.get("type") == "category":
            category = question.findtext("category/text")
            continue
        marks.setdefault(category, set()).add(_moodle_mark(question))
        named = re.search(r"set mark ([\d.]+)", question.findtext("name/text"))
        if question.get("type") == "cloze" and named:
            assert _moodle_mark(question) % float(named.group(1)) == 0
    assert all(len(m) == 1 for m in marks.values()), {c: m for c, m in marks.items() if len(m) > 1}


def _response(template_id: str, label: str | None = None) -> Response:
    template = load_bank()[template_id]
    return next(p.response for p in template.parts if label is None or p.label == label)


def test_the_issues_five_examples_are_graded_as_their_questions_ask() -> None:
    """Issue 23's examples: no part that asks for prose is keyed on numbers alone."""
    pooling = _response("pooling-identify")        # operation, window and stride, justified
    assert pooling.kind == "values" and pooling.manual >= 1 and pooling.labels == ("window size", "stride")
    assert _response("two-models-shapes-params", "e").kind == "prose"     # discuss advantages...
    assert _response("two-models-shapes-params", "f").kind == "prose"     # what happens with 32x32
    decay = _response("lr-step-decay", "a")         # the decay as a formula, then the rates
    assert decay.kind == "values" and decay.manual >= 1
    bounds = _response("conv-input-size-bounds")    # height range, then width range, as the prose reads
    assert bounds.labels == ("smallest height", "largest height", "smallest width", "largest width")
    explain = _response("zero-lr-expected-loss")     # explain in one or two sentences (10 marks)
    assert explain.manual >= 5 and explain.decimals is not None and explain.decimals <= 4
    ce = _response("cross-entropy")                 # the demo's 2: logarithms accepted, precision stated
    assert ce.expression and ce.decimals == 2
