"""The layout gate: what a printed page must never show, read back from the PDFs and TeX logs.

- an overfull line wider than 1 pt (from the pdflatex log);
- a page whose last body line is a question heading, a part label or a lone "Solution." (an
  orphaned heading);
- "??", "None", "nan", `*` between numbers, a template or preset id, or the word "template";
- in an exam, a lettered part followed by no answer space (a gap under 1 cm before the next text);
- in an exam, a question's text apart from its answer box: a page that starts with an answer box
  (its question is on the page before), or with a later option of a list that began on the page before;
- in an exam or solutions, text inside a question at the page's margin (it lost the question's indent);
- a blank page: a first page with nothing under its header, a page with no text at all (a blank
  verso must say "This page is intentionally left blank"), a last page of a document or variant
  that holds only its closing line ("End of solutions") or nothing; in the answer key, a first
  page without the first variant, and a page that continues a table without its header row.
"""
from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from ..compile import overfull

OVERFULL_PT = 1.0
MIN_SPACE_PT = 28.0        # 1 cm: less than this under a part is no answer space
FOOTSKIP_PT = 30.0         # from the footer line up to the foot of the text block
FOOTER = re.compile(r"^\s*(Page \d+( of \d+)?|\d+)\s*$")
PART_START = re.compile(r"^\s*\(([a-z]\d*)\)(\s|$)")
OPTION_ON = re.compile(r"^\s*(ii|iii|iv|v|vi|vii|viii|ix|x)\)\s")   # an option after the first (i), ii), ...)
TOP_GAP_PT = 28.0          # 1 cm more than a page's usual space between the header and its first line
SOLUTION_ALONE = re.compile(r"^\s*Solution\.\s*$")        # a solution's title with nothing after it
QUESTION_START = re.compile(r"^\s*(Question|Exercise|Problem|Task) \d+\b")
FIRST_PAGE = re.compile(r"^\s*Page 1 of \d+\s*$")   # a variant's cover
NOTES = re.compile(r"^\s*Notes on the original paper\s*$")   # errata.tex.j2's heading, after the questions
MARGIN_PT = 2.0            # text this close to the header's left edge is at the margin
WORDS = (re.compile(r"\?\?"), re.compile(r"\bNone\b(?!,| of)"), re.compile(r"\bnan\b", re.I),
         re.compile(r"\d\s*\*\s*-?\d"), re.compile(r"\btemplates?\b", re.I))
CLOSING = re.compile(r"^\W*End of (the )?(paper|exam|solutions|answer key)\W*$", re.I)   # \examgenend's line
LEFT_BLANK = re.compile(r"^\s*This page is intentionally left blank\s*$")
KEY_VARIANT = re.compile(r"^\s*Code \S+\s+Variant \d+")          # a key table's first line (or its continuation's)
KEY_HEAD = re.compile(r"\bAnswer\s*$")                             # a key table's header row
CODE_LINE = re.compile(r"\w\(.*=|^\s*(def|return|import|for|if|self\.|print)\b|nn\.")  # Python listings may multiply


@dataclass(frozen=True)
class Problem:
    """One layout problem: which file, which page (0: the whole file), what."""

    file: str
    page: int
    kind: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.file} p{self.page}" if self.page else self.file
        return f"{where}: {self.kind}: {self.detail}"


def pdf_pages_text(pdf: Path) -> list[str]:
    """Each page's text as `pdftotext -layout` lays it out."""
    run = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = run.stdout.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def orphan_problems(pdf: Path, name: str, boxes: bool = False) -> list[Problem]:
    """Pages that end in a question heading (one of the last two lines: heading and title) or a
    part label (the last line). In an exam (`boxes`), 2 cm or more below it is its answer box."""
    out = []
    for number, (height, lines) in enumerate(_lines_by_page(pdf), start=1):
        body, footer_top = _split_footer(height, lines)
        if len(body) < 4:
            continue
        room = (footer_top or height) - FOOTSKIP_PT - body[-1][1]
        tail = [ln[2] for ln in body[-2:] if QUESTION_START.match(ln[2])] + \
            [ln[2] for ln in body[-1:] if _part_label(ln) or SOLUTION_ALONE.match(ln[2])]
        if tail and (room < MIN_SPACE_PT * 2 or not boxes):
            out.append(Problem(name, number, "heading at the foot of the page", tail[0].strip()[:60]))
    return out


def word_problems(pdf: Path, name: str, ids: Iterable[str]) -> list[Problem]:
    """Words no printed page may show: unresolved references, Python values, ids, internal notes."""
    checks = [*WORDS, *(re.compile(rf"(?<![\w-]){re.escape(i)}(?![\w-])") for i in ids)]
    out = []
    for number, page in enumerate(pdf_pages_text(pdf), start=1):
        flat = " ".join(" ".join(line.split()) for line in page.splitlines() if not CODE_LINE.search(line))
        for found in forbidden(flat, checks):
            out.append(Problem(name, number, f"forbidden text {found.re.pattern!r}", around(flat, found)))
    return out


