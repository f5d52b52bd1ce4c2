"""TikZ figures as pictures for the screen formats: compiled with the project's pdflatex runner
(compile.py: no shell escape, confined file access), converted by poppler's pdftocairo."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..compile import Job, compile_tex
from ..errors import SetupError
from ..render import render_document

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
