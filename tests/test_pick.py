"""Exam specs: validation, and picking by id, topic, kind and pool, with shuffles and overrides."""
from __future__ import annotations

from pathlib import Path

import pytest

from examgen.bank import load_bank
from examgen.build import Quiet, sample_variants
from examgen.errors import SpecError
from examgen.pick import pick_questions
from examgen.solve import make_context
from examgen.spec import load_spec, parse_spec


def spec(sections: list, **extra):
    return parse_spec(Path("exam.yaml"), {"title": "T", "sections": sections, **extra})


def ids(picks) -> list[list[str]]:
    return [[p.template.id for p in section] for section in picks]


def test_spec_problems_are_reported_together() -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(Path("bad.yaml"), {"titel": "x", "sections": [{"questions": [{"template": "a", "topic": "b"}, 3]}]})
    text = str(err.value)
    for fragment in ("bad.yaml", "titel: unknown field", "title: missing", "sections[0].title: missing",
                     "sections[0].questions[0]: give exactly one of", "sections[0].questions[1]: expected"):
        assert fragment in text, fragment


def test_every_shipped_spec_is_valid() -> None:
    for path in sorted((Path(__file__).parent.parent / "bank" / "exams").glob("*.yaml")):
        load_spec(path)


def test_topic_and_pool_draws_avoid_named_templates() -> None:
    s = spec([{"title": "A", "separate": False, "questions": ["conv2d-params", {"topic": "cnn", "draw": 2}]},
              {"title": "B", "separate": False,
               "questions": [{"pool": ["cross-entropy", "self-attention", "conv2d-params"], "draw": 2}]}])
    for variant in range(1, 6):
        picked = ids(pick_questions(s, load_bank(), 4, variant))
        flat = [t for section in picked for t in section]
        assert len(flat) == len(set(flat)) == 5
        assert picked[0][0] == "conv2d-params"
        assert all("cnn" in load_bank()[t].topics for t in picked[0])
        assert set(picked[1]) == {"cross-entropy", "self-attention"}


def test_pool_draws_and_shuffles_vary_with_variant_but_not_with_rerun() -> None:
    s = spec([{"title": "A", "shuffle": True,
               "questions": ["conv2d-params", "maxpool-by-hand", "cross-entropy", "self-attention"]}])
    runs = [tuple(ids(pick_questions(s, load_bank(), 9, v))[0]) for v in range(1, 9)]
    assert len(set(runs)) > 1
    assert runs == [tuple(ids(pick_questions(s, load_bank(), 9, v))[0]) for v in range(1, 9)]


def test_a_pool_of_one_is_that_template() -> None:
    s = spec([{"title": "A", "questions": [{"pool": ["conv2d-params"], "draw": 1}]}])
    assert ids(pick_questions(s, load_bank(), 1, 1)) == [["conv2d-params"]]


def test_marks_override_and_part_subset() -> None:
    s = spec([{"title": "A", "questions": [{"template": "conv2d-by-hand", "parts": ["a"], "marks": 2},
                                           {"template": "conv2d-params", "marks": 1.5}]}])
    variant = sample_variants(s, load_bank(), 1, 1, make_context(), Quiet())[0]
    parts = [p for q in variant.sections[0].questions for p in q.parts]
    assert [(p.label, p.marks) for p in parts] == [("a", 2), ("b", 1.5)]


def test_total_marks_must_add_up() -> None:
    s = spec([{"title": "A", "questions": ["conv2d-params"]}], total_marks=50)
    with pytest.raises(SpecError, match="total_marks: the questions add up to 2 marks, not 50"):
        sample_variants(s, load_bank(), 1, 1, make_context(), Quiet())


@pytest.mark.parametrize("item,fragment", [
    ({"template": "conv2d-params", "preset": "nope"}, "has no preset 'nope'"),
    ({"template": "conv2d-params", "parts": ["z"]}, "has no part(s) z"),
    ({"topic": "no-such-topic"}, "no template has topic='no-such-topic'"),
])
def test_bad_items_name_the_spec(item: dict, fragment: str) -> None:
    s = spec([{"title": "A", "questions": [item]}])
    with pytest.raises(SpecError, match="exam.yaml: .*" + fragment.replace("(", r"\(").replace(")", r"\)")):
        pick_questions(s, load_bank(), 1, 1)
