"""How maths and figures appear in each screen format, around the one LaTeX → XHTML converter."""
from __future__ import annotations

import base64
import html
from functools import lru_cache

from lxml import etree

from .figures import Figures
from .latexhtml import Converter


MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MATHML_TAGS = {"math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "ms", "msub", "msup", "msubsup", "mfrac",
               "msqrt", "mroot", "mstyle", "merror", "mpadded", "mphantom", "mfenced", "menclose", "munder",
               "mover", "munderover", "mtable", "mtr", "mtd", "mlabeledtr", "semantics", "annotation", "none",
               "mprescripts", "mmultiscripts"}


@lru_cache(maxsize=8192)
def mathml(latex: str, display: bool) -> str:
    """MathML from latex2mathml; LaTeX it cannot turn into safe, well-formed MathML stays as code.

    latex2mathml copies `\\text{...}` through unescaped, so bank text could smuggle markup
    (a <script>) into a page: only MathML elements, without event or link attributes, pass."""
    import latex2mathml.converter

    try:
        root = etree.fromstring(latex2mathml.converter.convert(latex.strip(), display="block" if display else "inline"))
        if _safe_mathml(root):
            return etree.tostring(_space_functions(root), encoding="unicode")
    except Exception:  # the converter raises bare exceptions of many kinds on LaTeX it lacks
        pass
    return f'<code class="latex">{html.escape(latex.strip(), quote=False)}</code>'


FUNCTIONS = {"log", "ln", "exp", "lg", "sin", "cos", "tan", "tanh", "sinh", "cosh", "det", "arg", "max", "min",
             "sup", "inf", "lim", "dim", "ker", "Pr", "softmax"}
THIN = "0.1667em"


def _space_functions(root: etree._Element) -> etree._Element:
    """A thin space after a named function (log 0.35, log ŷ) as TeX sets one; latex2mathml writes
    `<mi>log</mi>` with nothing after it, and browsers add no space. None before a bracket."""
    for el in list(root.iter(f"{{{MATHML_NS}}}mi", f"{{{MATHML_NS}}}mo")):
        after = el.getnext()
        if (el.text or "").strip() not in FUNCTIONS or after is None or _opens(after):
            continue
        el.addnext(etree.Element(f"{{{MATHML_NS}}}mspace", width=THIN))
    return root


def _opens(el: etree._Element) -> bool:
    """The element starts with an opening bracket (a fence, or a row whose first child is one)."""
    while etree.QName(el).localname == "mrow" and len(el):
        el = el[0]
    return etree.QName(el).localname == "mo" and (el.text or "").strip() in ("(", "[", "{", "|", "\u2016", "\u27e8")


def _safe_mathml(root: etree._Element) -> bool:
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).namespace != MATHML_NS or etree.QName(el).localname not in MATHML_TAGS:
            return False
        if any(name.lower().startswith("on") or "href" in name.lower() for name in el.attrib):
            return False
    return True


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
