"""answer-key.json: every variant's parameters and answers, by question."""
from __future__ import annotations

import json
from typing import Any

from ..models import ExamSpec, Instance, RenderedPart, Variant
from ..render import plain
from ..tex.latexfmt import roman


def describe(instance: Instance) -> dict[str, Any]:
    """The JSON-ready record of an instance: values, answers, option order."""
    record: dict[str, Any] = {"params": plain(instance.params), "answers": plain(instance.answers)}
    if instance.preset:
        record["preset"] = instance.preset
    if instance.solved.effort is not None:   # the hand work, and the family's median it keeps near
        record["effort"] = {"value": round(instance.solved.effort, 2), "family_median": instance.template.effort}
    if instance.choices:
        record["options"] = {str(i): [o.text for o in opts] for i, opts in instance.choices.items()}
    return record


def variant_record(variant: Variant) -> dict[str, Any]:
    questions = []
    for number, (section, instances) in enumerate(zip(variant.sections, variant.instances), start=1):
        for question, instance in zip(section.questions, instances):
            questions.append({
                "number": number,
                "parts": [_part_record(number, p) for p in question.parts],
                "template": instance.template.id,
                **describe(instance),
            })
    record: dict[str, Any] = {"variant": variant.number, "code": variant.code}
    if variant.student is not None:
        record["student"] = {"id": variant.student.id, "name": variant.student.name}
    return {**record, "questions": questions}


def _part_record(number: int, part: RenderedPart) -> dict[str, Any]:
    """A part as printed: its label, marks (as the spec scales them), key text, the template part
    it renders (`index`, for `examgen grade`) and, for a choice, the right options' labels."""
    record: dict[str, Any] = {"label": f"{number}{part.label}", "marks": part.marks, "answer": part.answer,
                              "index": part.index}
    if part.options:
        record["correct"] = [roman(i) for i, o in enumerate(part.options) if o.correct]
    return record


def answer_key(spec: ExamSpec, seed: int, variants: list[Variant]) -> dict[str, Any]:
    key: dict[str, Any] = {"exam": spec.id, "title": spec.title, "seed": seed}
    if any(v.student for v in variants):
        key["students"] = {v.student.id: {"name": v.student.name, "variant": v.number, "code": v.code}
                           for v in variants if v.student}
    return {**key, "variants": [variant_record(v) for v in variants]}


def answer_key_json(spec: ExamSpec, seed: int, variants: list[Variant]) -> str:
    """answer-key.json's text."""
    return json.dumps(answer_key(spec, seed, variants), indent=2, sort_keys=False) + "\n"
