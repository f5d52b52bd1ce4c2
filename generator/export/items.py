"""The one intermediate every export reads: variants → questions → parts, built once.

Text stays LaTeX here (as the bank writes it); each format converts it its own way. A part is
`numeric` (one value), `numeric-multi` (several labelled values: a shape, a matrix, a layer's
shapes), `choice` (multiple choice) or `open` (graded by hand), by the response the bank declares
for it (models.Response); a graded part may leave `manual` marks to the grader.
Every text loses the characters XML cannot hold (controls but tab and line breaks, lone
surrogates, U+FFFE, U+FFFF) on the way in, so no format meets them; a name loses its line breaks too.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import RenderError, SpecError
from ..inputs.roster import name_problem
from ..render import hand_marks
from ..models import (ExamSpec, Instance, Part, RenderedOption, RenderedPart, RenderedQuestion, Student, Variant,
                      variant_digits, variant_name)
from ..write.answer_key import describe
from .latexhtml import Converter
from .figures import describe_figures
from .whitelist import clean
from ..grading.expected import expected_values
from .values import Value



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
    manual: float = 0.0      # marks of the part a grader awards by hand (the rest: `values` or `choices`)
    optional: bool = False   # in a section the spec marks optional (PhD only): not in the totals

    @property
    def auto_marks(self) -> float:
        """The marks software grades: all of a choice or numeric part but its manual share."""
        return self.marks - self.manual if self.kind != "open" else 0.0

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
    return ExportBuild(_spec(spec), seed, tuple(_variant(v, len(variants), spec) for v in variants))


def _spec(spec: ExamSpec) -> ExamSpec:
    sections = tuple(replace(s, title=clean(s.title), intro=clean(s.intro)) for s in spec.sections)
    return replace(spec, title=clean(spec.title), institution=clean(spec.institution), course=clean(spec.course),
                   session=clean(spec.session),
                   date=clean(spec.date), duration=clean(spec.duration), marks_unit=clean(spec.marks_unit),
                   instructions=tuple(clean(i) for i in spec.instructions), sections=sections)


def _name(student: Student | None) -> str | None:
    """The roster's name on one line; one with nothing printable is refused, naming the student."""
    if student is None:
        return None
    name = " ".join(clean(student.name).split())
    if not name:
        raise SpecError(f"roster: student {student.id}: the name {student.name[:40]!r} is only control "
                        "characters and spaces")
    why = name_problem(name)   # as the roster checks it: a name no font holds cannot go on a copy
    if why:
        raise SpecError(f"roster: student {student.id}: the name {name[:40]!r}: {why}")
    return name


def _variant(variant: Variant, of: int, spec: ExamSpec) -> ExportVariant:
    items = []
    for number, (section, instances) in enumerate(zip(variant.sections, variant.instances), start=1):
        own = spec.sections[number - 1]   # the spec's own title (the rendered one is escaped for LaTeX)
        for question, instance in zip(section.questions, instances):
            items.append(_item(number, clean(own.title), question, instance, bool(own.optional)))
    student = variant.student
    return ExportVariant(variant.number, variant.code, student.id if student else None,
                         _name(student), tuple(items), of)


def _item(number: int, section: str, question: RenderedQuestion, instance: Instance, optional: bool = False) -> Item:
    parts = tuple(_part(number, p, instance, optional) for p in question.parts)
    stem, stem_solution = clean(question.stem), clean(question.stem_solution)
    _check_convertible(instance, [stem, stem_solution]
                       + [t for p in parts for t in (p.question, p.solution, p.answer, *(c.text + c.why for c in p.choices))])
    describe_figures(instance, question)   # each figure's alt text, for the formats that show pictures
    return Item(number, instance.template.id, clean(instance.template.title), clean(question.source), section,
                stem, stem_solution, parts, describe(instance))


def _part(number: int, part: RenderedPart, instance: Instance, optional: bool) -> ItemPart:
    """One part as every format grades it: by its declared response (models.Response), never by
    what its printed answer happens to hold. Prose, expressions and what a float cannot hold
    exactly are open (graded by hand); a `manual` share of a graded part is graded by hand too."""
    label = clean(f"{number}{part.label}")
    source = instance.template.parts[part.index]
    answer = clean(part.answer)
    common = dict(label=label, own=clean(source.label or ""), marks=part.marks, optional=optional,
                  question=clean(part.prompt or part.question),
                  solution=clean(part.work if part.options else part.solution), answer=answer)
    manual = hand_marks(source, part.marks)
    if part.options:
        choices = tuple(RenderedOption(clean(o.text), o.correct, clean(o.why)) for o in part.options)
        return ItemPart(kind="choice", choices=choices, multiple=source.multiple, manual=manual, **common)
    values = [Value(float(e.value), float(e.tolerance), e.text, clean(e.label))
              for e in expected_values(source.response, instance.solved.answers)]
    if values and all(v.gradable for v in values):
        kind = "numeric" if len(values) == 1 else "numeric-multi"
        return ItemPart(kind=kind, values=tuple(values), manual=manual, **common)
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
