"""`examgen grade BUILD_DIR --responses FILE.csv [--from examgen|amc|moodle]`: every response
(examgen's CSV, AMC's scores or Moodle's responses report: formats.py) marked against the build's
answer-key.json, each instance solved again from its parameters (and checked to give the key's
answers) so that the named mistakes and follow-through can be worked out; then grades.csv,
students.csv, items.csv, report.html, report.pdf and feedback/<student>.pdf in the output folder.
The build folder is only read.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import GradeError
from .verdicts import PartKey, Verdict, follow_from, mark, part_key



@dataclass
class Graded:
    """One response marked: whose, which part, and its verdict."""

    code: str
    student: str
    key: PartKey
    verdict: Verdict
    response: str = ""

    @property
    def marks(self) -> float:
        return self.verdict.marks or 0.0


@dataclass
class GradeResult:
    folder: Path
    files: list[Path]
    rows: list[Graded] = field(default_factory=list)
    keys: dict[str, dict[str, PartKey]] = field(default_factory=dict)


@dataclass
class Key:
    """The build's answer key, solved again: each variant's parts by code, the roster by student id."""

    exam: str
    keys: dict[str, dict[str, PartKey]]        # code → label → PartKey
    students: dict[str, str]                   # roster id → code
    order: list[str]                           # codes in variant order


def load_key(build_dir: Path, banks: Any = None, device: str = "cpu") -> Key:
    path = Path(build_dir) / "answer-key.json"
    if not path.is_file():
        raise GradeError(f"{build_dir}: no answer-key.json (give the folder `examgen build` wrote)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise GradeError(f"{path}: cannot read it ({err})") from None
    return solve_key(data, banks, device, str(path))


def solve_key(data: dict[str, Any], banks: Any = None, device: str = "cpu", where: str = "answer-key.json") -> Key:
    """Every variant's parts, from an answer key's records (answer-key.json's data)."""
    from ..bank import load_bank
    from ..render import plain
    from ..solve import make_context, solve

    bank = load_bank(banks)
    ctx = make_context(device)
    keys: dict[str, dict[str, PartKey]] = {}
    for variant in data.get("variants", []):
        code = str(variant.get("code") or variant.get("variant"))
        parts: dict[str, PartKey] = {}
        for question in variant["questions"]:
            template = bank.get(question["template"])
            if template is None:
                raise GradeError(f"{where}: variant {variant.get('variant')}: template {question['template']!r} "
                                 "is not in the bank (give its folder with --bank)")
            solved = solve(template, question["params"], ctx)
            if plain(solved.answers) != question["answers"]:
                raise GradeError(f"{where}: variant {variant.get('variant')} question {question['number']} "
                                 f"(template {template.id}): solving its parameters again gives other answers "
                                 "than the key (has the bank changed since the build?)")
            for i, part in enumerate(question["parts"]):
                index = part.get("index", _index(template, part, i, len(question["parts"])))
                options = question.get("options", {}).get(str(index))
                parts[part["label"]] = part_key(template, index, code, part["label"], float(part["marks"]),
                                                question["params"], solved, ctx, part.get("correct"), options)
        keys[code] = parts
    students = {sid: str(s["code"]) for sid, s in data.get("students", {}).items()}
    return Key(str(data.get("exam", "")), keys, students, list(keys))


def _index(template: Any, part: dict, i: int, count: int) -> int:
    """The template part of a key written before parts carried their index: by its own label."""
    own = re.sub(r"^\d+", "", part["label"])
    labels = [p.label or "" for p in template.parts]
    return labels.index(own) if count == len(labels) and own in labels else i


def grade_rows(key: Key, rows: list[tuple[int, str, str, str, str, str | None]], name: str = "responses") -> list[Graded]:
    """Each row marked; each student's parts without a row are blank."""
    graded: list[Graded] = []
    seen: dict[tuple[str, str], int] = {}
    students: dict[str, str] = {}
    for n, code, student, label, text, marks in rows:
        if (student, label) in seen:
            raise GradeError(f"{name} row {n}: a second response of {student} to {label} (first in row {seen[student, label]})")
        if students.setdefault(student, code) != code:
            raise GradeError(f"{name} row {n}: {student} has responses to exams {students[student]} and {code}")
        seen[student, label] = n
        part = key.keys[code][label]
        verdict = mark(part, text)
        if marks is not None:
            verdict = _given(verdict, marks, part, f"{name} row {n}")
        graded.append(Graded(code, student, part, verdict, text))
    for student, code in students.items():
        for label, part in key.keys[code].items():
            if (student, label) not in seen:
                graded.append(Graded(code, student, part, Verdict("blank", 0.0, "no row in the responses")))
    graded = [_followed(g, graded) for g in graded]
    order = {c: i for i, c in enumerate(key.order)}
    labels = {c: {lab: i for i, lab in enumerate(parts)} for c, parts in key.keys.items()}
    graded.sort(key=lambda g: (order[g.code], g.student, labels[g.code][g.key.label]))
    return graded


def _followed(item: Graded, graded: list[Graded]) -> Graded:
    """A wrong answer to a part that follows from an earlier one (`depends:`), right from the
    student's own earlier answer, is follow-through."""
    part = item.key
    if part.depends is None or item.verdict.verdict != "wrong":
        return item
    earlier = next((g for g in graded if g.student == item.student and g.code == item.code
                    and g.key.number == part.number and g.key.own == part.depends["part"]), None)
    if earlier is None or earlier.verdict.verdict == "correct":
        return item          # a wrong answer after a right one is simply wrong
    verdict = follow_from(part, earlier.key, earlier.response, item.response)
    return replace(item, verdict=verdict) if verdict else item


def _given(verdict: Verdict, marks: str, part: PartKey, where: str) -> Verdict:
    try:
        value = float(marks)
    except ValueError:
        raise GradeError(f"{where}: marks {marks[:20]!r} is not a number") from None
    if not 0 <= value <= part.marks:
        raise GradeError(f"{where}: marks {value:g} outside 0 to {part.marks:g} for {part.label}")
    auto = f"; automatic verdict: {verdict.text}" if verdict.verdict not in ("manual", "blank") else ""
    return Verdict("manual", value, f"marks entered by the grader{auto}", verdict.mistake, verdict.entries)


def grade(build_dir: Path, responses: Path, out: Path | None = None, banks: Any = None,
          device: str = "cpu", source: str | None = None) -> GradeResult:
    """Mark every response (examgen's CSV, AMC's scores or Moodle's responses report: `source`, else
    detected from the header) and write grades.csv, students.csv, items.csv, report.html,
    report.pdf and feedback/<student>.pdf."""
    from .analysis import analyse
    from .formats import read_rows
    from .report import write_outputs

    build_dir = Path(build_dir)
    key = load_key(build_dir, banks, device)
    graded = grade_rows(key, read_rows(Path(responses), key, source), Path(responses).name)
    folder = Path(out) if out else build_dir.parent / f"{build_dir.name}-grades"
    if folder.resolve() == build_dir.resolve():
        raise GradeError("--out: grading never writes into the build folder; give another folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise GradeError(f"--out {folder}: cannot create it ({err.strerror})") from None
    analysis = analyse(graded, key)
    files = write_outputs(folder, graded, analysis, key.exam)
    return GradeResult(folder, files, graded, key.keys)
