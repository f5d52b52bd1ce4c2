"""How maths and figures appear in each screen format, around the one LaTeX → XHTML converter."""
from __future__ import annotations

import base64
import html
import re
from functools import lru_cache

from lxml import etree

from .figures import Figures, alt_text
from .latexhtml import Converter
from .whitelist import MATHML_NS, PARSER, clean_mathml


@lru_cache(maxsize=8192)
def mathml(latex: str, display: bool) -> str:
    """MathML from latex2mathml; LaTeX it cannot turn into safe, well-formed MathML stays as code.

    latex2mathml copies `\\text{...}` through unescaped (a <script>) and makes attributes of
    `\\style`, `\\href` and `\\class`: the tree keeps only whitelisted elements (else the
    LaTeX stays as code) and attributes (the others are dropped; whitelist.py)."""
    import latex2mathml.converter

    try:
        markup = latex2mathml.converter.convert(latex.strip(), display="block" if display else "inline")
        root = etree.fromstring(markup, PARSER)
        if clean_mathml(root):
            return etree.tostring(_space_functions(_plain_spaces(_plain_symbols(root))), encoding="unicode")
    except Exception:  # the converter raises bare exceptions of many kinds on LaTeX it lacks
        pass
    return f'<code class="latex">{html.escape(latex.strip(), quote=False)}</code>'


FUNCTIONS = {"log", "ln", "exp", "lg", "sin", "cos", "tan", "tanh", "sinh", "cosh", "det", "arg", "max", "min",
             "sup", "inf", "lim", "dim", "ker", "Pr", "softmax"}
THIN = "0.1667em"


def _space_functions(root: etree._Element) -> etree._Element:
    """A thin space after a named function (log 0.35, log ŷ) as TeX sets one; latex2mathml writes
    `<mi>log</mi>` with nothing after it, and browsers add no space. None before a bracket; after
    the scripts of `\\max_{a}`, never inside them (a script element has a fixed number of children)."""
    for el in list(root.iter(f"{{{MATHML_NS}}}mi", f"{{{MATHML_NS}}}mo")):
        if (el.text or "").strip() not in FUNCTIONS:
            continue
        at = _with_scripts(el)
        after, parent = at.getnext(), at.getparent()
        if after is None or parent is None or _local(parent) in FIXED_ARITY or _opens(after):
            continue
        at.addnext(etree.Element(f"{{{MATHML_NS}}}mspace", width=THIN))
    return root


SCRIPTED = {"msub", "msup", "msubsup", "munder", "mover", "munderover"}
FIXED_ARITY = SCRIPTED | {"mfrac", "mroot", "mmultiscripts"}


def _with_scripts(el: etree._Element) -> etree._Element:
    """The function name with the scripts it is the base of (`\\max_{a}`: the msub)."""
    while (parent := el.getparent()) is not None and _local(parent) in SCRIPTED and parent[0] is el:
        el = parent
    return el


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


NAMED_SPACES = {"veryverythinmathspace": 1, "verythinmathspace": 2, "thinmathspace": 3, "mediummathspace": 4,
                "thickmathspace": 5, "verythickmathspace": 6, "veryverythickmathspace": 7}   # in 18ths of an em


def _plain_spaces(root: etree._Element) -> etree._Element:
    """MathML 2's named spaces (`\\!` is negativethinmathspace) as ems: MathML Core (the
    browsers) and the QTI 2.1 schema read lengths only."""
    for el in root.iter():
        for name in ("width", "lspace", "rspace"):
            value = el.get(name, "")
            eighteenths = NAMED_SPACES.get(value.removeprefix("negative"))
            if eighteenths:
                sign = "-" if value.startswith("negative") else ""
                el.set(name, f"{sign}{eighteenths / 18:.4f}em")
    return root


# latex2mathml keeps the control sequence of a sized delimiter (`\\big\\|`, `\\Bigl\\langle`) as its text
SIZED = {"\\|": "\u2016", "\\{": "{", "\\}": "}", "\\lbrace": "{", "\\rbrace": "}", "\\langle": "\u27e8",
         "\\rangle": "\u27e9", "\\lfloor": "\u230a", "\\rfloor": "\u230b", "\\lceil": "\u2308", "\\rceil": "\u2309",
         "\\vert": "|", "\\lvert": "|", "\\rvert": "|", "\\Vert": "\u2016", "\\lVert": "\u2016", "\\rVert": "\u2016",
         "\\backslash": "\\", "\\uparrow": "\u2191", "\\downarrow": "\u2193"}
ACCENTS = {"mover", "munder", "munderover"}


def _plain_symbols(root: etree._Element) -> etree._Element:
    """What latex2mathml leaves as LaTeX: a sized delimiter's control sequence (SIZED), `\\sim` as an
    ASCII tilde identifier (the relation ∼, as TeX sets it), and `~` (a tie: a space) inside `\\text`."""
    for el in root.iter(f"{{{MATHML_NS}}}mo", f"{{{MATHML_NS}}}mi", f"{{{MATHML_NS}}}mtext"):
        text, parent = el.text or "", el.getparent()
        if _local(el) == "mtext":
            el.text = text.replace("~", "\u00a0")
        elif text.strip() in SIZED:
            el.text = SIZED[text.strip()]
        elif text == "~" and _local(el) == "mi" and (parent is None or _local(parent) not in ACCENTS):
            el.tag, el.text = f"{{{MATHML_NS}}}mo", "\u223c"
    return root


def _opens(el: etree._Element) -> bool:
    """The element starts with an opening bracket (a fence, or a row whose first child is one)."""
    while _local(el) == "mrow" and len(el):
        el = el[0]
    return _local(el) == "mo" and (el.text or "").strip() in ("(", "[", "{", "|", "\u2016", "\u27e8")


MATHJAX_HTML = re.compile(r"\\(?:href|style|class|cssId|data|unicode|require|html[A-Za-z]*)(?![A-Za-z])")


def mathjax(latex: str, display: bool) -> str:
    """LaTeX between \\( \\) or \\[ \\] for Moodle's MathJax filter. Maths that asks MathJax for
    HTML (`\\href`, `\\style`, `\\class`, `\\cssId`, `\\data`, `\\require`, `\\unicode`) stays as code:
    there is no tree to clean before MathJax makes links, styles or loads of it in the browser."""
    body = html.escape(latex.strip(), quote=False)
    if MATHJAX_HTML.search(latex):
        return f'<code class="latex">{body}</code>'
    return rf"\[{body}\]" if display else rf"\({body}\)"


def html_converter(figures: Figures) -> Converter:
    """MathML and inline SVG pictures (data: URIs): a page that loads nothing from anywhere."""
    def figure(tikz: str) -> str:
        data = base64.b64encode(figures.get(tikz).svg).decode()
        return f'<img class="figure" alt="{_alt(tikz)}" src="data:image/svg+xml;base64,{data}"/>'
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
        return f'<img class="figure" alt="{_alt(tikz)}" src="{self.prefix}{name}"/>'


def _alt(tikz: str) -> str:
    """The figure's alt text (figures.py: from the template's `alt:`), as an attribute value."""
    return html.escape(alt_text(tikz), quote=True)
