"""The files instructors already have, read as rows of examgen's responses CSV
(row number, code, student, label, response, marks):

* examgen's own responses CSV: code or student, label, response (and marks) per row.
* auto-multiple-choice's CSV export of scores (`auto-multiple-choice export --module CSV`, see
  AMC/Export/CSV.pm): columns `Exam` (the copy: `N` or `N:k`), `A:<key>` (the students list's
  key, e.g. `A:id`), `Name`, `Mark`, then one score column per AMC question, then any code boxes.
  examgen's AMC source (export/amc.py) names each question `<family>-<part>` (`<family>-q` for a
  one-part question), several numbers of one part `<family>-<part>-1`, `-2` ... and a share graded
  by hand `<family>-<part>-hand`; the scores of a part's questions are summed and taken as the
  grader's marks for that part. The copy's variant is the roster's (by the `A:` column's student
  id) or else the copy number (examgen's AMC source holds one copy per variant, in order).
  Decimal commas (AMC's default) and `,`, `;` or tab separators are read; an empty score means the
  question is not in that copy.
* Moodle's quiz "Responses" report, downloaded as CSV: `Surname`, `First name`, identity columns
  (`ID number`, `Email address` ...), `State`, `Started on`, `Completed`, `Time taken`,
  `Grade/<max>`, then `Response 1`, `Response 2` ... (with `Right answer N` and `Question N` when
  chosen; those are ignored). Assumption: the quiz asks one variant per student with one slot per
  part, in exam order (1a, 1b, 2a ...), so `Response N` answers the variant's N-th part; slots after
  the last part (the essays of a share graded by hand) are left to Moodle. The variant is named by
  a column `Exam code` (or `Code`: an extra profile field, or typed in by the student), else by
  `ID number` matched against the build's roster ids. Cloze answers (`part 1: 2; part 2: 16`) are
  read as the values in order; a multiple-choice answer must be an option label (i, ii ...), other
  text is left to a grader. The report's `Overall average` row is skipped.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from ..errors import GradeError

Row = tuple[int, str, str, str, str, "str | None"]
FORMATS = ("examgen", "amc", "moodle")
RESPONSE = re.compile(r"^response\s+(\d+)$", re.I)
CLOZE_PART = re.compile(r"(^|;)\s*part \d+:\s*", re.I)


def detect(header: list[str]) -> str:
    """`amc`, `moodle` or `examgen`, from a CSV's header."""
    names = [h.strip().lower() for h in header]
    if any(RESPONSE.match(n) for n in names) or any(n.startswith("grade/") for n in names):
        return "moodle"
    if any(h.strip().startswith("A:") for h in header) or {"mark", "exam"} <= set(names) or {"note", "copie"} <= set(names):
        return "amc"
    return "examgen"


def table(path: Path) -> tuple[list[str], list[list[str]]]:
    """The CSV's header and rows; the separator (`,`, `;` or tab) from the header line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise GradeError(f"{path}: cannot read it ({getattr(err, 'strerror', None) or err})") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    return (rows[0] if rows else []), rows[1:]


def read_amc(path: Path, key: Any) -> list[Row]:
    """Each copy's summed scores per part, as the grader's marks (see the module's docstring)."""
    header, rows = table(path)
    columns = [h.strip() for h in header]
    student_col = next((i for i, c in enumerate(columns) if c.startswith("A:")), None)
    copy_col = next((i for i, c in enumerate(columns) if c.lower() in ("exam", "copie", "copy")), None)
    skip = {student_col, copy_col} | {i for i, c in enumerate(columns) if c.lower() in ("name", "nom", "mark", "note")}
    questions = [(i, c) for i, c in enumerate(columns) if i not in skip]
    out: list[Row] = []
    for n, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = lambda i: row[i].strip() if i is not None and i < len(row) else ""  # noqa: E731
        where = f"{Path(path).name} row {n}"
        code, student = _amc_copy(cell(student_col), cell(copy_col), key, where)
        sums = _amc_scores(key.keys[code], [(c, cell(i)) for i, c in questions], where)
        out.extend((n, code, student, label, "", f"{round(marks, 4):g}") for label, marks in sums.items())
    if not out and rows:
        raise GradeError(f"{Path(path).name}: no score column names a part of the build (examgen's AMC "
                         "questions are <family>-<part>)")
    return out


def _amc_copy(student: str, copy: str, key: Any, where: str) -> tuple[str, str]:
    """The copy's exam code and student: by roster id, else by copy number (variant order)."""
    if student and student in key.students:
        return key.students[student], student
    number = re.match(r"\s*(\d+)", copy)
    if number and 1 <= int(number.group(1)) <= len(key.order):
        code = key.order[int(number.group(1)) - 1]
        return code, student or code
    raise GradeError(f"{where}: student {student[:40]!r} is not on the build's roster and copy {copy[:20]!r} "
                     f"is not a variant number (1 to {len(key.order)})")


def amc_name(family: str, own: str) -> str:
    """The AMC question name export/amc.py gives a part (before any -1, -2 or -hand)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{family}-{'q' if own == 'main' else own}")


def _amc_scores(parts: dict[str, Any], scores: list[tuple[str, str]], where: str) -> dict[str, float]:
    """label → the sum of its questions' scores, for the parts whose questions have a score here."""
    names = sorted(((amc_name(p.family, p.own), label) for label, p in parts.items()), key=lambda x: -len(x[0]))
    sums: dict[str, float] = {}
    for column, value in scores:
        if not value:
            continue          # not a question of this copy
        label = next((lab for name, lab in names
                      if column == name or re.fullmatch(re.escape(name) + r"-(\d+|hand)(-\d+)?", column)), None)
        if label is None:
            continue
        try:
            score = float(value.replace(",", "."))
        except ValueError:
            raise GradeError(f"{where}: score {value[:20]!r} of {column[:40]} is not a number") from None
        sums[label] = sums.get(label, 0.0) + score
    return sums


def read_moodle(path: Path, key: Any) -> list[Row]:
    """`Response N` as the answer to the N-th part of the attempt's variant (see the module's docstring)."""
    header, rows = table(path)
    columns = [h.strip().lower() for h in header]
    slots = {int(m.group(1)): i for i, c in enumerate(columns) if (m := RESPONSE.match(c))}
    out: list[Row] = []
    for n, row in enumerate(rows, start=2):
        record = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(columns)}
        if not any(record.values()) or record.get("surname", "").lower() == "overall average":
            continue
        code, student = _moodle_variant(record, key, f"{Path(path).name} row {n}")
        for slot, label in enumerate(key.keys[code], start=1):
            if slot in slots and slots[slot] < len(row):
                out.append((n, code, student, label, _cloze(row[slots[slot]]), None))
    return out