def forbidden(flat: str, checks: Iterable[re.Pattern] = WORDS) -> list[re.Match]:
    """The first hit of each forbidden pattern in a page's (or a question's) flattened text."""
    return [found for found in (check.search(flat) for check in checks) if found]


def around(flat: str, found: re.Match, width: int = 25) -> str:
    """The text around a hit, to quote in a report."""
    return flat[max(0, found.start() - width):found.end() + width]


PAGE_TAG = re.compile(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', re.S)
LINE_TAG = re.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>', re.S)
LABEL_X = 130.0            # a part label sits in the left margin of the text, not inside a line
WORD_TAG = re.compile(r"<word [^>]*>(.*?)</word>", re.S)


def _lines_by_page(pdf: Path) -> tuple[tuple[float, list[tuple[float, float, str, float]]], ...]:
    """Per page: its height and its text lines as (top, bottom, text, left), top to bottom. Read
    once per version of the file: the gate's checks of one PDF share it."""
    stat = pdf.stat()
    return _read_lines(str(pdf), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read_lines(pdf: str, _mtime_ns: int, _size: int) -> tuple[tuple[float, list[tuple[float, float, str, float]]], ...]:
    run = subprocess.run(["pdftotext", "-bbox-layout", pdf, "-"], capture_output=True, text=True, check=True)
    pages = []
    for height, body in PAGE_TAG.findall(run.stdout):
        lines = sorted((float(top), float(bottom), html.unescape(" ".join(WORD_TAG.findall(words))), float(left))
                       for left, top, bottom, words in LINE_TAG.findall(body))
        pages.append((float(height), _rows(lines)))
    return tuple(pages)


def _rows(lines: list[tuple[float, float, str, float]]) -> list[tuple[float, float, str, float]]:
    """Lines side by side (a label and its text, marks at the margin) merged into one row, left to right."""
    rows: list[list[tuple[float, float, str, float]]] = []
    for line in lines:
        if rows and abs(line[0] - rows[-1][0][0]) < 6.0:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [(min(x[0] for x in row), max(x[1] for x in row),
             " ".join(x[2] for x in sorted(row, key=lambda x: x[3])), min(x[3] for x in row)) for row in rows]


def _part_label(line: tuple[float, float, str, float]) -> bool:
    return bool(PART_START.match(line[2])) and line[3] < LABEL_X


def _footer(height: float, lines: list) -> list:
    """A page's footer lines (its page number), in the bottom tenth of the page."""
    return [ln for ln in lines if FOOTER.match(ln[2]) and ln[0] > 0.9 * height]


def _split_footer(height: float, lines: list) -> tuple[list, float | None]:
    """A page's body lines and the top of its footer (None if it has none)."""
    footer = _footer(height, lines)
    return [ln for ln in lines if ln not in footer], min((ln[0] for ln in footer), default=None)


def _largest_gap(lines: list, below: float) -> float:
    """The largest vertical gap between consecutive lines, or between the last and `below`."""
    tops = [ln[0] for ln in lines[1:]] + [below]
    return max((t - ln[1] for t, ln in zip(tops, lines)), default=0.0)


def space_problems(pdf: Path, name: str) -> list[Problem]:
    """Lettered parts of an exam with no gap of 1 cm before the next part or heading (a part that
    runs off the foot of a page is followed onto the next)."""
    out: list[Problem] = []
    pending: tuple[int, str] | None = None
    for number, (height, lines) in enumerate(_lines_by_page(pdf), start=1):
        body, footer_top = _split_footer(height, lines)
        foot = (footer_top or height) - FOOTSKIP_PT
        starts = [i for i, ln in enumerate(body) if _part_label(ln) or QUESTION_START.match(ln[2])]
        bounds = [*starts, len(body)]
        if pending:
            lead = body[:bounds[0]]
            below = body[bounds[0]][0] if starts else foot
            if _largest_gap(lead, below) < MIN_SPACE_PT and (lead or starts):
                out.append(Problem(name, pending[0], "part without answer space", pending[1]))
            pending = None if starts or not lead else pending
        for i, end in zip(starts, bounds[1:]):
            if not _part_label(body[i]):
                continue
            below = body[end][0] if end < len(body) else foot
            if _largest_gap(body[i:end], below) >= MIN_SPACE_PT:
                continue
            if end == len(body):
                pending = (number, body[i][2].strip()[:60])   # continues on the next page
            else:
                out.append(Problem(name, number, "part without answer space", body[i][2].strip()[:60]))
    if pending:
        out.append(Problem(name, pending[0], "part without answer space", pending[1]))
    return out


def apart_problems(pdf: Path, name: str) -> list[Problem]:
    """Exam pages that start with an answer box (a gap of 1 cm or more under the header) or in the
    middle of a list of options: the question they answer began on the page before."""
    out = []
    pages = [(number, lines[:2]) for number, (_, lines) in enumerate(_lines_by_page(pdf), start=1) if len(lines) >= 2]
    usual = min((b[0] - a[1] for _, (a, b) in pages), default=0.0)
    for number, (header, first) in pages[1:]:
        if first[0] - header[1] >= usual + TOP_GAP_PT:
            out.append(Problem(name, number, "answer box apart from its question", f"the page starts with a box, then {first[2].strip()[:40]!r}"))
        elif OPTION_ON.match(first[2]):
            out.append(Problem(name, number, "options apart from their question", first[2].strip()[:60]))
    return out


def margin_problems(pdf: Path, name: str) -> list[Problem]:
    """Text inside a question set at the page's margin, where only the header and question
    headings belong: a stem or given data that lost the question's indent. A variant's first page
    (its cover) is left out, and so is a page with no indented text (no question on it), and the
    notes on the original paper after the questions (a section of their own, at the margin)."""
    out = []
    notes = False
    for number, (height, lines) in enumerate(_lines_by_page(pdf), start=1):
        body, _ = _split_footer(height, lines)
        if len(body) < 2 or any(FIRST_PAGE.match(ln[2]) for ln in _footer(height, lines)):
            notes = False
            continue
        margin = body[0][3]   # the header's left edge
        inside = []
        for line in body[1:]:
            notes = notes or bool(NOTES.match(line[2]))
            if not notes and not QUESTION_START.match(line[2]):
                inside.append(line)
        if not any(ln[3] >= margin + MARGIN_PT for ln in inside):
            continue
        out += [Problem(name, number, "text at the margin", ln[2].strip()[:60]) for ln in inside if ln[3] < margin + MARGIN_PT]
    return out


def _content(height: float, lines: list) -> list:
    """A page's lines but its footer and its header (the first line: every examgen page has one)."""
    body, _ = _split_footer(height, lines)
    return body[1:]


def _ends_variant(pages: tuple, index: int) -> bool:
    """Whether page `index` (0-based) is the last of its document or variant: the next page is a
    blank verso or a cover ("Page 1 of N")."""
    if index + 1 == len(pages):
        return True
    height, lines = pages[index + 1]
    return not lines or any(LEFT_BLANK.match(ln[2]) for ln in lines) or \
        any(FIRST_PAGE.match(ln[2]) for ln in _footer(height, lines))


def blank_problems(pdf: Path, name: str) -> list[Problem]:
    """Pages that print as blank: a first page with nothing under its header, a page with no
    text at all (an unmarked blank verso), and a document's or variant's last page that holds
    only its closing line or nothing."""
    out = []
    pages = _lines_by_page(pdf)
    for index, (height, lines) in enumerate(pages):
        number = index + 1
        content = _content(height, lines)
        if not lines:
            out.append(Problem(name, number, "blank page", "no text at all, not even that it is left blank"))
        elif any(LEFT_BLANK.match(ln[2]) for ln in lines):
            continue
        elif number == 1 and not content:
            out.append(Problem(name, number, "blank first page", "nothing under the header"))
        elif _ends_variant(pages, index) and all(CLOSING.match(ln[2]) for ln in content):
            out.append(Problem(name, number, "closing page", content[0][2].strip()[:60] if content else "nothing on it"))
    return out


def key_problems(pdf: Path, name: str) -> list[Problem]:
    """An answer key whose first page does not start the first variant (its table moved on and left
    page 1 with the heading only), or a page that goes on with a table's rows without the table's
    code line and header row."""
    out = []
    for number, (height, lines) in enumerate(_lines_by_page(pdf), start=1):
        content = _content(height, lines)
        if number == 1 and content and not any(KEY_VARIANT.match(ln[2]) for ln in content):
            out.append(Problem(name, number, "blank first page", "the first variant is not on it"))
        elif number > 1 and content and not (KEY_VARIANT.match(content[0][2]) or KEY_HEAD.search(content[0][2])):
            out.append(Problem(name, number, "key table continued without its header row", content[0][2].strip()[:60]))
    return out


def check_folder(folder: Path, ids: Iterable[str] = (), logs: dict[str, str] | None = None) -> list[Problem]:
    """Every layout problem of a built output folder (its PDFs; overfull lines from `logs` by PDF name)."""
    ids = sorted(set(ids))
    problems: list[Problem] = []
    bundled = (folder / "all-exams.pdf").exists()  # variant PDFs are pages of the bundles
    for pdf in sorted(folder.rglob("*.pdf")):
        if bundled and pdf.parent != folder:
            continue
        name = str(pdf.relative_to(folder))
        exam = pdf.stem.startswith("exam") or pdf.name == "all-exams.pdf"
        problems += orphan_problems(pdf, name, boxes=exam) + word_problems(pdf, name, ids)
        if exam:
            problems += space_problems(pdf, name) + apart_problems(pdf, name)
        if exam or pdf.stem.endswith("solutions"):
            problems += margin_problems(pdf, name)
        problems += blank_problems(pdf, name)
        if pdf.stem.startswith("answer-key"):
            problems += key_problems(pdf, name)
    for name, text in (logs or {}).items():
        problems += [Problem(name, 0, "overfull line", f"{pt:.1f}pt too wide at line {line}")
                     for line, pt in overfull(text, OVERFULL_PT)]
    return problems


def unnatural_ids(ids: Iterable[str]) -> list[str]:
    """Ids that are not ordinary words or phrases (a digit, or two hyphens): they must not be printed."""
    return [i for i in ids if re.search(r"\d", i) or i.count("-") >= 2]
