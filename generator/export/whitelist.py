"""What converted bank text may carry into a page or a package: XHTML and MathML from a whitelist.

latex2mathml turns `\\style{...}`, `\\href{...}` and `\\class{...}` into attributes, so the MathML
tree is cleaned after conversion, and every XHTML fragment once more when the converter hands it
over: an element off the list is unwrapped (its text stays, as text), an attribute off the list, or
whose value is not of its allowed form, is dropped. No style, no event handler, no link or picture
from outside, no class but ours, whatever the LaTeX was.
"""
from __future__ import annotations

import html
import re

from lxml import etree

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MATHML_TAGS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "ms", "msub", "msup", "msubsup", "mfrac", "msqrt",
    "mroot", "mstyle", "merror", "mpadded", "mphantom", "mfenced", "menclose", "munder", "mover", "munderover",
    "mtable", "mtr", "mtd", "mlabeledtr", "semantics", "annotation", "none", "mprescripts", "mmultiscripts"})
MATHML_ATTRS = frozenset({
    "display", "mathvariant", "mathsize", "mathcolor", "mathbackground", "stretchy", "fence", "form",
    "separator", "separators", "lspace", "rspace", "width", "height", "depth", "voffset", "linethickness",
    "columnalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "rowalign", "columnwidth", "frame",
    "framespacing", "equalrows", "equalcolumns", "align", "side", "movablelimits", "largeop", "symmetric",
    "accent", "accentunder", "minsize", "maxsize", "scriptlevel", "displaystyle", "notation", "open", "close",
    "bevelled", "numalign", "denomalign", "lquote", "rquote", "rowspan", "columnspan", "encoding"})
MATHML_VALUE = re.compile(r"[A-Za-z0-9#.%+\- ]{0,80}")   # words, numbers, lengths, colours: no url(), no ':'
MATHML_ALLOWED = dict.fromkeys(MATHML_ATTRS, MATHML_VALUE)

SPAN_CLASSES = "textsc|textrm|textsf|mbox|text|textnormal"
FIGURE_SRC = r"data:image/(?:png|svg\+xml);base64,[A-Za-z0-9+/=]+|(?:images/|@@PLUGINFILE@@/)figure-[0-9a-f]{16}\.png"
ANY_TEXT = re.compile(r"[^\x00-\x1f]{0,2000}", re.S)   # a figure's alt (figures.MAX_ALT) fits
XHTML: dict[str, dict[str, re.Pattern[str]]] = {  # element → attribute → the form of its value
    "div": {"class": re.compile("p|center|flushleft|flushright")},
    "span": {"class": re.compile(SPAN_CLASSES)},
    "td": {"class": re.compile("left|center|right"), "colspan": re.compile(r"[1-9][0-9]{0,2}")},
    "code": {"class": re.compile("latex")},
    "img": {"class": re.compile("figure"), "alt": ANY_TEXT, "src": re.compile(FIGURE_SRC)},
    **{tag: {} for tag in ("em", "strong", "u", "br", "ul", "ol", "li", "table", "tbody", "tr", "pre")},
}
VOID = {"br", "img"}
MAX_MATHML_DEPTH = 64   # with the converter's 40 levels (4 elements each at most) under libxml2's 256
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def clean_mathml(root: etree._Element) -> bool:
    """Drop every attribute off the list from a latex2mathml tree; False if an element is off it,
    or if it nests too deep for the page or package around it to be read back."""
    if _deeper(root, MAX_MATHML_DEPTH):
        return False
    for el in root.iter():
        if not isinstance(el.tag, str) or _kind(el) != "mathml":
            return False
        _drop_attributes(el)
    return True


def clean_xhtml(fragment: str) -> str:
    """The fragment with only listed elements and attributes (see the module's docstring)."""
    if "<" not in fragment:
        return fragment
    try:
        root = etree.fromstring(f"<root>{fragment}</root>", PARSER)
    except etree.XMLSyntaxError as err:
        raise ValueError(f"not well-formed XHTML after conversion ({err})") from None
    _unwrap_unlisted(root)
    for el in root.iter():
        _drop_attributes(el)
        if _kind(el) == "xhtml" and el.tag not in VOID and el.text is None and not len(el):
            el.text = ""   # <td></td>, never <td/>: HTML reads no self-closing <td>
    return html.escape(root.text or "", quote=False) + "".join(
        etree.tostring(child, encoding="unicode", with_tail=True) for child in root)


def _deeper(root: etree._Element, limit: int) -> bool:
    """The tree has more than `limit` levels (counted without recursion)."""
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in el)
    return False


def _kind(el: etree._Element) -> str:
    """'mathml' or 'xhtml' for a listed element, '' for anything else."""
    if not isinstance(el.tag, str):
        return ""
    name = etree.QName(el)
    if name.namespace == MATHML_NS and name.localname in MATHML_TAGS:
        return "mathml"
    return "xhtml" if name.namespace is None and name.localname in XHTML else ""


def _unwrap_unlisted(root: etree._Element) -> None:
    """Comments, processing instructions and unlisted elements go; their text stays, as text."""
    unlisted = {el.tag for el in root.iter() if el is not root and not _kind(el)}
    etree.strip_tags(root, *unlisted)


def _drop_attributes(el: etree._Element) -> None:
    allowed = _allowed(el)
    for name, value in list(el.attrib.items()):
        form = allowed.get(name)
        if form is None or not form.fullmatch(value):
            del el.attrib[name]


def _allowed(el: etree._Element) -> dict[str, re.Pattern[str]]:
    kind = _kind(el)
    if kind == "mathml":
        return MATHML_ALLOWED
    return XHTML[etree.QName(el).localname] if kind == "xhtml" else {}


UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """`text` without the characters XML cannot hold (controls but tab and line breaks, lone
    surrogates, U+FFFE, U+FFFF): every text of the export intermediate passes here (items.py)."""
    return UNSAFE.sub("", text)
