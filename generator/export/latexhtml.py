"""Bank LaTeX → XHTML fragments, for the formats an LMS or a browser reads.

Covers what the bank writes in text mode: emphasis, bold, typewriter, itemize/enumerate,
tabular, center, lstlisting/verbatim, `\\\\`, quotes and dashes, escaped specials. Maths and
TikZ figures go to callbacks, so one converter serves MathML (HTML, QTI) and MathJax (Moodle).
Blocks are `<div>`s, never `<p>`, so lists and tables may sit inside a paragraph as in LaTeX.
What comes out passes whitelist.py: only our elements, attributes and classes, whatever the input.
"""
from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

from .whitelist import clean_xhtml

MathFn = Callable[[str, bool], str]     # (latex, display) → markup
FigureFn = Callable[[str], str]         # tikzpicture source → markup

DISPLAY_ENVS = {"align", "align*", "equation", "equation*", "gather", "gather*", "multline*", "eqnarray*"}
VERBATIM_ENVS = {"lstlisting", "verbatim", "Verbatim"}
LIST_ENVS = {"itemize": "ul", "enumerate": "ol", "description": "ul"}
STYLE = {"emph": "em", "textit": "em", "textbf": "strong", "texttt": "code", "underline": "u",
         "textsc": "span", "textrm": "span", "textsf": "span", "mbox": "span", "text": "span", "textnormal": "span"}
SYMBOLS = {"%": "%", "&": "&amp;", "_": "_", "#": "#", "$": "$", "{": "{", "}": "}", " ": " ",
           ",": "\u2009", ";": " ", "!": "", "/": "", "-": "", "ldots": "…", "dots": "…", "quad": "\u2003",
           "qquad": "\u2003\u2003", "textbackslash": "\\", "LaTeX": "LaTeX", "TeX": "TeX", "S": "§",
           "textasciitilde": "~", "textasciicircum": "^", "textbar": "|", "textless": "&lt;",
           "textgreater": "&gt;", "copyright": "©", "euro": "€", "pounds": "£", "textendash": "–",
           "textemdash": "—", "checkmark": "✓", "times": "×"}
ARGS_DROPPED = {"vspace", "hspace", "vspace*", "hspace*", "label", "setlength", "addtolength", "rule",
                "phantom", "hphantom", "vphantom", "color", "ref", "raisebox", "columnbreak"}
TEXT_FIXES = [("---", "—"), ("--", "–"), ("``", "“"), ("''", "”"), ("`", "‘"), ("'", "’"), ("~", "\u00a0")]
COMMAND = re.compile(r"\\([A-Za-z]+\*?|.)")
MAX_DEPTH = 40   # nesting of \emph{...} and environments: bank text needs a few; Python's recursion and
                 # libxml2's 256 levels (whitelist.py reads every fragment back) have limits
_NESTING = threading.local()


