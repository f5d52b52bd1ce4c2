"""Students' names in any script.

pdflatex prints what its T1/TS1 fonts hold (inputs/roster.printable_chars): Western European
names. Any other name (Vietnamese, Greek, Cyrillic, Chinese, Japanese, Korean, Arabic, Hebrew,
Devanagari...) is typeset once per build by XeLaTeX with Debian's Noto fonts, and each name
becomes a PDF of its own beside the documents (examgen-names-<n>.pdf, cut from the one run by
xdvipdfmx, so its fonts hold that name's glyphs only), which the documents place where the name
goes (`\\examgenname`), so the exam's own run stays one pdflatex run. A roster of names
pdflatex can set costs nothing: no XeLaTeX run, no picture.

A name is split into runs of one script; each run gets the Noto face for its script (Latin Modern
for Latin, as the documents print), right-to-left runs are set right to left (TeX--XeT), and Han
characters take the Japanese or Korean forms where the name has kana or hangul, else Chinese."""
from __future__ import annotations

import subprocess
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from ..errors import SetupError
from ..models import Student
from .latexfmt import tex

NAMES = "examgen-names"    # the sheet's job name in the build folder: examgen-names-<n>.pdf, one per name
NOTO = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
LATIN_MODERN = Path("/usr/share/texmf/fonts/opentype/public/lm")   # Debian's fonts-lmodern
INSTALL = "run `make setup` (installs XeLaTeX and Debian's Noto fonts)"

# script (the first word of a character's Unicode name) -> (font file stem, TTC index, fontspec Script)
CJK = {"zh": 2, "ja": 0, "ko": 1}          # faces in NotoSerifCJK-*.ttc: JP 0, KR 1, SC 2
FACES: dict[str, tuple[str, int, str | None]] = {
    "LATIN": ("lmroman10", 0, None),
    "GREEK": ("NotoSerif", 0, None),
    "CYRILLIC": ("NotoSerif", 0, None),
    "ARABIC": ("NotoNaskhArabic", 0, "Arabic"),
    "HEBREW": ("NotoSerifHebrew", 0, "Hebrew"),
    "HAN": ("NotoSerifCJK", CJK["zh"], None),
}
RTL_BIDI = {"R", "AL"}
HAN_WORDS = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "KANGXI", "BOPOMOFO"}


@dataclass(frozen=True)
class Face:
    """One font file (one face of a collection) and the script it shapes."""

    file: str
    folder: str
    index: int
    script: str | None
    command: str = ""        # \examgenface<command>, letters only (set by `sheet_faces`)

    @property
    def matched(self) -> bool:
        """Noto Serif (Greek, Cyrillic, rare Latin) is scaled to Latin Modern's x-height, so a
        name in it is no larger than the text around it."""
        return self.file.startswith("NotoSerif-")


@dataclass(frozen=True)
class Run:
    text: str
    face: Face
    rtl: bool


def needs_sheet(name: str, printable: frozenset[int]) -> bool:
    """True when pdflatex's fonts cannot set the name."""
    return any(ord(c) not in printable for c in name)


def script_of(char: str) -> str | None:
    """The script a letter belongs to (LATIN, GREEK, HAN...); None for what every script uses
    (spaces, punctuation, digits, marks, symbols), which joins the run around it."""
    if not unicodedata.category(char).startswith("L"):
        return None
    words = unicodedata.name(char, "").split()
    if not words:
        return None
    return "HAN" if words[0] in HAN_WORDS else words[0]


def runs(name: str, weight: str) -> list[Run]:
    """The name cut into runs of one script, each with an installed face that holds every one of
    its characters; raises SetupError naming the first character no such face holds."""
    kana = any("HIRAGANA" in unicodedata.name(c, "") or "KATAKANA" in unicodedata.name(c, "") for c in name)
    hangul = any("HANGUL" in unicodedata.name(c, "") for c in name)
    han = CJK["ja"] if kana else CJK["ko"] if hangul else CJK["zh"]
    out: list[tuple[str, str]] = []           # (script, text)
    for char in name:
        script = script_of(char)
        if out and (script is None or script == out[-1][0]):
            out[-1] = (out[-1][0], out[-1][1] + char)
        else:                                 # a leading space or mark counts as Latin
            out.append((script or "LATIN", char))
    return [Run(text, face_for(script, weight, han, text), _rtl(text)) for script, text in out]


def _rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in RTL_BIDI for c in text)