def _moodle_variant(record: dict[str, str], key: Any, where: str) -> tuple[str, str]:
    codes = {c.upper(): c for c in key.keys}
    typed = record.get("exam code") or record.get("code") or ""
    number = record.get("id number", "")
    student = number or record.get("email address") or " ".join(
        filter(None, (record.get("first name"), record.get("surname")))) or typed
    if typed:
        if typed.upper() not in codes:
            raise GradeError(f"{where}: unknown exam code {typed[:40]!r}")
        return codes[typed.upper()], student
    if number in key.students:
        return key.students[number], number
    raise GradeError(f"{where}: no exam code, and ID number {number[:40]!r} is not on the build's roster "
                     "(add an `Exam code` column)")


def _cloze(text: str) -> str:
    """A cloze question's `part 1: 2; part 2: 16` as `2; 16` (its values in order)."""
    return CLOZE_PART.sub(lambda m: m.group(1), text).strip() if CLOZE_PART.match(text) else text


def read_rows(path: Path, key: Any, source: str | None = None) -> list[Row]:
    """The rows of any of the three formats; `source` names it, else the header does."""
    if source is not None and source not in FORMATS:
        raise GradeError(f"--from {source}: expected one of {', '.join(FORMATS)}")
    source = source or detect(table(path)[0])
    if source == "amc":
        return read_amc(path, key)
    if source == "moodle":
        return read_moodle(path, key)
    return read_responses(path, key)


def read_responses(path: Path, key: Any) -> list[tuple[int, str, str, str, str, str | None]]:
    """(row number, code, student, label, response, marks) of each row, every code and label known."""
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as err:
        raise GradeError(f"{path}: cannot read it ({err.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "label" not in fields or "response" not in fields or not {"code", "student"} & set(fields):
            raise GradeError(f"{path}: expected columns code or student, label, response (and marks); "
                             f"found {', '.join(fields) or 'none'}")
        codes = {c.upper(): c for c in key.keys}
        out = []
        for n, raw in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "") for k, v in raw.items() if k is not None}
            code, student = row.get("code", "").strip(), row.get("student", "").strip()
            label = row.get("label", "").strip()
            where = f"{path.name} row {n}"
            if not code and not student and not label and not row.get("response", "").strip():
                continue   # an empty line
            if code:
                if code.upper() not in codes:
                    raise GradeError(f"{where}: unknown exam code {code[:40]!r}")
                code = codes[code.upper()]
                if student and student in key.students and key.students[student] != code:
                    raise GradeError(f"{where}: student {student!r} sat {key.students[student]}, not {code}")
            elif student in key.students:
                code = key.students[student]
            else:
                raise GradeError(f"{where}: unknown student {student[:40]!r} (not on the build's roster; "
                                 "give the exam code)")
            if label not in key.keys[code]:
                raise GradeError(f"{where}: unknown label {label[:20]!r} for exam {code} "
                                 f"(labels: {', '.join(key.keys[code])})")
            marks = row.get("marks", "").strip() or None
            out.append((n, code, student or code, label, row.get("response", ""), marks))
    return out