@dataclass(frozen=True)
class Converter:
    """Turns LaTeX into XHTML; `math` and `figure` say how maths and pictures appear."""

    math: MathFn
    figure: FigureFn

    def __call__(self, tex: str) -> str:
        body = self._inline(tex.strip())
        return clean_xhtml(f'<div class="p">{body}</div>') if body else ""

    def inline(self, tex: str) -> str:
        """`tex` without the paragraph around it (an option, an answer line)."""
        return clean_xhtml(self._inline(tex))

    def _inline(self, tex: str) -> str:
        depth = getattr(_NESTING, "depth", 0)
        if depth >= MAX_DEPTH:
            raise ValueError(f"groups and environments nested more than {MAX_DEPTH} deep")
        _NESTING.depth = depth + 1
        try:
            out: list[str] = []
            i = 0
            while i < len(tex):
                i = self._step(tex, i, out)
            return "".join(out).strip()
        finally:
            _NESTING.depth = depth

    def _step(self, tex: str, i: int, out: list[str]) -> int:
        c = tex[i]
        if tex.startswith("$$", i):
            end = _find(tex, "$$", i + 2)
            out.append(self.math(tex[i + 2:end], True))
            return end + 2
        if c == "$":
            end = _find(tex, "$", i + 1)
            out.append(self.math(tex[i + 1:end], False))
            return end + 1
        if tex.startswith(r"\[", i) or tex.startswith(r"\(", i):
            close = r"\]" if tex[i + 1] == "[" else r"\)"
            end = _find(tex, close, i + 2)
            out.append(self.math(tex[i + 2:end], close == r"\]"))
            return end + 2
        if tex.startswith(r"\begin{", i):
            return self._environment(tex, i, out)
        if c == "\\":
            return self._command(tex, i, out)
        if c in "{}":
            return i + 1
        if c == "%":
            end = tex.find("\n", i)
            return len(tex) if end < 0 else end + 1
        j = i
        while j < len(tex) and tex[j] not in "$\\{}%":
            j += 1
        out.append(_text(tex[i:j]))
        return j

    def _environment(self, tex: str, i: int, out: list[str]) -> int:
        name, start = _group(tex, i + len(r"\begin"))
        body_start = start
        end = _matching_end(tex, name, body_start)
        body = tex[body_start:end]
        after = end + len(rf"\end{{{name}}}")
        if name == "tikzpicture":
            out.append(self.figure(tex[i:after]))
        elif name in VERBATIM_ENVS:
            code = re.sub(r"^\[[^\]]*\]", "", body).strip("\n")
            out.append(f"<pre><code>{html.escape(code, quote=False)}</code></pre>")
        elif name in DISPLAY_ENVS:  # one display line per row: MathML converters stumble on `&` columns
            rows = [r.replace("&", " ").strip() for r in _split_top(body, "\\\\")]
            out.append("".join(self.math(r, True) for r in rows if r))
        elif name.endswith("matrix") or name == "cases":
            out.append(self.math(tex[i:after], False))
        elif name in LIST_ENVS:
            out.append(self._list(LIST_ENVS[name], body))
        elif name in ("tabular", "tabular*", "array"):
            out.append(self._table(body))
        elif name in ("center", "flushleft", "flushright"):
            out.append(f'<div class="{name}">{self._inline(body)}</div>')
        else:
            out.append(self._inline(re.sub(r"^(\[[^\]]*\]|\{[^{}]*\})*", "", body)))
        return after

    def _list(self, tag: str, body: str) -> str:
        items = [s for s in _split_top(body, r"\item")[1:]]
        rows = []
        for item in items:
            item, label = item.lstrip(" "), ""
            if item.startswith("["):
                close = item.index("]")
                label, item = self._inline(item[1:close]) + " ", item[close + 1:]
            rows.append(f"<li>{label}{self._inline(item.strip())}</li>")
        return f"<{tag}>{''.join(rows)}</{tag}>"

    def _table(self, body: str) -> str:
        """Rows and cells, each cell classed left, center or right as its column's spec says (l, c,
        r; p{..} on the left), so a table inside a centred block keeps its columns (a class, not a
        style: QTI allows no style attribute); \\multicolumn spans its columns."""
        body = body.lstrip()
        start = _skip_optional(body, 0)
        spec, start = _group(body, start) if body[start:start + 1] == "{" else ("", start)
        aligns = _columns(spec)
        rows = []
        for row in _split_top(body[start:], r"\\"):
            row = re.sub(r"^\s*\[[^\]]*\]|\\(hline|toprule|midrule|bottomrule|cline\{[^}]*\})", "", row).strip()
            if row:
                rows.append(f"<tr>{''.join(self._cells(_split_top(row, '&'), aligns))}</tr>")
        return f"<table><tbody>{''.join(rows)}</tbody></table>"

    def _cells(self, cells: list[str], aligns: list[str]) -> Iterator[str]:
        column = 0
        for cell in (c.strip() for c in cells):
            span, align = 1, aligns[column] if column < len(aligns) else "left"
            if cell.startswith("\\multicolumn"):
                count, i = _group(cell, _skip_space(cell, len("\\multicolumn")))
                own, i = _group(cell, _skip_space(cell, i))
                cell, _ = _group(cell, _skip_space(cell, i))
                span, align = int(count) if count.strip().isdigit() else 1, (_columns(own) or [align])[0]
            colspan = f' colspan="{span}"' if span > 1 else ""
            yield f'<td{colspan} class="{align}">{self._inline(cell)}</td>'
            column += span

    def _command(self, tex: str, i: int, out: list[str]) -> int:
        match = COMMAND.match(tex, i)
        name = match.group(1) if match else "\\"
        j = match.end() if match else i + 1
        if name == "par":
            out.append("<br/><br/>")
            return j
        if name == "\\":
            out.append("<br/>")
            return _skip_optional(tex, j)
        if name in STYLE:
            arg, j = _group(tex, _skip_space(tex, j))
            tag = STYLE[name]
            cls = f' class="{name}"' if tag == "span" else ""
            out.append(f"<{tag}{cls}>{self._inline(arg)}</{tag}>")
            return j
        if name in SYMBOLS:
            out.append(SYMBOLS[name])
            return j
        if name in ARGS_DROPPED:
            j = _skip_optional(tex, j)
            while j < len(tex) and tex[j] == "{":
                j = _group(tex, j)[1]
            return j
        return j  # other commands (\hfill, \small, \centering ...) change only the look on paper


