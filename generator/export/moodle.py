"""Moodle XML: one question per part and variant, every variant of a family in one category.

numeric → `numerical` (tolerance from the printed precision), several numbers → `cloze` with one
NUMERICAL field each, multiple choice → `multichoice` (shuffled, feedback from the reasons),
anything else → `essay` with the model answer and marking as grader information. Maths stays
LaTeX between \\( \\) for Moodle's MathJax filter; figures are PNG files inside the question.
"""
from __future__ import annotations

import base64
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
    """`<spec>-moodle.xml`: a category per family (per family part), then its questions."""
    quiz = etree.Element("quiz")
    for family, entries in families(build).items():
        for own in _own_labels(entries):
            quiz.append(_category(f"$course$/examgen/{build.spec.id}/{family}" + (f"/{own}" if own else "")))
            for variant, item in entries:
                for part in item.parts:
                    if part.own == own:
                        quiz.append(_question(variant, item, part, figures))
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


def _question(variant: ExportVariant, item: Item, part: ItemPart, figures: Figures) -> etree._Element:
    html = _Areas(figures)
    kind = {"numeric": "numerical", "numeric-multi": "cloze", "choice": "multichoice"}.get(part.kind, "essay")
    if kind == "multichoice" and not any(c.correct for c in part.choices):
        kind = "essay"  # "none of these" cannot be scored by Moodle's multichoice
    q = etree.Element("question", type=kind)
    who = f" ({variant.student_id})" if variant.student_id else ""
    _text(etree.SubElement(q, "name"), f"{item.family} {part.own} · v{variant.digits} {variant.code}{who}".replace("  ", " "))
    body = html(item.stem) + html(part.question) + (_cloze_fields(part) if kind == "cloze" else "")
    html.area(q, "questiontext", body)
    feedback = html(item.stem_solution) + html(part.solution) + html(rf"\textbf{{Answer:}} {part.shuffled_answer}")
    html.area(q, "generalfeedback", feedback)
    etree.SubElement(q, "defaultgrade").text = f"{part.marks:g}"
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


def _cloze_fields(part: ItemPart) -> str:
    """One NUMERICAL field per value, in the order the key prints them (a matrix row by row)."""
    fields = "".join(f"<li>{{1:NUMERICAL:={v.value!r}:{v.tolerance!r}}}</li>" for v in part.values)
    return (f'<div class="p">Give the {len(part.values)} numbers of your answer in order '
            f"(a matrix row by row, a shape from its first dimension):</div><ol>{fields}</ol>")


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

