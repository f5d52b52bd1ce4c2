"""Moodle XML read back with lxml: question types, categories per family, tolerances, fractions."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from examgen.export.latexhtml import Converter
from examgen.export.markup import mathjax
from examgen.export.moodle import GRADES, write_moodle

from export_support import DEMO, FULL, SPECS, sampled, write


def _quiz(spec: Path, tmp: Path, count: int = 2) -> tuple[etree._Element, object]:
    _, build = sampled(spec, count, True)
    [path] = write(write_moodle, build, tmp)
    return etree.parse(str(path)).getroot(), build


def _by_category(quiz: etree._Element) -> dict[str, list[etree._Element]]:
    out: dict[str, list[etree._Element]] = {}
    category = None
    for q in quiz.findall("question"):
        if q.get("type") == "category":
            category = q.findtext("category/text")
            assert category not in out, f"category {category} opened twice"
            out[category] = []
        else:
            assert category is not None, "a question before any category"
            out[category].append(q)
    return out


def test_every_variant_of_a_family_part_shares_one_category(tmp_path: Path) -> None:
    quiz, build = _quiz(DEMO, tmp_path)
    categories = _by_category(quiz)
    parts = {(item.family, p.own) for item in build.variants[0].items for p in item.parts}
    assert len(categories) == len(parts)
    for path, questions in categories.items():
        assert path.startswith(f"$course$/examgen/{build.spec.id}/")
        assert len(questions) == len(build.variants)          # one question per variant, so random picks differ
        family = path.split("/")[3]
        assert all(q.findtext("idnumber").startswith(family) for q in questions)
    codes = {v.code for v in build.variants}
    names = [q.findtext("name/text") for qs in categories.values() for q in qs]
    assert {c for c in codes if any(c in n for n in names)} == codes
    assert all(any(v.student_id in n for n in names) for v in build.variants)


def test_question_types_grade_what_the_key_says(tmp_path: Path) -> None:
    quiz, build = _quiz(FULL, tmp_path)
    parts = {f"{item.family}-{p.own or 'q'}-{v.code}": p for v in build.variants for item in v.items for p in item.parts}
    kinds = set()
    for q in [q for q in quiz.findall("question") if q.get("type") != "category"]:
        ident = q.findtext("idnumber")
        if ident.endswith("-manual"):   # the share of a part graded by hand: an essay worth that share
            own = parts[ident.removesuffix("-manual")]
            assert q.get("type") == "essay" and float(q.findtext("defaultgrade")) == pytest.approx(own.manual)
            continue
        part = parts[ident]
        kind = q.get("type")
        kinds.add(kind)
        marks = part.marks if kind == "essay" else part.auto_marks
        assert float(q.findtext("defaultgrade")) == pytest.approx(marks)
        assert q.findtext("questiontext/text").strip()
        if kind == "numerical":
            answer = q.find("answer")
            assert answer.get("fraction") == "100"
            assert float(answer.findtext("text")) == part.values[0].value
            assert float(answer.findtext("tolerance")) == part.values[0].tolerance >= 0
        elif kind == "cloze":
            fields = re.findall(r"\{(\d+):NUMERICAL:=([^:}]+):([^}#]+)\}", q.findtext("questiontext/text"))
            assert [(float(a), float(t)) for _, a, t in fields] == [(v.value, v.tolerance) for v in part.values]
            assert all(int(w) >= 1 for w, _, _ in fields)
        elif kind == "essay":
            assert q.findtext("graderinfo/text").strip()
        elif kind == "multichoice":   # Moodle reshuffles: the feedback names right options by text, not label
            feedback = q.findtext("generalfeedback/text")
            assert all(Converter(mathjax, lambda t: "").inline(c.text) in feedback for c in part.choices if c.correct)
    assert kinds == {"numerical", "cloze", "essay", "multichoice"}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_multichoice_fractions_add_up_on_every_spec(spec: Path, tmp_path: Path) -> None:
    quiz, build = _quiz(spec, tmp_path, 1)
    questions = quiz.findall("question[@type='multichoice']")
    choice_parts = [p for v in build.variants for i in v.items for p in i.parts if p.choices]
    assert bool(questions) == bool(choice_parts)  # a spec with no choice parts has nothing to check here
    for q in questions:
        fractions = [float(a.get("fraction")) for a in q.findall("answer")]
        assert all(abs(f) in GRADES for f in fractions)
        assert q.findtext("shuffleanswers") == "1"
        if q.findtext("single") == "true":
            assert sorted(fractions)[-1] == 100 and sum(f == 100 for f in fractions) == 1
        else:
            assert sum(f for f in fractions if f > 0) == pytest.approx(100, abs=0.01)
        assert all(a.find("feedback/text") is not None for a in q.findall("answer"))


def test_figures_travel_as_png_files_in_the_text_area_that_shows_them(tmp_path: Path) -> None:
    import base64

    quiz, _ = _quiz(next(s for s in SPECS if s.stem == "fast-cs4045"), tmp_path, 1)
    shown = 0
    for area in quiz.iter():
        text = area.findtext("text") or ""
        names = set(re.findall(r"@@PLUGINFILE@@/([\w.-]+)", text))
        files = {f.get("name"): f for f in area.findall("file")}
        assert names == set(files)
        for f in files.values():
            assert base64.b64decode(f.text).startswith(b"\x89PNG")
        shown += len(names)
    assert shown
