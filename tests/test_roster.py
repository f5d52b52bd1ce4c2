"""Rosters and exam codes: parsing, clear errors, stable codes."""
from __future__ import annotations

from pathlib import Path

import pytest

from examgen.codes import ALPHABET, exam_code
from examgen.errors import SpecError
from examgen.inputs.roster import load_roster


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_roster_reads_names_with_latex_specials(tmp_path: Path) -> None:
    roster = load_roster(_write(tmp_path, "id,name,email\ns1,O'Brien & Søren_1,a@b\ns2,Zoë #2,c@d\n"))
    assert [(s.id, s.name) for s in roster] == [("s1", "O'Brien & Søren_1"), ("s2", "Zoë #2")]


@pytest.mark.parametrize("text, fragment", [
    ("name\nAda\n", "no 'id' column"),
    ("id,name\ns1,Ada\ns1,Bob\n", "already on line 2"),
    ("id,name\nab12,Ada\nAB12,Bob\n", "line 3: id 'AB12' differs from 'ab12' .line 2. only in upper and lower case"),
    ("id,name\n../x,Ada\n", "must be letters"),
    ("id,name\ns1,\n", "has no name"),
    ("id,name\n", "no students"),
])
def test_bad_rosters_are_one_clear_error(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment):
        load_roster(_write(tmp_path, text))


def test_roster_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"id,name\ns1,Zo\xeb\n")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_roster(path)


def test_exam_codes_are_stable_distinct_and_unambiguous() -> None:
    key = b"k" * 32
    codes = {exam_code(key, "demo", 7, v) for v in range(1, 401)}
    assert len(codes) == 400
    assert exam_code(key, "demo", 7, 1) == exam_code(key, "demo", 7, 1) != exam_code(key, "demo", 8, 1)
    assert all(len(c) == 7 and c[3] == "-" and set(c.replace("-", "")) <= set(ALPHABET) for c in codes)
