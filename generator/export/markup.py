"""How maths and figures appear in each screen format, around the one LaTeX → XHTML converter."""
from __future__ import annotations

import base64
import html
from functools import lru_cache

from lxml import etree

from .figures import Figures
from .latexhtml import Converter


@lru_cache(maxsize=8192)
def mathml(latex: str, display: bool) -> str:
    """MathML from latex2mathml; LaTeX it cannot turn into well-formed MathML stays as code."""
    import latex2mathml.converter

    try:
        out = latex2mathml.converter.convert(latex.strip(), display="block" if display else "inline")
        etree.fromstring(out)
        return out
    except Exception:  # the converter raises bare exceptions of many kinds on LaTeX it lacks
        return f'<code class="latex">{html.escape(latex.strip(), quote=False)}</code>'


def mathjax(latex: str, display: bool) -> str:
    """LaTeX between \\( \\) or \\[ \\] for Moodle's MathJax filter."""
    body = html.escape(latex.strip(), quote=False)
    return rf"\[{body}\]" if display else rf"\({body}\)"


def html_converter(figures: Figures) -> Converter:
    """MathML and inline SVG pictures (data: URIs): a page that loads nothing from anywhere."""
    def figure(tikz: str) -> str:
        data = base64.b64encode(figures.get(tikz).svg).decode()
        return f'<img class="figure" alt="figure" src="data:image/svg+xml;base64,{data}"/>'
    return Converter(mathml, figure)


class FileFigures:
    """Figures as PNG files beside the text (Moodle's @@PLUGINFILE@@, a QTI package's images/)."""

    def __init__(self, figures: Figures, prefix: str) -> None:
        self.figures, self.prefix = figures, prefix
        self.used: dict[str, bytes] = {}

    def __call__(self, tikz: str) -> str:
        fig = self.figures.get(tikz)
        name = f"{fig.name}.png"
        self.used[name] = fig.png
        return f'<img class="figure" alt="figure" src="{self.prefix}{name}"/>'