def face_for(script: str, weight: str, han: int, text: str) -> Face:
    """The first installed font for the script that holds every character of `text`: Latin
    Modern for Latin (as the documents print), else Noto Serif, then Noto Sans."""
    stem, index, shaping = FACES.get(script, ("", 0, None))
    if script == "HAN":
        index = han
    if script == "LATIN":
        candidates = [LATIN_MODERN / f"lmroman10-{weight.lower()}.otf",
                      *(folder / f"NotoSerif-{weight}.ttf" for folder in NOTO)]
    elif stem:
        candidates = [folder / f"{stem}-{weight}{ext}" for folder in NOTO for ext in (".ttf", ".otf", ".ttc")]
    else:   # another script: Noto's face for it, where Debian's fonts-noto-core has one
        shaping = script.capitalize()
        candidates = [folder / f"Noto{style}{shaping}-{weight}.ttf" for style in ("Serif", "Sans") for folder in NOTO]
    for path in candidates:
        if path.is_file() and set(map(ord, text)) <= coverage(str(path), index if path.suffix == ".ttc" else 0):
            return Face(path.name, str(path.parent), index if path.suffix == ".ttc" else 0, shaping)
    held = set().union(*(coverage(str(p), index if p.suffix == ".ttc" else 0) for p in candidates if p.is_file()))
    char = next((c for c in text if ord(c) not in held), text[0])
    if not any(p.is_file() for p in candidates):
        raise SetupError(f"character {char!r} (U+{ord(char):04X}) cannot be printed: no font for {script.lower()} "
                         f"letters is installed ({INSTALL})")
    raise SetupError(f"character {char!r} (U+{ord(char):04X}) cannot be printed: no installed font for names holds it")


@lru_cache(maxsize=64)
def coverage(path: str, index: int = 0) -> frozenset[int]:
    """The code points a font file (one face of a collection) holds, as fontconfig reads its cmap."""
    try:
        done = subprocess.run(["fc-query", "-i", str(index), "--format=%{charset}", path], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    points: set[int] = set()
    for span in done.stdout.split():
        low, _, high = span.partition("-")
        try:
            points.update(range(int(low, 16), int(high or low, 16) + 1))
        except ValueError:
            continue
    return frozenset(points)


def _command(i: int) -> str:
    """A TeX command suffix of letters only: a, b, ..., z, ba, bb..."""
    word = ""
    while True:
        word = "abcdefghijklmnopqrstuvwxyz"[i % 26] + word
        i //= 26
        if i == 0:
            return word


def sheet_faces(faces: list[Face]) -> dict[Face, Face]:
    """Each distinct face, with the command that selects it in the sheet."""
    unique = list(dict.fromkeys(faces))
    return {f: Face(f.file, f.folder, f.index, f.script, _command(i)) for i, f in enumerate(unique)}


def typeset(name: str, weight: str, commands: dict[Face, Face]) -> str:
    """The LaTeX of one name: each run in its face, right-to-left runs between \\beginR and \\endR."""
    parts = []
    for run in runs(name, weight):
        text = "{\\examgenface" + commands[run.face].command + " " + tex(run.text) + "}"
        parts.append("\\beginR" + text + "\\endR" if run.rtl else text)
    return "".join(parts)


@dataclass(frozen=True)
class SheetName:
    bold: str
    regular: str


def sheet_source(names: list[str]) -> str:
    """The sheet's LaTeX (templates/names.tex.j2) for these names, in this order."""
    faces = [r.face for n in names for w in ("Bold", "Regular") for r in runs(n, w)]
    commands = sheet_faces(faces)
    entries = [SheetName(typeset(n, "Bold", commands), typeset(n, "Regular", commands)) for n in names]
    from ..render import render_document   # here, not above: a roster check needs only the fonts

    return render_document("names.tex.j2", faces=list(commands.values()), names=entries)


def place_names(students: list[Student], printable: frozenset[int]) -> list[Student]:
    """The students, each whose name pdflatex cannot set numbered (`name_page`: 1, 2, ...) for its
    own PDF, examgen-names-<n>.pdf (page 1 bold, page 2 regular); the others unchanged."""
    placed: list[Student] = []
    for student in students:
        number = sum(1 for s in placed if s.name_page) + 1
        placed.append(replace(student, name_page=number) if needs_sheet(student.name, printable) else student)
    return placed


def write_sheet(folder: Path, students: list[Student]) -> list[Path]:
    """Typeset the numbered students' names with one XeLaTeX run into FOLDER/examgen-names-<n>.pdf,
    one PDF per name, so a student's paper carries no glyph of another student's name in its
    fonts (none when no name needs it). A letter no face holds stops the run (\\tracinglostchars=3)."""
    names = [s.name for s in students if s.name_page]
    if not names:
        return []
    source = folder / f"{NAMES}.tex"
    source.write_text(sheet_source(names), encoding="utf-8")
    from ..compile import Job, compile_xelatex

    return compile_xelatex(Job(source, "students' names"), [f"{2 * n - 1}-{2 * n}" for n in range(1, len(names) + 1)])


def check_fonts(name: str) -> str | None:
    """Why the name cannot be printed with the fonts installed (None: it can)."""
    try:
        for weight in ("Bold", "Regular"):
            runs(name, weight)
    except SetupError as err:
        return str(err)
    return None


