"""Students' names in every script print on the cover, in the headers and in the key (issue 25.1):
pdflatex sets what its fonts hold, XeLaTeX the rest once per build (tex/names.py), and every name
is read back from the PDFs with pdftotext."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from examgen.build import BuildOptions, build
from examgen.errors import SetupError
from examgen.inputs.paths import ROOT
from examgen.inputs.roster import printable_chars
from examgen.models import Student
from examgen.quality.layout import pdf_pages_text
from examgen.tex import names
from examgen.tex.names import place_names, runs, script_of

DEMO = ROOT / "bank" / "exams" / "demo.yaml"
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None and not os.environ.get("CI"),
                               reason="needs TeX (make test installs it; CI never skips)")

# Latin with every kind of diacritic (Vietnamese's stacked ones included), Greek, Cyrillic,
# Chinese, Japanese (kanji and kana), Korean, Arabic and Hebrew.
SCRIPTS = [
    ("s01", "Nguyễn Thị Ánh Tuyết"),
    ("s02", "Γιάννης Παπαδόπουλος"),
    ("s03", "Иван Петров"),
    ("s04", "李雷"),
    ("s05", "山田 さくら"),
    ("s06", "김민준"),
    ("s07", "محمد علي"),
    ("s08", "דוד כהן"),
    ("s09", "Zoë Brontë-O'Neil"),
]
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F])


def roster_file(folder: Path, students: list[tuple[str, str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([("id", "name"), *students])
    path = folder / "roster.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def read(text: str) -> str:
    """Text as pdftotext gives it, in the form a name is compared in: compatibility forms (Arabic
    presentation forms) composed back, bidi controls and the typographic apostrophe undone."""
    return unicodedata.normalize("NFKC", text).translate(BIDI_CONTROLS).replace("\u2019", "'")


def test_each_script_gets_a_face_that_holds_it() -> None:
    faces = {name: [(r.face.file, r.face.index, r.rtl) for r in runs(name, "Bold")] for _, name in SCRIPTS}
    assert faces["Nguyễn Thị Ánh Tuyết"] == [("lmroman10-bold.otf", 0, False)]
    assert faces["李雷"] == [("NotoSerifCJK-Bold.ttc", 2, False)]          # Simplified Chinese forms
    assert faces["山田 さくら"] == [("NotoSerifCJK-Bold.ttc", 0, False)]    # kana: Japanese forms
    assert faces["김민준"] == [("NotoSerifCJK-Bold.ttc", 1, False)]
    assert faces["محمد علي"] == [("NotoNaskhArabic-Bold.ttf", 0, True)]
    assert faces["דוד כהן"] == [("NotoSerifHebrew-Bold.ttf", 0, True)]
    assert faces["Иван Петров"] == faces["Γιάννης Παπαδόπουλος"] == [("NotoSerif-Bold.ttf", 0, False)]
    mixed = runs("Anna Иванова-Smith", "Regular")
    assert [(r.text, r.face.file) for r in mixed] == [("Anna ", "lmroman10-regular.otf"),
                                                      ("Иванова-", "NotoSerif-Regular.ttf"),
                                                      ("Smith", "lmroman10-regular.otf")]


def test_only_names_pdflatex_cannot_set_go_to_the_sheet() -> None:
    students = [Student(i, n) for i, n in SCRIPTS]
    placed = place_names(students, printable_chars())
    assert [s.name_page for s in placed] == [1, 2, 3, 4, 5, 6, 7, 8, 0]   # Zoë is pdflatex's


def test_a_missing_font_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(names, "NOTO", (Path("/nonexistent"),))
    with pytest.raises(SetupError, match=r"character 'И' \(U\+0418\) cannot be printed: no font for cyrillic "
                                         r"letters is installed \(run `make setup`"):
        runs("Иван", "Bold")


@needs_tex
def test_names_in_eight_scripts_print_on_cover_headers_and_key(tmp_path: Path) -> None:
    """The brief's roster: every name read back from its student's exam (cover and every page's
    header), solutions and the answer key; the names' sheet is not published."""
    roster = roster_file(tmp_path, SCRIPTS)
    result = build(BuildOptions(spec=DEMO, seed=7, out=tmp_path / "out", roster=roster))
    folder = result.folder
    key = read("\n".join(pdf_pages_text(folder / "answer-key.pdf")))
    for sid, name in SCRIPTS:
        exam = [read(page) for page in pdf_pages_text(folder / "students" / sid / "exam.pdf")]
        assert re.search(rf"Name:\s*(\S.*\n\s*)?{re.escape(name)}", exam[0]) or name in exam[0], (sid, exam[0][-300:])
        for number, page in enumerate(exam, start=1):    # the header of every page
            header = page.splitlines()[0]
            assert name in header and f"{sid})" in header and "Exam code" in header, (sid, number, header)
        solutions = [read(page) for page in pdf_pages_text(folder / "students" / sid / "solutions.pdf")]
        assert all(name in page for page in solutions), sid
        line = next(line for line in key.splitlines() if f"{sid})" in line)   # "(s07)" reordered by bidi
        assert "Student:" in line and name in line, (sid, line)
    published = {p.name for p in folder.rglob("*")}
    assert not any(n.startswith("examgen-names") for n in published), sorted(published)
    for sid, _ in SCRIPTS:   # no glyph of another student's name in a student's own files' fonts
        held = "".join(mapped_text(pdf) for pdf in (folder / "students" / sid).glob("*.pdf"))
        others = {c for other, name in SCRIPTS if other != sid for c in name if script_of(c) not in (None, "LATIN")}
        leaked = sorted(others - set(dict(SCRIPTS)[sid]) & set(held))
        assert not leaked, (sid, leaked)


def mapped_text(pdf: Path) -> str:
    """Every character the names' fonts map glyphs to (the ToUnicode CMaps of XeLaTeX's Type0
    fonts; pdfTeX's own fonts are Type1, and their maths holds Greek letters of its own), as text."""
    import pikepdf

    found = []
    with pikepdf.open(pdf) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0" and "/ToUnicode" in obj:
                cmap = obj.ToUnicode.read_bytes().decode("latin-1")
                for hexes in re.findall(r"<([0-9A-Fa-f]{4,})>\s*(?:\n|$)", cmap, re.MULTILINE):
                    found.append(bytes.fromhex(hexes).decode("utf-16-be", errors="ignore"))
                found += [bytes.fromhex(h).decode("utf-16-be", errors="ignore")
                          for h in re.findall(r"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]{4,})>", cmap)]
    return "".join(found)


@needs_tex
def test_a_roster_of_latin_names_runs_no_xelatex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_xelatex(*_: object) -> None:
        raise AssertionError("XeLaTeX ran for names pdflatex sets")

    monkeypatch.setattr("examgen.compile.compile_xelatex", no_xelatex)
    roster = roster_file(tmp_path, [("s1", "José Müller"), ("s2", "Zoë Ångström")])
    folder = build(BuildOptions(spec=DEMO, seed=7, out=tmp_path / "out", roster=roster)).folder
    assert "José Müller" in pdf_pages_text(folder / "students" / "s1" / "exam.pdf")[0]
