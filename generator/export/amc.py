"""auto-multiple-choice LaTeX source: one AMC copy per variant (or student).

Multiple choice → `question`/`questionmult` (options in the order the paper prints them);
a number → `questionmultx` with `\\AMCnumericChoices` (the digits and decimals the key prints);
a few numbers (a shape, a small matrix) → one such question per number; anything else →
`\\AMCOpen`, boxes the marker ticks for none, half or all of the marks. The answer is in `\\explain`,
printed on AMC's corrected sheet only.
"""
from __future__ import annotations

import re
from pathlib import Path

from pylatex.utils import escape_latex

from ..render import render_document
from .figures import Figures
from .items import ExportBuild, ExportVariant, Item, ItemPart
from .values import Value

MAX_NUMBER_BOXES = 4      # more numbers than this (a big matrix) are marked by hand
LISTING = re.compile(r"\\begin\{(lstlisting|verbatim)\}(\[[^\]]*\])?(.*?)\\end\{\1\}", re.S)


def write_amc(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    """`<spec>-amc.tex`: run `auto-multiple-choice prepare --mode s` on it (see tests/test_export_amc.py)."""
    spec = build.spec
    variants = [{"group": f"v{v.number:03d}", "code": v.code, "questions": _questions(v),
                 "student": escape_latex(f"{v.student_name} ({v.student_id})") if v.student_id else ""}
                for v in build.variants]
    meta = escape_latex(f"{spec.institution} · {spec.course} · {spec.date} · {spec.duration}")
    tex = render_document("export/amc.tex.j2", title=escape_latex(spec.title), meta=meta,
                          seed=build.seed, variants=variants)
    path = out / f"{spec.id}-amc.tex"
    path.write_text(tex, encoding="utf-8")
    return [path]


def _questions(variant: ExportVariant) -> list[str]:
    return [q for item in variant.items for part in item.parts for q in _part(item, part)]


def _part(item: Item, part: ItemPart) -> list[str]:
    name = f"{item.family}-{part.own or 'q'}"
    text = _safe(f"\\textbf{{{part.label}}} [{part.marks:g}] " + (item.stem + "\n\n" if item.stem else "") + part.question)
    answer = rf"\explain{{Answer: {_safe(part.shuffled_answer)}}}"
    if part.kind == "choice" and any(c.correct for c in part.choices):
        return [_choice(name, text, part, answer)]
    if part.kind in ("numeric", "numeric-multi") and len(part.values) <= MAX_NUMBER_BOXES:
        share = part.marks / len(part.values)
        many = len(part.values) > 1
        return [_numeric(f"{name}-{i}" if many else name, text if i == 1 else "", value, share,
                         f"Number {i} of {len(part.values)} in your answer:" if many else "", answer if i == 1 else "")
                for i, value in enumerate(part.values, start=1)]
    return [_open(name, text, part.marks, answer)]


def _choice(name: str, text: str, part: ItemPart, answer: str) -> str:
    env = "questionmult" if part.multiple else "question"
    options = "\n".join(("\\correctchoice" if c.correct else "\\wrongchoice") + f"{{{_safe(c.text)}}}"
                        for c in part.choices)
    scoring = f"\\scoring{{mz={part.marks:g}}}" if part.multiple else f"\\scoring{{b={part.marks:g}}}"
    return f"\\begin{{{env}}}{{{name}}}{scoring}\n{text}\n\\begin{{choices}}[o]\n{options}\n\\end{{choices}}\n{answer}\n\\end{{{env}}}"


def _numeric(name: str, text: str, value: Value, marks: float, prompt: str, answer: str) -> str:
    decimals = value.decimals  # from the tolerance, not the text: \frac{1}{3} is typed with four places
    whole = len(str(int(abs(round(value.value, decimals))))) + 1   # one spare digit: the grid must not tell the size
    options = f"digits={whole + decimals},decimals={decimals},sign=true,scoreexact={marks:g},scoreapprox=0"
    return (f"\\begin{{questionmultx}}{{{name}}}\n{text}\n\n{prompt}\n"
            f"\\AMCnumericChoices{{{value.value:.{decimals}f}}}{{{options}}}\n{answer}\n\\end{{questionmultx}}")


def _open(name: str, text: str, marks: float, answer: str) -> str:
    boxes = (f"\\wrongchoice[0]{{0}}\\scoring{{0}}\\wrongchoice[H]{{h}}\\scoring{{{marks / 2:g}}}"
             f"\\correctchoice[F]{{f}}\\scoring{{{marks:g}}}")
    return f"\\begin{{question}}{{{name}}}\n{text}\n\\AMCOpen{{lines=4}}{{{boxes}}}\n{answer}\n\\end{{question}}"


def _safe(tex: str) -> str:
    """AMC keeps questions in macro arguments, where verbatim cannot live: code becomes typewriter lines."""
    return LISTING.sub(lambda m: _typewriter(m.group(3)), tex)


def _typewriter(code: str) -> str:
    lines = [escape_latex(line).replace(" ", "~") or "~" for line in code.strip("\n").split("\n")]
    return "\n\n{\\ttfamily\\small " + "\\\\\n".join(lines) + "}\n\n"
