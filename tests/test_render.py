"""Rendering: number formatting, multiple choice shuffled per variant with the key following."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from examgen.bank import load_template_file
from examgen.tex.latexfmt import matrix, num, shape
from examgen.models import Pick
from examgen.render import render_question
from examgen.sample import instantiate
from examgen.seeding import rng_for
from examgen.solve import make_context

MCQ = """
id: mcq-demo
title: Which layers learn?
topics: [cnn]
kind: multiple-choice
source: {paper: original, question: "1"}
parts:
  - label: a
    marks: 1
    multiple: true
    question: Which of these have trainable parameters?
    options:
      - {text: Conv2d, correct: true, why: filters and biases}
      - {text: MaxPool2d, correct: false, why: a fixed max}
      - {text: Linear, correct: true}
      - {text: ReLU, correct: false}
  - label: b
    marks: 1
    draw: 3
    question: Pick the activation.
    options:
      - {text: ReLU, correct: true}
      - {text: Dropout, correct: false}
      - {text: Flatten, correct: false}
      - {text: Conv1d, correct: false}
      - {text: Embedding, correct: false}
"""


def test_numbers_print_exact_where_exact_and_decimal_where_it_helps() -> None:
    import sympy

    assert num(12) == "12" and num(3.0) == "3" and num(0.33414) == "0.3341" and num(-0.0) == "0"
    assert num(Fraction(3, 4)) == r"\frac{3}{4}"
    assert num(sympy.log(250)) == r"\ln{\left(250 \right)} \approx 5.5215"
    assert num(sympy.Rational(9, 4)) == "2.25"
    assert num(sympy.Rational(1, 3)) == r"\frac{1}{3} \approx 0.3333"
    assert matrix([[1, -2], [0.5, 3]]) == r"\begin{bmatrix} 1 & -2 \\ 0.5 & 3 \end{bmatrix}"
    assert shape([3, 1, 224, 224]) == "[3, 1, 224, 224]"


@pytest.fixture
def mcq(tmp_path: Path):
    path = tmp_path / "mcq-demo.yaml"
    path.write_text(MCQ)
    return load_template_file(path)


def render(template, seed: int):
    inst = instantiate(template, rng_for(seed, 1, template.id, 0), make_context())
    return inst, render_question(inst, Pick(template), iter("ab"))


def test_options_are_shuffled_per_seed_and_the_key_follows(mcq) -> None:
    orders = set()
    for seed in range(12):
        inst, question = render(mcq, seed)
        shown = [o.text for o in inst.choices[0]]
        orders.add(tuple(shown))
        expected = ", ".join(["i", "ii", "iii", "iv"][k] for k, t in enumerate(shown) if t in ("Conv2d", "Linear"))
        assert question.parts[0].answer == expected
        for k, text in enumerate(shown):
            assert f"\\item[{['i', 'ii', 'iii', 'iv'][k]})] {text}" in question.parts[0].question
    assert len(orders) > 3


def test_drawn_options_keep_one_correct(mcq) -> None:
    for seed in range(12):
        inst, question = render(mcq, seed)
        drawn = inst.choices[1]
        assert len(drawn) == 3 and sum(o.correct for o in drawn) == 1
        label = ["i", "ii", "iii"][[o.text for o in drawn].index("ReLU")]
        assert question.parts[1].answer == label


def test_solutions_mark_options_and_justify(mcq) -> None:
    _, question = render(mcq, 1)
    assert r"\textbf{true}" in question.parts[0].solution and "filters and biases" in question.parts[0].solution
    assert "true" not in question.parts[0].question


def test_a_part_with_a_false_when_parameter_is_not_asked() -> None:
    from examgen.bank import load_bank

    template = load_bank()["conv2d-by-hand"]
    pooled = instantiate(template, rng_for(0), make_context(), preset="glasgow-2023-2ab")
    plain_conv = instantiate(template, rng_for(0), make_context(), preset="fast-cs4045-2c-i")
    assert [p.label for p in render_question(pooled, Pick(template), iter("ab")).parts] == ["a", "b"]
    only = render_question(plain_conv, Pick(template), iter([""])).parts
    assert len(only) == 1 and "pool" not in only[0].question


@pytest.mark.parametrize("text", [
    "  ReLU  ", "a %> b >> c #> d", "{{ x }} {% if y %} 50\\% of $x_1$", "line one\n  line two\n\n",
    "one\r\ntwo\rthree", "<< 1 + 1 >>", "<% if true %>yes<% endif %>", "a <# note #> b", "x" * 100,
])
def test_text_without_tags_renders_as_jinja_would(text: str) -> None:
    """render_text skips compiling text Jinja would give back unchanged; what comes out is the same
    (before the LaTeX whitelist, which refuses the bare % of two of these)."""
    from examgen.render import _render, environment

    assert _render(text, {}, "t") == environment().from_string(text).render().strip()
