"""The spec stage: load and validate an exam spec (bank/exams/<id>.yaml)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .bank import read_yaml
from .errors import BankError, SpecError
from .models import ExamSpec, ItemSpec, SectionSpec
from .schema import Problems, expect, unknown_keys

SPEC_KEYS = {"id", "title", "institution", "course", "date", "duration", "instructions",
             "sections", "marks_unit", "total_marks", "preset_prefix", "doc",
             "question_word"}
SECTION_KEYS = {"title", "intro", "shuffle", "questions", "optional"}
ITEM_KEYS = {"template", "topic", "kind", "pool", "draw", "preset", "marks", "parts"}


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
    draw = expect(problems, data, "draw", int, where, required=False) or 1
    preset = expect(problems, data, "preset", str, where, required=False)
    marks = expect(problems, data, "marks", float, where, required=False)
    parts = expect(problems, data, "parts", list, where, required=False) or []
    if pool and draw > len(pool):
        problems.add(f"{where}.draw", f"draws {draw} from a pool of {len(pool)}")
    if preset and not template:
        problems.add(f"{where}.preset", "a preset needs a single template")
    return ItemSpec(template, topic, kind, tuple(map(str, pool)), draw, preset,
                    None if marks is None else float(marks), tuple(map(str, parts)))


def _section(problems: Problems, data: Any, where: str) -> SectionSpec | None:
    if not isinstance(data, dict):
        problems.add(where, "expected a mapping with title and questions")
        return None
    unknown_keys(problems, data, SECTION_KEYS, where)
    title = expect(problems, data, "title", str, where)
    raw = expect(problems, data, "questions", list, where) or []
    items = [_item(problems, q, f"{where}.questions[{i}]") for i, q in enumerate(raw)]
    shuffle = expect(problems, data, "shuffle", bool, where, required=False) or False
    intro = expect(problems, data, "intro", str, where, required=False) or ""
    optional = expect(problems, data, "optional", str, where, required=False) or ""
    return SectionSpec(title or "", tuple(i for i in items if i), shuffle, intro, optional)


def parse_spec(path: Path, data: Any) -> ExamSpec:
    """Validate an exam spec; every problem is reported at once."""
    problems = Problems(str(path))
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping of exam fields")
    unknown_keys(problems, data, SPEC_KEYS)
    strings = {k: expect(problems, data, k, str, required=k in ("title",)) or ""
               for k in ("title", "institution", "course", "date", "duration", "marks_unit", "preset_prefix",
                         "question_word")}
    instructions = expect(problems, data, "instructions", list, required=False) or []
    raw = expect(problems, data, "sections", list) or []
    if "sections" in data and not raw:
        problems.add("sections", "needs at least one section")
    sections = [_section(problems, s, f"sections[{i}]") for i, s in enumerate(raw)]
    total = expect(problems, data, "total_marks", float, required=False)
    if problems:
        raise SpecError(problems.message())
    return ExamSpec(str(data.get("id", path.stem)), strings["title"], strings["institution"],
                    strings["course"], strings["date"], strings["duration"],
                    tuple(map(str, instructions)), tuple(s for s in sections if s), path,
                    strings["marks_unit"] or "marks", None if total is None else float(total),
                    strings["preset_prefix"], strings["question_word"] or "Question")


def load_spec(path: Path) -> ExamSpec:
    """Read and validate an exam spec file."""
    if not path.is_file():
        raise SpecError(f"{path}: exam spec not found")
    try:
        data = read_yaml(path)
    except BankError as err:
        raise SpecError(str(err)) from None
    return parse_spec(path, data)
