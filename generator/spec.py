"""The spec stage: load and validate an exam spec (bank/exams/<id>.yaml)."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import BankError, SpecError
from .models import ExamSpec, ItemSpec, SectionSpec
from .inputs.schema import Problems, check_marks, expect, is_slug, unknown_keys
from .safety.yamlsafe import read_yaml

SPEC_KEYS = {"id", "title", "institution", "course", "session", "date", "duration", "instructions",
             "sections", "marks_unit", "total_marks", "preset_prefix", "doc",
             "question_word"}
SECTION_KEYS = {"title", "intro", "shuffle", "questions", "separate", "optional"}
ITEM_KEYS = {"template", "topic", "kind", "pool", "draw", "preset", "marks", "parts", "as"}
ITEM_AS = ("multiple-choice",)  # `as: multiple-choice`: numeric parts with mistake distractors
MAX_QUESTIONS = 200             # questions in one exam, each draw counted (the real papers have < 40)


@dataclass(frozen=True)
class LoadedSpec(ExamSpec):
    """An exam spec as loaded, with each item as written and its field (`sections[0].questions[1]`):
    a section's `draw` of several templates becomes that many questions (_separate), so the draw is
    checked against the bank from these (pick.check_draws), where the spec's file says it."""

    written: tuple[tuple[str, ItemSpec], ...] = ()


def _item(problems: Problems, data: Any, where: str) -> ItemSpec | None:
    if isinstance(data, str):
        return ItemSpec(template=data)
    if not isinstance(data, dict):
        problems.add(where, "expected a template id or a mapping")
        return None
    unknown_keys(problems, data, ITEM_KEYS, where)
    ways = [k for k in ("template", "topic", "pool") if k in data]
    if len(ways) != 1 and not (ways == [] and "kind" in data):
        problems.add(where, "give exactly one of template, topic or pool (kind may stand alone)")
        return None
    template = expect(problems, data, "template", str, where, required=False)
    topic = expect(problems, data, "topic", str, where, required=False)
    kind = expect(problems, data, "kind", str, where, required=False)
    pool = expect(problems, data, "pool", list, where, required=False) or []
    draw = expect(problems, data, "draw", int, where, required=False)
    if draw is not None and draw < 1:
        problems.add(f"{where}.draw", f"expected at least 1, got {str(draw)[:20]}")
    elif draw is not None and draw > MAX_QUESTIONS:   # refused before a section is split into its draws
        problems.add(f"{where}.draw", f"{str(draw)[:20]} templates: an exam has at most {MAX_QUESTIONS} questions")
    draw = draw if draw is not None and 1 <= draw <= MAX_QUESTIONS else 1
    preset = expect(problems, data, "preset", str, where, required=False)
    marks = expect(problems, data, "marks", float, where, required=False)
    check_marks(problems, marks, f"{where}.marks")
    parts = expect(problems, data, "parts", list, where, required=False) or []
    if pool and draw > len(pool):
        problems.add(f"{where}.draw", f"draws {draw} from a pool of {len(pool)}")
    if preset and not template:
        problems.add(f"{where}.preset", "a preset needs a single template")
    asked_as = expect(problems, data, "as", str, where, required=False)
    if asked_as is not None and asked_as not in ITEM_AS:
        problems.add(f"{where}.as", f"must be one of {', '.join(ITEM_AS)}, got {asked_as!r}")
    return ItemSpec(template, topic, kind, tuple(map(str, pool)), draw, preset,
                    None if marks is None else float(marks), tuple(map(str, parts)),
                    as_choice=asked_as == "multiple-choice")


def _separate(section: SectionSpec, separate: bool | None) -> list[SectionSpec]:
    """A section that draws several templates prints each draw as a question of its own (unrelated
    templates are not parts of one question); `separate: false` keeps them as parts. The intro goes with
    the first of them only: it is printed once, not before each of the questions (issue 25)."""
    several = any(item.draw > 1 and not item.template for item in section.items)
    if not (several if separate is None else separate):
        return [section]
    singles = [replace(item, draw=1) for item in section.items for _ in range(item.draw)]
    return [SectionSpec(section.title, (item,), False, section.intro if i == 0 else "", section.optional)
            for i, item in enumerate(singles)]


def _section(problems: Problems, data: Any, where: str) -> tuple[SectionSpec, bool | None, list[str]] | None:
    """A section as written (not yet split into its draws), its `separate`, and its items' fields."""
    if not isinstance(data, dict):
        problems.add(where, "expected a mapping with title and questions")
        return None
    unknown_keys(problems, data, SECTION_KEYS, where)
    title = expect(problems, data, "title", str, where)
    raw = expect(problems, data, "questions", list, where) or []
    if isinstance(data.get("questions"), list) and not raw:
        problems.add(f"{where}.questions", "a section needs at least one question")
    items = [(f"{where}.questions[{i}]", _item(problems, q, f"{where}.questions[{i}]")) for i, q in enumerate(raw)]
    shuffle = expect(problems, data, "shuffle", bool, where, required=False) or False
    intro = expect(problems, data, "intro", str, where, required=False) or ""
    separate = expect(problems, data, "separate", bool, where, required=False)
    optional = expect(problems, data, "optional", str, where, required=False) or ""
    kept = [(w, i) for w, i in items if i]
    return (SectionSpec(title or "", tuple(i for _, i in kept), shuffle, intro, optional), separate,
            [w for w, _ in kept])


def parse_spec(path: Path, data: Any) -> ExamSpec:
    """Validate an exam spec; every problem is reported at once."""
    problems = Problems(str(path))
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping of exam fields")
    unknown_keys(problems, data, SPEC_KEYS)
    strings = {k: expect(problems, data, k, str, required=k in ("title",)) or ""
               for k in ("title", "institution", "course", "session", "date", "duration", "marks_unit", "preset_prefix",
                         "question_word")}
    instructions = expect(problems, data, "instructions", list, required=False) or []
    raw = expect(problems, data, "sections", list) or []
    if "sections" in data and not raw:
        problems.add("sections", "needs at least one section")
    written = [s for s in (_section(problems, s, f"sections[{i}]") for i, s in enumerate(raw)) if s]
    questions = sum(item.draw for section, _, _ in written for item in section.items)
    if questions > MAX_QUESTIONS:
        problems.add("sections", f"{questions} questions in all (each draw counted): an exam has at most "
                                 f"{MAX_QUESTIONS}")
    total = expect(problems, data, "total_marks", float, required=False)
    check_marks(problems, total, "total_marks")
    exam_id = data.get("id", path.stem)
    if not is_slug(exam_id):
        problems.add("id", f"{str(exam_id)[:40]!r} must be a plain name: letters, digits, - and _ "
                           "(it names the output folder)")
    if problems:
        raise SpecError(problems.message())
    sections = [s for section, separate, _ in written for s in _separate(section, separate)]
    items = tuple((w, i) for section, _, fields in written for w, i in zip(fields, section.items))
    return LoadedSpec(str(exam_id), strings["title"], strings["institution"],
                      strings["course"], strings["date"], strings["duration"],
                      tuple(map(str, instructions)), tuple(sections), path,
                      strings["marks_unit"] or "marks", None if total is None else float(total),
                      strings["preset_prefix"], strings["question_word"] or "Question", session=strings["session"],
                      written=items)


def load_spec(path: Path) -> ExamSpec:
    """Read and validate an exam spec file (never through a symbolic link, see read_yaml)."""
    if not os.path.lexists(path):
        raise SpecError(f"{path}: exam spec not found")
    try:
        data = read_yaml(path)
    except BankError as err:
        raise SpecError(str(err)) from None
    return parse_spec(path, data)
