"""The layout gate: what a printed page must never show, read back from the PDFs and TeX logs.

- an overfull line wider than 1 pt (from the pdflatex log);
- a page whose last body line is a question heading or a part label (an orphaned heading);
- "??", "None", "nan", `*` between numbers, a template or preset id, or the word "template";
- in an exam, a lettered part followed by no answer space (a gap under 1 cm before the next text).
"""
from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .compile import overfull

OVERFULL_PT = 1.0
MIN_SPACE_PT = 28.0        # 1 cm: less than this under a part is no answer space
FOOTER = re.compile(r"^\s*(Page \d+( of \d+)?|\d+)\s*$")
HEADING = re.compile(r"^\s*((Question|Exercise|Problem|Task) \d+\b.*|\([a-z]{1,2}\d*\)\s*(\[[^\]]*\])?)\s*$")
PART_START = re.compile(r"^\s*\(([a-z]{1,2}\d*)\)\s")
QUESTION_START = re.compile(r"^\s*(Question|Exercise|Problem|Task) \d+\b")
WORDS = (re.compile(r"\?\?"), re.compile(r"\bNone\b"), re.compile(r"\bnan\b", re.I),
         re.compile(r"\d\s*\*\s*-?\d"), re.compile(r"\btemplates?\b", re.I))


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


def body_lines(page: str) -> list[str]:
    """A page's non-empty lines without its footer (page number) line."""
    lines = [line for line in page.splitlines() if line.strip()]
    while lines and FOOTER.match(lines[-1]):
        lines.pop()
    return lines


def orphan_problems(pdf: Path, name: str) -> list[Problem]:
    """Pages whose last body line is a question heading or a bare part label."""
    out = []
    for number, page in enumerate(pdf_pages_text(pdf), start=1):
        lines = body_lines(page)
        if len(lines) > 2 and (HEADING.match(lines[-1]) or QUESTION_START.match(lines[-1])):
            out.append(Problem(name, number, "heading at the foot of the page", lines[-1].strip()[:60]))
    return out


def word_problems(pdf: Path, name: str, ids: Iterable[str]) -> list[Problem]:
    """Words no printed page may show: unresolved references, Python values, ids, internal notes."""
    checks = [*WORDS, *(re.compile(rf"(?<![\w-]){re.escape(i)}(?![\w-])") for i in ids)]
    out = []
    for number, page in enumerate(pdf_pages_text(pdf), start=1):
        flat = " ".join(page.split())
        for check in checks:
            found = check.search(flat)
            if found:
                start = max(0, found.start() - 25)
                out.append(Problem(name, number, f"forbidden text {check.pattern!r}", flat[start:found.end() + 25]))
    return out


PAGE_TAG = re.compile(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', re.S)
LINE_TAG = re.compile(r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>', re.S)
WORD_TAG = re.compile(r"<word [^>]*>(.*?)</word>", re.S)


def _lines_by_page(pdf: Path) -> list[tuple[float, list[tuple[float, float, str]]]]:
    """Per page: its height and its text lines as (top, bottom, text), top to bottom."""
    run = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = []
    for height, body in PAGE_TAG.findall(run.stdout):
        lines = sorted((float(top), float(bottom), html.unescape(" ".join(WORD_TAG.findall(words))))
                       for top, bottom, words in LINE_TAG.findall(body))
        pages.append((float(height), lines))
    return pages


def space_problems(pdf: Path, name: str) -> list[Problem]:
    """Lettered parts of an exam with no gap of 1 cm anywhere before the next part or heading."""
    out = []
    for number, (_height, lines) in enumerate(_lines_by_page(pdf), start=1):
        body = [ln for ln in lines if not FOOTER.match(ln[2])]
        footer_top = min((ln[0] for ln in lines if FOOTER.match(ln[2]) and ln not in body[:1]), default=None)
        starts = [i for i, ln in enumerate(body) if PART_START.match(ln[2]) or QUESTION_START.match(ln[2])]
        for k, i in enumerate(starts):
            if not PART_START.match(body[i][2]):
                continue
            end = starts[k + 1] if k + 1 < len(starts) else len(body)
            tops = [ln[0] for ln in body[i + 1:end + 1]]
            if end == len(body):
                tops.append(footer_top - 30.0 if footer_top else body[-1][1] + 60.0)
            bottoms = [ln[1] for ln in body[i:end]]
            gap = max((t - b for t, b in zip(tops, bottoms)), default=0.0)
            if gap < MIN_SPACE_PT:
                out.append(Problem(name, number, "part without answer space", body[i][2].strip()[:60]))
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
        problems += orphan_problems(pdf, name) + word_problems(pdf, name, ids)
        if pdf.stem.startswith("exam") or pdf.name == "all-exams.pdf":
            problems += space_problems(pdf, name)
    for name, text in (logs or {}).items():
        problems += [Problem(name, 0, "overfull line", f"{pt:.1f}pt too wide at line {line}")
                     for line, pt in overfull(text, OVERFULL_PT)]
    return problems


def unnatural_ids(ids: Iterable[str]) -> list[str]:
    """Ids that are not ordinary words or phrases (a digit, or two hyphens): they must not be printed."""
    return [i for i in ids if re.search(r"\d", i) or i.count("-") >= 2]
