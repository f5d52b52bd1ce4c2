"""Rosters: one student per row of a UTF-8 CSV with a header; each student gets one variant.

A roster is untrusted: it is read without following a symbolic link or waiting on a FIFO, and a
name is accepted only if the documents can print it, so one student's name cannot stop the
class's build much later with a LaTeX error that blames a question: pdflatex sets the characters
of printable_chars, and XeLaTeX the names in other scripts with an installed font for each
script (tex/names.py)."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from functools import lru_cache
from pathlib import Path

from ..errors import SpecError
from ..models import Student
from ..safety.yamlsafe import Refused, read_regular
from ..tex.names import check_fonts, needs_sheet
from .schema import is_slug

MAX_STUDENTS = 5000
MAX_NAME = 200                # characters in a name (it prints on one line of the cover)
MAX_BYTES = 10_000_000        # 5000 students with a few columns each are well under 2 MB

# The font encodings the documents load (templates/partials/bank-packages.tex.j2 and preamble.tex.j2:
# fontenc's T1, textcomp's TS1 and the kernel's own), as LaTeX lists them in \cdp@list; utf8
# inputenc reads a `<encoding>enc.dfu` file for each one (omlenc, omxenc and uenc do not exist),
# and utf8.def declares a few characters of its own. test_safety_inputs checks this list against
# \cdp@list and typesets every character it gives.
ENCODINGS = ("OML", "OMS", "OT1", "T1", "TS1", "OMX", "U")
UNICODE_FILES = (*(f"{e.lower()}enc.dfu" for e in ENCODINGS), "utf8.def")
DECLARED = re.compile(r"^[ \t]*\\DeclareUnicodeCharacter\{([0-9A-Fa-f]{4,6})\}", re.MULTILINE)
# Without kpsewhich: Latin-1 and Latin Extended-A, as T1 and TS1 declare them (near enough)
FALLBACK = frozenset(range(0xA0, 0x180))


@lru_cache(maxsize=1)
def printable_chars() -> frozenset[int]:
    """The code points the documents' TeX setup prints: printable ASCII, and every character that
    LaTeX's utf8 input encoding declares (\\DeclareUnicodeCharacter) in the files of the loaded
    encodings, as found in this TeX tree by kpsewhich (with the environment pdflatex runs in)."""
    ascii_chars = frozenset(range(0x20, 0x7F))
    declared: set[int] = set()
    for found in _unicode_files():
        try:
            text = Path(found).read_text(encoding="latin-1")
        except OSError:
            continue
        declared.update(int(code, 16) for code in DECLARED.findall(text))
    return ascii_chars | (frozenset(declared) if declared else FALLBACK)


def _unicode_files() -> list[str]:
    """The paths of UNICODE_FILES in the TeX tree (none without kpsewhich)."""
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            # as compile._env runs pdflatex: TeX's own tree, no per-user tree of the user's
            env = {"PATH": os.pathsep.join(dict.fromkeys([str(Path(kpsewhich).parent), "/usr/bin", "/bin"])),
                   "LC_ALL": "C", "HOME": scratch, "TEXMFHOME": scratch, "TEXMFVAR": scratch,
                   "TEXMFCONFIG": scratch}
            run = subprocess.run([kpsewhich, *UNICODE_FILES], env=env, capture_output=True, text=True,
                                 timeout=60, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):   # no working TeX: the fallback set
        return []
    return [line for line in run.stdout.splitlines() if line.strip()]


def load_roster(path: Path) -> list[Student]:
    """Read a roster; a missing column, a bad or duplicate id, a name that cannot be printed, or a
    bad file is one clear error naming the roster line."""
    rows = _rows(path)
    header = [h.strip().lower() for h in rows[0]] if rows else []
    for column in ("id", "name"):
        if column not in header:
            found = ", ".join(_show(h, 30) for h in header[:10]) or "nothing"
            raise SpecError(f"{path}: roster: the header has no '{column}' column (found: {found})")
    at_id, at_name = header.index("id"), header.index("name")
    students: list[Student] = []
    seen: dict[str, tuple[str, int]] = {}   # casefolded id → (id, line)
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SpecError(f"{path}: roster line {line}: {len(row)} fields, the header has {len(header)}")
        if len(students) == MAX_STUDENTS:
            raise SpecError(f"{path}: roster line {line}: more than {MAX_STUDENTS} students, at most {MAX_STUDENTS}")
        student = Student(row[at_id].strip(), unicodedata.normalize("NFC", row[at_name].strip()))
        _check(path, line, student, seen)
        seen[student.id.casefold()] = (student.id, line)
        students.append(student)
    if not students:
        raise SpecError(f"{path}: roster: no students")
    return students


def _rows(path: Path) -> list[list[str]]:
    """The CSV rows of a regular file (never through a symbolic link, never a FIFO)."""
    try:
        data = read_regular(path, MAX_BYTES)
    except Refused as err:
        raise SpecError(f"{path}: roster: {err}") from None
    if len(data) > MAX_BYTES:
        raise SpecError(f"{path}: roster: larger than {MAX_BYTES // 1_000_000} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SpecError(f"{path}: roster: not UTF-8 (byte {err.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return list(reader)
    except csv.Error as err:
        raise SpecError(f"{path}: roster line {reader.line_num}: not valid CSV ({err})") from None


def _show(text: str, most: int = 40) -> str:
    """A value for a one-line message: quoted, escapes for what does not print, cut at `most`."""
    shown = repr(text)
    return shown if len(shown) <= most else shown[:most - 4] + "...'"


def _check(path: Path, line: int, student: Student, seen: dict[str, tuple[str, int]]) -> None:
    if not is_slug(student.id):
        raise SpecError(f"{path}: roster line {line}: id {_show(student.id)} must be letters, digits, '-' or '_' "
                        "(it names the student's files)")
    other, at = seen.get(student.id.casefold(), (None, 0))
    if other == student.id:
        raise SpecError(f"{path}: roster line {line}: id {student.id!r} is already on line {at}")
    if other is not None:   # students/AB12/ and students/ab12/ are one folder on macOS and Windows
        raise SpecError(f"{path}: roster line {line}: id {student.id!r} differs from {other!r} (line {at}) only "
                        "in upper and lower case, and ids name folders")
    if not student.name:
        raise SpecError(f"{path}: roster line {line}: student {student.id} has no name")
    why = name_problem(student.name)
    if why:
        raise SpecError(f"{path}: roster line {line}: name {_show(student.name)}: {why}")


def name_problem(name: str) -> str | None:
    """Why the documents cannot print this name (None: they can)."""
    control = next((c for c in name if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        return f"control character U+{ord(control):04X} (a name is plain text on one line)"
    if len(name) > MAX_NAME:
        return f"{len(name)} characters, at most {MAX_NAME}"
    if needs_sheet(name, printable_chars()):   # set by XeLaTeX in the script's own font (tex/names.py)
        return check_fonts(name)
    return None
