"""One feedback sheet per student, `feedback/<student>.pdf` (the roster id, else the exam code): the
marks of each part, what the student answered, and in plain words why it earned what it did: the
named mistake it matches and what that mistake is, the follow-through given for values worked out
correctly from the student's own earlier (wrong) ones, the expected answer where it was missed."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .pdftext import Line, wrapped, write_pdf
from .verdicts import written

ENTRY = {"correct": "correct", "wrong": "wrong", "missing": "not given",
         "follow-through": "worked out correctly from your own earlier value (follow-through: marks given)"}


def file_name(student: str) -> str:
    """A file name for the student: letters, digits, `-`, `_` and `.` kept, the rest `_`."""
    return (re.sub(r"[^A-Za-z0-9_.-]", "_", student).strip(".") or "student")[:80] + ".pdf"


def write_feedback(folder: Path, graded: list[Any], exam: str) -> list[Path]:
    """feedback/<student>.pdf for every student in `graded`."""
    folder.mkdir(parents=True, exist_ok=True)
    by_student: dict[str, list[Any]] = {}
    for g in graded:
        by_student.setdefault(g.student, []).append(g)
    files: list[Path] = []
    for student, rows in by_student.items():
        name = file_name(student)
        while folder / name in files:          # two ids that differ only in dropped characters
            name = name[:-4] + "_.pdf"
        files.append(write_pdf(folder / name, sheet(student, rows, exam), f"Feedback: {exam}"))
    return files


def sheet(student: str, rows: list[Any], exam: str) -> list[Line]:
    total, top = sum(g.marks for g in rows), sum(g.key.marks for g in rows)
    lines = wrapped(f"Feedback: {exam}", 16, True) + wrapped(f"Student: {student}    Exam code: {rows[0].code}")
    lines += wrapped(f"Total: {total:g} of {top:g} marks", 12, True) + [("", 6, False)]
    for g in rows:
        marks = "not marked yet" if g.verdict.marks is None else f"{g.verdict.marks:g} of {g.key.marks:g} marks"
        lines += wrapped(f"Part {g.key.label}: {marks}", 11, True)
        if g.response.strip():
            lines += wrapped(f"Your answer: {g.response.strip()}", 10, indent=4)
        for text in filter(None, explain(g)):
            lines += wrapped(text, 10, indent=4)
        lines.append(("", 6, False))
    return lines


def explain(g: Any) -> list[str]:
    """Why the response earned its marks, in words a student understands."""
    v, key = g.verdict, g.key
    expected = f"The expected answer: {written(key.groups, key.response.kind)}." if key.groups else ""
    if v.verdict == "correct":
        return ["Correct."]
    if v.verdict == "blank":
        return ["No answer was given."] + ([expected] if expected else [])
    if v.verdict == "mistake":
        return [f"Your answer is what a common mistake gives ({v.mistake}): it {_lower(v.detail)}", expected]
    if v.verdict == "manual":
        return _manual(v.detail, v.marks is None)
    if v.entries:
        head = "Some of your values were wrong, but values worked out correctly from your own earlier " \
               "ones earn their marks (follow-through)." if v.verdict == "follow-through" else \
               "Each value earns its share of the marks:"
        return [head] + [f"{name}: {ENTRY.get(state, state)}" for name, state in v.entries.items()] + [expected]
    if key.response.kind == "choice":
        return [f"Not the right choice: you {v.detail}."]
    return ["Not the expected answer.", expected]


def _manual(detail: str, pending: bool) -> list[str]:
    if "unreadable" in detail:
        return [f"Your answer could not be read as a value ({detail.split(': ', 1)[-1]}); "
                "a grader marks it by hand."]
    if detail.startswith("marks entered by the grader"):
        return ["Marked by the grader."]
    return ["Marked by hand" + (" (not marked yet)." if pending else ".")]


def _lower(text: str) -> str:
    text = text.strip()
    return (text[0].lower() + text[1:] if text[:2] != text[:2].upper() else text) if text else text
