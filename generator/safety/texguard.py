"""What bank text may ask of TeX: a whitelist of control sequences and environments.

Every piece of bank text is checked here after it is rendered, so the LaTeX examgen publishes (the
PDFs' `.tex` sources, the auto-multiple-choice export, the answer key) is safe to compile anywhere,
with any TeX settings: TeX Live's default `openin_any=a`, a normal HOME, AMC's own run. The build's
paranoid pdflatex and its read check stay as a second wall, but they do not travel with the files.

Refused: any control sequence not in ALLOWED (so `\\input`, `\\openin`, `\\openout`, `\\write`,
`\\catcode`, `\\csname`, `\\def`, `\\makeatletter`, `\\stop`, `\\@@end`, `\\special`, `\\includegraphics`,
...), `^^` (TeX's way of writing any character, a backslash included), a `%` with text after it
on its line (a comment that silently drops that text; one that ends a line only joins lines),
environments not in ENVIRONMENTS (`filecontents` writes files),
listing options that let LaTeX back into a listing, and the pgfplots/TikZ keywords that read files.
The bodies of listings are verbatim: only their options are read.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..errors import RenderError

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
         "varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi "
         "Pi Sigma Upsilon Phi Psi Omega")
MATH = ("frac dfrac tfrac sqrt sum prod int oint lim limits nolimits log ln exp max min sup inf arg det dim "
        "sin cos tan tanh sinh cosh sigmoid operatorname mathop bmod pmod binom top intercal odot otimes oplus "
        "circ cdot times div pm mp le leq ge geq ne neq approx equiv sim simeq cong propto in notin ni subset "
        "subseteq supset supseteq cup cap setminus emptyset varnothing forall exists neg land lor infty partial "
        "nabla to rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow mapsto uparrow "
        "downarrow longrightarrow longleftarrow gets iff implies ll gg prime dagger star ast bullet ell hbar "
        "ldots cdots vdots ddots dots dotsc dotsb lvert rvert lVert rVert vert Vert langle rangle lfloor rfloor "
        "lceil rceil mid parallel perp angle triangle square Box checkmark left right middle big Big bigg Bigg "
        "bigl bigr Bigl Bigr biggl biggr Biggl Biggr hat widehat tilde widetilde bar overline underline vec dot "
        "ddot mathring overbrace underbrace stackrel overset underset substack text mathbf mathrm mathit "
        "mathsf mathtt mathcal mathbb mathfrak boldsymbol bm displaystyle textstyle scriptstyle phantom "
        "hphantom vphantom mathstrut smash not colon dagger S P")
TEXT = ("textbf textit texttt textrm textsf textsc emph underline textsuperscript textsubscript ensuremath "
        "textendash textemdash textasciitilde textasciicircum textbackslash textbar textless textgreater "
        "textbullet textdegree ldots dots slash quad qquad enspace thinspace negthinspace hspace vspace hfill "
        "vfill newline linebreak nolinebreak pagebreak nopagebreak par noindent indent smallskip medskip "
        "bigskip centering raggedright raggedleft footnotesize small scriptsize tiny normalsize large Large "
        "LARGE huge bfseries itshape ttfamily rmfamily sffamily mdseries upshape normalfont item hline cline "
        "multicolumn tabularnewline linewidth textwidth columnwidth em ex today LaTeX TeX i j l o L O ss "
        "ae AE oe OE aa AA")
DRAWING = ("draw node path fill filldraw shade shadedraw coordinate clip foreach addplot addlegendentry legend "
           "pgfmathresult")
ALLOWED = frozenset(f"{GREEK} {MATH} {TEXT} {DRAWING} begin end".split())
SYMBOLS = frozenset("\\,;:!> {}%&_#$|[]()'\"^`~=.-/@\n")       # \\ \, \{ \% \' ... (control symbols)
ENVIRONMENTS = frozenset(("align align* aligned alignat alignat* array bmatrix Bmatrix cases center "
                          "description enumerate equation equation* flushleft flushright gather gather* "
                          "gathered itemize lstlisting matrix minipage multline multline* pmatrix quote "
                          "smallmatrix split tabular tabular* tikzpicture axis semilogyaxis semilogxaxis "
                          "loglogaxis scope vmatrix Vmatrix").split())
LISTING_KEYS = frozenset(("language", "numbers", "firstnumber", "gobble", "frame", "xleftmargin"))
MAX_LINE = 10_000        # characters in one line of bank text (TeX's own buffer stops at 200,000, and
                         # its error then names whatever file it read last, not the question)
LOOP_DENIED = frozenset("if fi or cr ht wd dp def let end the par box day mag hss vss fam".split())

_TOKEN = re.compile(r"\\begin\s*\{([^}]*)\}|\\([A-Za-z@]+|.)|\^\^|%(?![ \t]*(?:\n|$))", re.S)
_LISTING = re.compile(r"\\begin\s*\{(lstlisting|verbatim)\}(\[[^\]]*\])?(.*?)\\end\s*\{\1\}", re.S)
_LOOP_VARS = re.compile(r"\\foreach\s*((?:\\[A-Za-z]+\s*/?\s*)+)\s*in\b")
_READS = re.compile(r"\b(table|file|gnuplot|shell|graphics)\s*(\[[^\]]*\])?\s*\{")
_PICTURE = re.compile(r"\\begin\s*\{(tikzpicture|axis|semilogyaxis|semilogxaxis|loglogaxis)\}(.*?)\\end\s*\{\1\}", re.S)


def check_bank_tex(text: str, where: str) -> str:
    """Return `text` when it asks TeX only for what ALLOWED lets through; else one RenderError."""
    problem = tex_problem(text)
    if problem:
        raise RenderError(f"{where}: {problem}")
    return text


@lru_cache(maxsize=8192)
def tex_problem(text: str) -> str | None:
    """What in `text` examgen refuses to hand to TeX, in words, or None."""
    longest = max(map(len, text.splitlines()), default=0)
    if longest > MAX_LINE:
        return f"a line of {longest} characters (at most {MAX_LINE}; break it into lines)"
    outside, listings = _split_listings(text)
    problem = next(filter(None, map(_listing_problem, listings)), None) or _picture_problem(outside)
    if problem:
        return problem
    loops = _loop_variables(outside)
    for match in _TOKEN.finditer(outside):
        problem = _token_problem(match, loops)
        if problem:
            return problem
    return None


def without_listings(text: str) -> str:
    """The text with each listing's body left out (it is verbatim: TeX reads nothing in it)."""
    return _split_listings(text)[0]