def _text(s: str) -> str:
    s = re.sub(r"\n[ \t]*\n\s*", "\x00", html.escape(s, quote=False))
    for a, b in TEXT_FIXES:
        s = s.replace(a, b)
    return re.sub(r"\s+", " ", s).replace("\x00", "<br/><br/>")


def _find(tex: str, token: str, start: int) -> int:
    """Where `token` closes a maths span, skipping escaped characters."""
    i = start
    while i < len(tex):
        if tex.startswith(token, i):
            return i
        i += 2 if tex[i] == "\\" else 1
    raise ValueError(f"unclosed {token!r} in {tex[max(0, start - 30):start + 30]!r}")


def _group(tex: str, i: int) -> tuple[str, int]:
    """The contents of the brace group at `i` and the index after it."""
    if i >= len(tex) or tex[i] != "{":
        return (tex[i], i + 1) if i < len(tex) else ("", i)
    depth = 0
    for j in range(i, len(tex)):
        if tex[j] == "\\":
            continue
        if tex[j] == "{" and (j == 0 or tex[j - 1] != "\\"):
            depth += 1
        elif tex[j] == "}" and tex[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return tex[i + 1:j], j + 1
    raise ValueError(f"unbalanced braces in {tex[i:i + 60]!r}")


def _matching_end(tex: str, name: str, start: int) -> int:
    begin, end = rf"\begin{{{name}}}", rf"\end{{{name}}}"
    depth, i = 1, start
    while True:
        nb, ne = tex.find(begin, i), tex.find(end, i)
        if ne < 0:
            raise ValueError(f"\\begin{{{name}}} without \\end{{{name}}}")
        if 0 <= nb < ne:
            depth, i = depth + 1, nb + len(begin)
            continue
        depth -= 1
        if depth == 0:
            return ne
        i = ne + len(end)


def _split_top(tex: str, sep: str) -> list[str]:
    """Split at `sep` outside braces, environments and maths (items of a list, cells of a row)."""
    parts, depth, last, i, maths = [], 0, 0, 0, False
    while i < len(tex):
        if tex.startswith(r"\begin{", i) or tex.startswith(r"\end{", i):
            depth += 1 if tex[i + 1] == "b" else -1
            i += 4
            continue
        if tex[i] == "\\" and not tex.startswith(sep, i):
            i += 2
            continue
        if tex[i] == "$":
            maths = not maths
        elif tex[i] == "{":
            depth += 1
        elif tex[i] == "}":
            depth -= 1
        elif depth == 0 and not maths and tex.startswith(sep, i) and not _longer_command(tex, i, sep):
            parts.append(tex[last:i])
            last = i = i + len(sep)
            continue
        i += 1
    parts.append(tex[last:])
    return parts


def _longer_command(tex: str, i: int, sep: str) -> bool:
    """`\\item` must not match `\\itemsep`."""
    nxt = i + len(sep)
    return sep[-1].isalpha() and nxt < len(tex) and tex[nxt].isalpha()


def _skip_space(tex: str, i: int) -> int:
    while i < len(tex) and tex[i] in " \t":
        i += 1
    return i


ALIGN = {"l": "left", "c": "center", "r": "right"}
MAX_COLUMNS = 100   # *{n}{..} repeats at most this often: *{999999999}{l} must not fill the memory


def _columns(spec: str) -> list[str]:
    """Each column's alignment in a tabular spec: l, c, r, and p{..}, m{..}, b{..} (on the left);
    @{..}, !{..}, >{..}, <{..} and | are not columns; *{n}{..} repeats."""
    aligns, i = [], 0
    while i < len(spec):
        kind = spec[i]
        if kind in "@!<>":
            _, i = _group(spec, i + 1)
        elif kind in "pmb":
            aligns.append("left")
            _, i = _group(spec, i + 1)
        elif kind == "*":
            count, i = _group(spec, i + 1)
            inner, i = _group(spec, i)
            aligns += _columns(inner) * min(int(count) if count.strip().isdigit() else 1, MAX_COLUMNS)
        else:
            aligns += [ALIGN[kind]] if kind in ALIGN else []
            i += 1
    return aligns


def _skip_optional(tex: str, i: int) -> int:
    j = _skip_space(tex, i)
    if j < len(tex) and tex[j] == "[":
        close = tex.find("]", j)
        return close + 1 if close > 0 else i
    return i
