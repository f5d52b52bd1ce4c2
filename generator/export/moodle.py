"""Moodle XML: one question per part and variant, every variant of a family in one category.

numeric → `numerical` (tolerance from the printed precision), several numbers → `cloze` with one
NUMERICAL field each, multiple choice → `multichoice` (shuffled, feedback from the reasons),
anything else → `essay` with the model answer and marking as grader information. Maths stays
LaTeX between \\( \\) for Moodle's MathJax filter; figures are PNG files inside the question.
"""
from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from lxml import etree

from .figures import Figures
from .items import ExportBuild, ExportVariant, Item, ItemPart, families
from .latexhtml import Converter
from .markup import FileFigures, mathjax

# Moodle accepts only these answer fractions (question/format.php); 100/k is one of them for k ≠ 7.
GRADES = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
          14.28571, 12.5, 11.11111, 10, 5, 0)


def write_moodle(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    """`<spec>-moodle.xml`: a category per family (per family part), then its questions; a part
    with a share graded by hand has a second category of essay questions for that share."""
    quiz = etree.Element("quiz")
    for family, entries in families(build).items():
        for own in _own_labels(entries):
            parts = [(variant, item, part) for variant, item in entries for part in item.parts if part.own == own]
            path = f"$course$/examgen/{build.spec.id}/{family}" + (f"/{own}" if own else "")
            quiz.append(_category(path + (" (optional)" if parts[0][2].optional else "")))
            weights = _cloze_total(parts)
            for variant, item, part in parts:
                quiz.append(_question(variant, item, part, figures, weights))
            manual = [(v, i, p) for v, i, p in parts if p.manual and p.kind != "open"]
            if manual:
                quiz.append(_category(path + " (by hand)"))
                quiz.extend(_by_hand(v, i, p, figures) for v, i, p in manual)
    path = out / f"{build.spec.id}-moodle.xml"
    path.write_bytes(etree.tostring(quiz, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return [path]


def _own_labels(entries: list[tuple[ExportVariant, Item]]) -> list[str]:
    """The family's parts: "random question from category" must draw the same part every time."""
    seen: dict[str, None] = {}
    for _, item in entries:
        seen.update((p.own, None) for p in item.parts)
    return list(seen)


def _category(path: str) -> etree._Element:
    q = etree.Element("question", type="category")
    _text(etree.SubElement(q, "category"), path)
    return q


def _question(variant: ExportVariant, item: Item, part: ItemPart, figures: Figures, cloze_total: int) -> etree._Element:
    html = _Areas(figures)
    kind = {"numeric": "numerical", "numeric-multi": "cloze", "choice": "multichoice"}.get(part.kind, "essay")
    if kind == "multichoice" and not any(c.correct for c in part.choices):
        kind = "essay"  # "none of these" cannot be scored by Moodle's multichoice
    marks = part.marks if kind == "essay" else part.auto_marks
    q = etree.Element("question", type=kind)
    who = f" ({variant.student_id})" if variant.student_id else ""
    scaled = f" · set mark {marks:g}" if kind == "cloze" and cloze_total != marks else ""
    _text(etree.SubElement(q, "name"), f"{item.family} {part.own} · v{variant.digits} {variant.code}{who}{scaled}".replace("  ", " "))
    body = html(item.stem) + html(part.question) + (_cloze_fields(part, cloze_total) if kind == "cloze" else "")
    html.area(q, "questiontext", body)
    feedback = html(item.stem_solution) + html(part.solution) + html(rf"\textbf{{Answer:}} {part.shuffled_answer}")
    html.area(q, "generalfeedback", feedback)
    etree.SubElement(q, "defaultgrade").text = f"{marks:g}"   # Moodle ignores it on cloze: the weights count
    etree.SubElement(q, "penalty").text = "0"
    etree.SubElement(q, "hidden").text = "0"
    etree.SubElement(q, "idnumber").text = f"{item.family}-{part.own or 'q'}-{variant.code}"
    {"numerical": _numerical, "multichoice": _multichoice, "essay": _essay}.get(kind, lambda *_: None)(q, part, html)
    return q


class _Areas:
    """Converts text for one Moodle text area at a time: its pictures go in as its <file>s."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.pictures = FileFigures(figures, "@@PLUGINFILE@@/")

    def __call__(self, tex: str) -> str:
        return Converter(mathjax, self.pictures)(tex)

    def area(self, parent: etree._Element, tag: str, body: str, **attrs: str) -> etree._Element:
        node = _text(etree.SubElement(parent, tag, format="html", **attrs), body)
        for name, data in self.pictures.used.items():
            etree.SubElement(node, "file", name=name, path="/", encoding="base64").text = base64.b64encode(data).decode()
        self.pictures = FileFigures(self.figures, "@@PLUGINFILE@@/")
        return node


def _numerical(q: etree._Element, part: ItemPart, html: _Areas) -> None:
    value = part.values[0]
    answer = etree.SubElement(q, "answer", fraction="100", format="moodle_auto_format")
    _text(answer, repr(value.value))
    etree.SubElement(answer, "tolerance").text = repr(value.tolerance)
    html.area(answer, "feedback", "")
    etree.SubElement(q, "unitgradingtype").text = "0"
    etree.SubElement(q, "showunits").text = "3"   # no unit asked for
    etree.SubElement(q, "unitsleft").text = "0"


def _cloze_total(parts: list[tuple[ExportVariant, Item, ItemPart]]) -> int:
    """What every cloze question of one category weighs in all (Moodle's mark for a cloze question
    is the sum of its fields' weights): the part's marks when they are whole and at least one per
    field; otherwise the smallest whole multiple of them that gives every field a weight."""
    cloze = [p for _, _, p in parts if p.kind == "numeric-multi"]
    if not cloze:
        return 0
    marks, fields = cloze[0].auto_marks, max(len(p.values) for p in cloze)
    k = 1
    while not (marks * k).is_integer() or marks * k < fields:
        k += 1
    return int(marks * k)


def _weights(total: int, count: int) -> list[int]:
    """`total` shared out over `count` fields as evenly as whole numbers allow."""
    return [total // count + (1 if i < total % count else 0) for i in range(count)]


def _cloze_fields(part: ItemPart, total: int) -> str:
    """One NUMERICAL field per value beside its label, weighted so the question's mark is `total`."""
    fields = "".join(f"<li>{escape(v.label)}{': ' if v.label else ''}{{{w}:NUMERICAL:={v.value!r}:{v.tolerance!r}}}</li>"
                     for v, w in zip(part.values, _weights(total, len(part.values))))
    return f'<div class="p">Give each value beside its name:</div><ul>{fields}</ul>'


def _by_hand(variant: ExportVariant, item: Item, part: ItemPart, figures: Figures) -> etree._Element:
    """The share of a part a grader marks by hand (a reason, a formula), as an essay question."""
    html = _Areas(figures)
    q = etree.Element("question", type="essay")
    _text(etree.SubElement(q, "name"), f"{item.family} {part.own} (by hand) · v{variant.digits} {variant.code}".replace("  ", " "))
    html.area(q, "questiontext", html(item.stem) + html(part.question)
              + '<div class="p">Write the reasoning or working this part asks for.</div>')
    html.area(q, "generalfeedback", html(part.solution))
    etree.SubElement(q, "defaultgrade").text = f"{part.manual:g}"
    etree.SubElement(q, "penalty").text = "0"
    etree.SubElement(q, "hidden").text = "0"
    etree.SubElement(q, "idnumber").text = f"{item.family}-{part.own or 'q'}-{variant.code}-manual"
    _essay(q, part, html)
    return q


def _multichoice(q: etree._Element, part: ItemPart, html: _Areas) -> None:
    right = [c for c in part.choices if c.correct]
    wrong = [c for c in part.choices if not c.correct]
    etree.SubElement(q, "single").text = "false" if part.multiple else "true"
    etree.SubElement(q, "shuffleanswers").text = "1"
    etree.SubElement(q, "answernumbering").text = "abc"
    for choice in part.choices:
        if part.multiple:
            fraction = _grade(100 / len(right)) if choice.correct else -_grade(100 / len(wrong)) if wrong else 0
        else:
            fraction = 100 if choice.correct else 0
        grade = f"{fraction:.5f}".rstrip("0").rstrip(".")
        answer = html.area(q, "answer", html(choice.text), fraction=grade)
        html.area(answer, "feedback", html(choice.why))


def _grade(x: float) -> float:
    """The nearest fraction Moodle accepts (100/7 is not one: 14.28571 is)."""
    return min(GRADES, key=lambda g: abs(g - x))


def _essay(q: etree._Element, part: ItemPart, html: _Areas) -> None:
    etree.SubElement(q, "responseformat").text = "editor"
    etree.SubElement(q, "responserequired").text = "1"
    etree.SubElement(q, "responsefieldlines").text = "10"
    etree.SubElement(q, "attachments").text = "0"
    grader = html(rf"\textbf{{Model answer:}} {part.answer}") + html(part.solution)
    html.area(q, "graderinfo", grader)
    _text(etree.SubElement(q, "responsetemplate", format="html"), "")


def _text(parent: etree._Element, text: str) -> etree._Element:
    etree.SubElement(parent, "text").text = etree.CDATA(text) if "<" in text or "&" in text else text
    return parent