def _split_listings(text: str) -> tuple[str, list[str]]:
    """The text with listing bodies removed (they are verbatim), and each listing's options."""
    options = [m.group(2) or "" for m in _LISTING.finditer(text)]
    return _LISTING.sub(lambda m: f"\\begin{{{m.group(1)}}}\\end{{{m.group(1)}}}", text), options


def _listing_problem(options: str) -> str | None:
    for item in filter(None, (o.strip() for o in options.strip("[]").split(","))):
        key = item.split("=", 1)[0].strip()
        if key not in LISTING_KEYS:
            return f"listing option {key!r} is not allowed (allowed: {', '.join(sorted(LISTING_KEYS))})"
    return None


def _picture_problem(text: str) -> str | None:
    for picture in _PICTURE.finditer(text):
        found = _READS.search(picture.group(2))
        if found:
            return f"'{found.group(1)} {{...}}' in a {picture.group(1)} would read a file; write the values inline"
    return None


def _loop_variables(text: str) -> frozenset[str]:
    """TikZ loop variables (`\\foreach \\n/\\yy in`): short names that shadow nothing TeX needs."""
    names = {n for m in _LOOP_VARS.finditer(text) for n in re.findall(r"\\([A-Za-z]+)", m.group(1))}
    return frozenset(n for n in names if len(n) <= 3 and n not in LOOP_DENIED)


def _token_problem(match: re.Match, loops: frozenset[str]) -> str | None:
    token = match.group(0)
    if token == "^^":
        return "'^^' (TeX's character code notation) is not allowed; write the character itself"
    if token == "%":
        return "a bare % starts a LaTeX comment and drops the rest of its line; write \\% for a percent sign"
    if match.group(1) is not None:
        env = match.group(1).strip()
        return None if env in ENVIRONMENTS else f"environment {{{env}}} is not allowed in bank text"
    name = match.group(2)
    if len(name) == 1 and not name.isalpha():
        return None if name in SYMBOLS else f"\\{name} is not allowed in bank text"
    if name in ALLOWED or name in loops:
        return None
    return f"\\{name} is not allowed in bank text (examgen lets bank LaTeX typeset, never read, write or redefine)"
