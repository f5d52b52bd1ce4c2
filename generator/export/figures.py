"""TikZ figures as pictures for the screen formats: compiled with the project's pdflatex runner
(compile.py: no shell escape, confined file access), converted by poppler's pdftocairo.

Each picture's alt text says what it shows: a question's figures take theirs from the template's
`alt:` list (rendered with the question's parameters, like the rest of its text), a worked
solution's figures a generic one naming the question's family. They are recorded by figure source when the
export intermediate is built (items.py) and looked up when a figure becomes a picture (markup.py).
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ..bank import figure_count
from ..compile import Job, compile_tex
from ..errors import RenderError, SetupError
from ..models import Instance, RenderedQuestion
from ..render import _contexts, render_document, render_text
from .latexhtml import Converter
from .whitelist import clean

PNG_DPI = 150


@dataclass(frozen=True)
class Figure:
    """One compiled figure: `name` is a stable file name (from the source's hash)."""

    name: str
    svg: bytes
    png: bytes


class Figures:
    """Compiles each distinct TikZ source once per export."""

    def __init__(self) -> None:
        self._done: dict[str, Figure] = {}

    def get(self, tikz: str) -> Figure:
        key = hashlib.sha256(tikz.encode()).hexdigest()[:16]
        if key not in self._done:
            self._done[key] = _compile(tikz, f"figure-{key}")
        return self._done[key]


def _pdftocairo() -> str:
    found = shutil.which("pdftocairo")
    if not found:
        raise SetupError("pdftocairo not found: install poppler-utils (figures become pictures with it)")
    return found


def _compile(tikz: str, name: str) -> Figure:
    with tempfile.TemporaryDirectory(prefix="examgen-figure-") as tmp:
        tex = Path(tmp) / "figure.tex"
        tex.write_text(render_document("export/figure.tex.j2", tikz=tikz), encoding="utf-8")
        pdf = compile_tex(Job(tex, f"figure {name}"))
        tool = _pdftocairo()
        subprocess.run([tool, "-svg", pdf.name, "figure.svg"], cwd=tmp, check=True, capture_output=True, timeout=60)
        subprocess.run([tool, "-png", "-singlefile", "-r", str(PNG_DPI), pdf.name, "figure"], cwd=tmp,
                       check=True, capture_output=True, timeout=60)
        return Figure(name, (Path(tmp) / "figure.svg").read_bytes(), (Path(tmp) / "figure.png").read_bytes())


UNDESCRIBED = "Figure (its question gives no description)"
MAX_ALT = 2000        # characters of one alt text (whitelist.py lets no longer one through)
MAX_ALTS = 65536      # figures remembered: far more than one export draws
_ALTS: OrderedDict[str, str] = OrderedDict()


def _key(tikz: str) -> str:
    return hashlib.sha256(tikz.strip().encode()).hexdigest()


def alt_text(tikz: str) -> str:
    """What the figure drawn by this TikZ source shows, as recorded by describe_figures."""
    return _ALTS.get(_key(tikz), UNDESCRIBED)


def describe_figures(instance: Instance, question: RenderedQuestion) -> None:
    """Record the alt text of every figure of a rendered question: the template's `alt:` entries
    for the figures of its stem and asked parts (each part's own share of the list, so a part the
    exam leaves out takes its entries with it), and a generic one for its solutions' figures."""

    template = instance.template
    where = f"{template.path} (template {template.id})"
    shown = {template.parts[p.index].label or "": p.label for p in question.parts}
    context = _contexts(instance, -1, shown)[0]
    counts = [figure_count(template.stem)] + [figure_count(p.question) for p in template.parts]
    starts = [sum(counts[:i]) for i in range(len(counts))]
    asked = [(template.stem, clean(question.stem), 0)] + [
        (template.parts[p.index].question, clean(p.prompt or p.question), starts[p.index + 1]) for p in question.parts]
    described: set[str] = set()
    for source, text, start in asked:
        drawn = figure_sources(text)
        if len(drawn) != figure_count(source):   # figures drawn in a loop or a condition: no telling which is which
            continue
        for i, tikz in enumerate(drawn, start):
            if i < len(template.alt):
                alt = " ".join(render_text(template.alt[i], context, f"{where} alt[{i}]").split())
                if not alt or len(alt) > MAX_ALT:
                    raise RenderError(f"{where} alt[{i}]: renders {len(alt)} characters (1 to {MAX_ALT})")
                _remember(tikz, alt)
                described.add(_key(tikz))
    title = " ".join(clean(template.title).split())
    for text in [question.stem_solution, *(p.solution for p in question.parts)]:
        for tikz in figure_sources(clean(text)):
            if _key(tikz) not in described:
                _remember(tikz, f"Worked-solution figure: {title}"[:MAX_ALT])


def figure_sources(text: str) -> list[str]:
    """Each tikzpicture in LaTeX text, as the exports' converter hands it to a figure callback."""
    found: list[str] = []
    Converter(lambda latex, display: "", lambda tikz: found.append(tikz) or "")(text)
    return found


def _remember(tikz: str, alt: str) -> None:
    key = _key(tikz)
    _ALTS[key] = alt
    _ALTS.move_to_end(key)
    while len(_ALTS) > MAX_ALTS:
        _ALTS.popitem(last=False)
