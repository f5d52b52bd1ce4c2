"""Rosters: one student per row of a UTF-8 CSV with a header; each student gets one variant."""
from __future__ import annotations

import csv
from pathlib import Path

from ..errors import SpecError
from ..models import Student
from .schema import is_slug

MAX_STUDENTS = 5000


def load_roster(path: Path) -> list[Student]:
    """Read a roster; a missing column, a bad or duplicate id, or a bad file is one clear error."""
    rows = _rows(path)
    header = [h.strip().lower() for h in rows[0]] if rows else []
    for column in ("id", "name"):
        if column not in header:
            raise SpecError(f"{path}: roster: the header has no '{column}' column (found: {', '.join(header) or 'nothing'})")
    at_id, at_name = header.index("id"), header.index("name")
    students: list[Student] = []
    seen: dict[str, tuple[str, int]] = {}   # casefolded id → (id, line)
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SpecError(f"{path}: roster line {line}: {len(row)} fields, the header has {len(header)}")
        student = Student(row[at_id].strip(), row[at_name].strip())
        _check(path, line, student, seen)
        seen[student.id.casefold()] = (student.id, line)
        students.append(student)
    if not students:
        raise SpecError(f"{path}: roster: no students")
    if len(students) > MAX_STUDENTS:
        raise SpecError(f"{path}: roster: {len(students)} students, at most {MAX_STUDENTS}")
    return students


def _rows(path: Path) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return list(csv.reader(handle))
    except UnicodeDecodeError as err:
        raise SpecError(f"{path}: roster: not UTF-8 (byte {err.start})") from None
    except (OSError, csv.Error) as err:
        raise SpecError(f"{path}: roster: cannot read it ({err})") from None


def _check(path: Path, line: int, student: Student, seen: dict[str, tuple[str, int]]) -> None:
    if not is_slug(student.id):
        raise SpecError(f"{path}: roster line {line}: id {student.id!r} must be letters, digits, '-' or '_' "
                        "(it names the student's files)")
    other, at = seen.get(student.id.casefold(), (None, 0))
    if other == student.id:
        raise SpecError(f"{path}: roster line {line}: id {student.id!r} is already on line {at}")
    if other is not None:   # students/AB12/ and students/ab12/ are one folder on macOS and Windows
        raise SpecError(f"{path}: roster line {line}: id {student.id!r} differs from {other!r} (line {at}) only "
                        "in upper and lower case, and ids name folders")
    if not student.name:
        raise SpecError(f"{path}: roster line {line}: student {student.id} has no name")
