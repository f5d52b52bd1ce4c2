"""HTML: one self-contained page per variant and one for its solutions, maths as MathML
(Chromium and Firefox render it natively; screen readers read it), nothing loaded from the web."""
from __future__ import annotations

import html
from itertools import groupby
from pathlib import Path
from typing import Any

from ..render import render_document
from .figures import Figures
from .items import ExportBuild, ExportVariant, Item
from .latexhtml import Converter
from .markup import html_converter


def write_html(build: ExportBuild, out: Path, figures: Figures) -> list[Path]:
    convert = html_converter(figures)
    files = []
    for variant in build.variants:
        for solutions in (False, True):
            path = out / f"{variant.name}{'-solutions' if solutions else ''}.html"
            path.write_text(page(build, variant, solutions, convert), encoding="utf-8")
            files.append(path)
    return files


def page(build: ExportBuild, variant: ExportVariant, solutions: bool, convert: Converter) -> str:
    """The spec's own words (title, instructions, section titles and intros) are plain text, as the
    paper prints them (`| tex` there): they are escaped here, never read as LaTeX. The section titles
    come from the spec, not the rendered sections (those are escaped for LaTeX: `Back{-}propagation`)."""
    spec = build.spec
    who = f" · {variant.student_name}" if variant.student_name else ""
    about = [s for s in (spec.institution, spec.course, spec.session, spec.date, spec.duration) if s]
    meta = " · ".join([*about, f"exam code {variant.code}{who}"])
    title = spec.title + (" — Solutions" if solutions else "")
    sections = [{"number": number, "title": _esc(spec.sections[number - 1].title),
                 "intro": _esc(spec.sections[number - 1].intro), "questions": [_item(i, convert) for i in group]}
                for number, group in ((n, list(g)) for n, g in groupby(variant.items, key=lambda i: i.number))]
    return render_document("export/page.html.j2", title=_esc(title), meta=_esc(meta), solutions=solutions,
                           instructions=[_esc(line) for line in spec.instructions], sections=sections)


def _item(item: Item, convert: Converter) -> dict[str, Any]:
    parts = [{"label": p.label, "own": p.label[len(str(item.number)):], "show_label": len(item.parts) > 1
              or p.label != str(item.number), "marks": f"{p.marks:g}", "question": convert(p.question),
              "solution": convert(p.solution), "answer": convert.inline(p.answer),
              "options": [{"text": convert.inline(c.text), "correct": c.correct, "why": convert.inline(c.why)}
                          for c in p.choices]}
             for p in item.parts]
    return {"id": f"{item.number}-{item.family}", "stem": convert(item.stem),
            "stem_solution": convert(item.stem_solution), "parts": parts}


def _esc(text: str) -> str:
    return html.escape(" ".join(text.split()), quote=False)
