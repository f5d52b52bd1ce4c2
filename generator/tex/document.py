"""What the paper templates print besides the questions: covers, totals, answer space, errata.

Everything here is decided in Python, where the marks are known exactly, so the TeX run needs
no second pass for point totals.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .latexfmt import marks as fmt_marks
from ..models import ExamSpec, RenderedPart, RenderedSection, Variant
from ..render import render_text

CM_PER_MARK = 1.3          # answer space per mark, plus a base, for a part without its own `space`
BASE_CM = 1.2
MIN_CM, MAX_CM = 2.5, 13.0  # never less than a few lines, never more than half a page
CHOICE_CM = 1.5            # a multiple-choice part needs room for its labels only (and its reason, if asked)
PERCENT_AS_MARKS = 0.2     # in a %-marked paper a question's 100 % is worth about 20 marks of space
# Text that cannot break across pages, or should not: options, figures, code, tables. A part with it
# is measured before it is set, so that its page break falls before the text, not before the box.
UNBREAKABLE = re.compile(r"\\begin\{(itemize|enumerate|tikzpicture|lstlisting|tabular|array)\}|\\includegraphics")
LENGTH = re.compile(r"^\s*([\d.]+)\s*(cm|mm|in|pt)\s*$")
TO_CM = {"cm": 1.0, "mm": 0.1, "in": 2.54, "pt": 2.54 / 72.27}


@dataclass
class Erratum:
    number: int
    label: str
    text: str


@dataclass
class Page:
    """One variant as the paper templates see it."""

    number: int
    code: str
    sections: list
    optional: list[str]                  # per section: "" or why it is optional ("PhD candidates only")
    cover: list[tuple[str, str]]         # the cover's (label, value) lines
    grades: list[tuple[str, str]]        # the grade table: (question, marks) columns
    student: Any = None
    errata: list[Erratum] = field(default_factory=list)


def is_percent(unit: str) -> bool:
    """A paper marked in % of each question (Imperial's) rather than in marks."""
    return unit.strip() == "%"


def document_context(spec: ExamSpec, seed: int) -> dict[str, Any]:
    """What every document template (paper, answer key) sees besides its variants."""
    unit = spec.marks_unit
    return {"exam": spec, "seed": seed, "word": spec.question_word, "unit": unit,
            "point_unit": r"\,\%" if is_percent(unit) else ""}


def answer_space(part: RenderedPart, unit: str) -> str:
    """The answer box height: proportional to marks; a bank `space` is a floor (a sketch needs room).
    A choice part's box holds its labels, and beside them the written reason its `response.manual`
    marks are for (Oslo IN5400 2022 Ex7(a): "explain in at most five sentences" under 1.5 cm)."""
    scale = PERCENT_AS_MARKS if is_percent(unit) else 1.0
    cm = BASE_CM + CM_PER_MARK * part.marks * scale
    if part.choice:
        cm = CHOICE_CM + (BASE_CM + CM_PER_MARK * part.written * scale if part.written else 0.0)
    own = LENGTH.match(part.space or "")
    if own:
        cm = max(cm, float(own.group(1)) * TO_CM[own.group(2)])
    return f"{min(MAX_CM, max(CHOICE_CM if part.choice else MIN_CM, cm)):.1f}cm"


def cover_lines(spec: ExamSpec, page_sections: list, optional: list[str], word: str) -> list[tuple[str, str]]:
    """Session, date, duration (each only when the spec gives it) and what the paper is marked out of;
    optional questions apart from the total."""
    rows = [(k, v) for k, v in (("Session", spec.session), ("Date", spec.date), ("Duration", spec.duration)) if v]
    unit = spec.marks_unit
    required = [(i, s) for i, s in enumerate(page_sections, start=1) if not optional[i - 1]]
    if is_percent(unit):
        weights = {fmt_marks(s.marks) for _, s in required}
        if len(weights) == 1:
            rows.append(("Marking", f"each {word.lower()} is marked out of {weights.pop()} %; "
                                    f"the {len(required)} {word.lower()}s carry equal weight"))
        else:
            rows.append(("Marking", "; ".join(f"{word} {i}: {fmt_marks(s.marks)} %" for i, s in required)))
    else:
        rows.append(("Total", f"{fmt_marks(sum(s.marks for _, s in required))} {unit}"))
    for i, s in enumerate(page_sections, start=1):
        if optional[i - 1]:
            rows.append((f"{word} {i}", f"{fmt_marks(s.marks)} {unit}, {optional[i - 1]} (not in the total)"))
    return rows


def grade_table(page_sections: list, optional: list[str], unit: str) -> list[tuple[str, str]]:
    """The cover's grade table columns; optional questions are marked with a dagger."""
    columns = [(f"{i}" + (r"$^\dagger$" if optional[i - 1] else ""), fmt_marks(s.marks))
               for i, s in enumerate(page_sections, start=1)]
    if not is_percent(unit):
        columns.append(("Total", fmt_marks(sum(s.marks for i, s in enumerate(page_sections) if not optional[i]))))
    return columns


def errata(variant: Variant) -> list[Erratum]:
    """The original paper's slips, for questions drawn with its own values (--as-printed)."""
    out = []
    for number, (section, instances) in enumerate(zip(variant.sections, variant.instances), start=1):
        for question, instance in zip(section.questions, instances):
            preset = instance.template.presets.get(instance.preset or "")
            if preset is None or not preset.erratum:
                continue
            label = question.parts[0].label if len(question.parts) == 1 else ""
            where = f"{instance.template.path} (preset {preset.name}) erratum"
            out.append(Erratum(number, f"({label})" if label else "",
                               render_text(preset.erratum, dict(instance.params), where)))
    return out


def size_answer_space(sections: list[RenderedSection], unit: str) -> None:
    """Every part's answer box, from its marks (document.answer_space), and whether its text must
    be measured to stay with that box (`keep`)."""
    for section in sections:
        for question in section.questions:
            for part in question.parts:
                part.space = answer_space(part, unit)
                part.keep = part.choice or bool(UNBREAKABLE.search(part.question))


def page_for(spec: ExamSpec, variant: Variant) -> Page:
    """The view of one variant that paper.tex.j2 and answer-key.tex.j2 print."""
    word = spec.question_word
    optional = [s.optional for s in spec.sections]
    size_answer_space(variant.sections, spec.marks_unit)
    return Page(variant.number, variant.code, variant.sections, optional,
                cover_lines(spec, variant.sections, optional, word),
                grade_table(variant.sections, optional, spec.marks_unit), variant.student, errata(variant))
