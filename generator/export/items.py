"""The one intermediate every export reads: variants → questions → parts, built once.

Text stays LaTeX here (as the bank writes it); each format converts it its own way. A part is
`numeric` (one value), `numeric-multi` (a matrix or a shape: several values), `choice`
(multiple choice) or `open` (short answer, essay, code, symbolic), by what its answer holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import RenderError
from ..models import (ExamSpec, Instance, RenderedOption, RenderedPart, RenderedQuestion, Variant, variant_digits,
                      variant_name)
from ..render import plain
from ..write.answer_key import describe
from .latexhtml import Converter
from .values import Value, confirmed, printed_values, settle, solver_numbers

GRADED_KINDS = ("numeric",)  # kinds whose printed answers are numbers to grade automatically


@dataclass(frozen=True)
class ItemPart:
    """One answerable part: `label` as printed ("1a"), LaTeX texts, and what grades it."""

    label: str
    own: str          # the template's own label for the part ("" for a one-part question)
    marks: float
    kind: str
    question: str
    solution: str
    answer: str
    values: tuple[Value, ...] = ()
    choices: tuple[RenderedOption, ...] = ()
    multiple: bool = False

    @property
    def shuffled_answer(self) -> str:
        """The answer for formats that reshuffle the options: the right options' texts, not their labels."""
        right = [c.text for c in self.choices if c.correct]
        return "; ".join(right) if self.choices and right else self.answer


@dataclass(frozen=True)
class Item:
    """One question of one variant: a family's instance with its stem and parts."""

    number: int
    family: str
    title: str
    source: str
    section: str
    stem: str
    stem_solution: str
    parts: tuple[ItemPart, ...]
    record: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def marks(self) -> float:
        return sum(p.marks for p in self.parts)


@dataclass(frozen=True)
class ExportVariant:
    number: int
    code: str
    student_id: str | None
    student_name: str | None
    items: tuple[Item, ...]
    of: int = 1   # the build's number of variants: how many digits variant-NN takes

    @property
    def name(self) -> str:
        """What names this variant's files: the student's id, else variant-NN."""
        return self.student_id or variant_name(self.number, self.of)

    @property
    def digits(self) -> str:
        """The variant's number as its folder writes it (01, or 001 from 100 variants on)."""
        return variant_digits(self.number, self.of)


@dataclass(frozen=True)
class ExportBuild:
    spec: ExamSpec
    seed: int
    variants: tuple[ExportVariant, ...]


def export_build(spec: ExamSpec, seed: int, variants: list[Variant]) -> ExportBuild:
    """The intermediate for every format, from the sampled and rendered variants."""
    return ExportBuild(spec, seed, tuple(_variant(v, len(variants)) for v in variants))


def _variant(variant: Variant, of: int) -> ExportVariant:
    items = []
    for number, (section, instances) in enumerate(zip(variant.sections, variant.instances), start=1):
        for question, instance in zip(section.questions, instances):
            items.append(_item(number, section.title, question, instance))
    student = variant.student
    return ExportVariant(variant.number, variant.code, student.id if student else None,
                         student.name if student else None, tuple(items), of)


def _item(number: int, section: str, question: RenderedQuestion, instance: Instance) -> Item:
    truth = solver_numbers(plain(instance.answers))
    parts = tuple(_part(number, p, instance, truth) for p in question.parts)
    _check_convertible(instance, [question.stem, question.stem_solution]
                       + [t for p in parts for t in (p.question, p.solution, p.answer, *(c.text + c.why for c in p.choices))])
    return Item(number, instance.template.id, instance.template.title, question.source, section,
                question.stem, question.stem_solution, parts, describe(instance))


def _part(number: int, part: RenderedPart, instance: Instance, truth: list[float]) -> ItemPart:
    label = f"{number}{part.label}"
    own = instance.template.parts[part.index].label or ""
    common = dict(label=label, own=own, marks=part.marks, question=part.prompt or part.question,
                  solution=part.work if part.options else part.solution, answer=part.answer)
    if part.options:
        multiple = instance.template.parts[part.index].multiple
        choices = tuple(part.options)
        return ItemPart(kind="choice", choices=choices, multiple=multiple, **common)
    values = printed_values(part.answer) if instance.template.kind in GRADED_KINDS else []
    if confirmed(values, truth):
        kind = "numeric" if len(values) == 1 else "numeric-multi"
        return ItemPart(kind=kind, values=tuple(settle(values, truth)), **common)
    return ItemPart(kind="open", **common)


def _check_convertible(instance: Instance, texts: list[str]) -> None:
    """Screen formats convert the LaTeX to XHTML: a text the converter cannot read is the bank
    file's fault, so say which template, once, before any format writes anything."""
    convert = Converter(lambda latex, display: "", lambda tikz: "")
    for text in texts:
        try:
            convert(text)
        except ValueError as err:
            raise RenderError(f"{instance.template.path} (template {instance.template.id}): "
                              f"cannot convert its LaTeX for export: {err}") from None


def families(build: ExportBuild) -> dict[str, list[tuple[ExportVariant, Item]]]:
    """Every variant's item of each family, by family id in first-seen order (one LMS category each)."""
    out: dict[str, list[tuple[ExportVariant, Item]]] = {}
    for variant in build.variants:
        for item in variant.items:
            out.setdefault(item.family, []).append((variant, item))
    return out
