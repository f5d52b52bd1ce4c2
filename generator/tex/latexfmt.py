"""Jinja filters for the recurring LaTeX pieces: numbers (exact and decimal), matrices, shapes, text."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

from pylatex.utils import escape_latex


def _is_sympy(x: Any) -> bool:
    return type(x).__module__.startswith("sympy")


def _is_tensor(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def dec(x: Any, places: int = 4) -> str:
    """A decimal with at most `places` places, trailing zeros dropped (0.5, 12, -3.25)."""
    value = float(x)
    if math.isinf(value):
        return r"-\infty" if value < 0 else r"\infty"
    if abs(value - round(value)) < 10 ** -(places + 2) and abs(value) < 1e15:
        return str(int(round(value)))
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fixed(x: Any, places: int = 2) -> str:
    """A decimal at exactly `places` places, trailing zeros kept (1.00, 7.75, 0.7860): what a question
    that asks for a precision prints."""
    value = float(x.item() if _is_tensor(x) else x)
    if math.isinf(value) or math.isnan(value):
        return dec(value, places)
    text = f"{value:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _frac(p: int, q: int) -> str:
    sign = "-" if p * q < 0 else ""
    return f"{sign}\\frac{{{abs(p)}}}{{{abs(q)}}}"


def exact(x: Any) -> str:
    """The exact form: integers, fractions, and sympy expressions as LaTeX."""
    if _is_sympy(x):
        import sympy

        if x.is_Integer:
            return str(int(x))
        if x.is_Rational:
            return _frac(int(x.p), int(x.q))
        return sympy.latex(x, ln_notation=True)
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else _frac(x.numerator, x.denominator)
    return num(x)


def num(x: Any, places: int = 4) -> str:
    """A number as an examiner writes it: exact where exact, with a decimal where that helps."""
    if isinstance(x, bool) or isinstance(x, str):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if _is_tensor(x):
        x = x.item()
    if _is_sympy(x):
        if x.is_Integer or not x.is_number:
            return exact(x)
        decimal = dec(float(x), places)
        if x.is_Rational and Fraction(decimal) == Fraction(int(x.p), int(x.q)):
            return decimal  # a terminating decimal says it exactly
        return f"{exact(x)} \\approx {decimal}"
    if isinstance(x, Fraction):
        return exact(x) if x.denominator != 1 else str(x.numerator)
    return dec(x, places)


def factor(x: Any, places: int = 4) -> str:
    """A number as a factor or a term after an operator: negatives in brackets, (-0.162)."""
    text = num(x, places)
    return f"({text})" if text.startswith("-") else text


def mul(factors: Sequence[Any], places: int = 4) -> str:
    """A product written out, negative factors in brackets: 0.5 \\cdot (-0.162)."""
    return r" \cdot ".join(factor(x, places) for x in factors)


def matrix(m: Sequence[Sequence[Any]] | Any, places: int | None = None, env: str = "bmatrix") -> str:
    """A matrix (or a vector, as a column) in a LaTeX matrix environment; with `places`, every number
    at exactly that precision (a column of 0.7860 and 1.0000), without, as `num` prints it."""
    if _is_tensor(m):
        m = m.tolist()
    rows = [list(r) if isinstance(r, (list, tuple)) or _is_tensor(r) else [r] for r in m]
    body = r" \\ ".join(" & ".join(_cell(c, places) for c in row) for row in rows)
    return f"\\begin{{{env}}} {body} \\end{{{env}}}"


def _cell(c: Any, places: int | None) -> str:
    """Symbols exactly; at a fixed precision when one is asked; else fractions exactly (a matrix has
    no room for '≈') and other numbers as `num` does."""
    if _is_sympy(c) and not c.is_number:
        return exact(c)
    if places is not None and not isinstance(c, (bool, str)):
        return fixed(c, places)
    return exact(c) if _is_sympy(c) and c.is_Rational else num(c)


def vec(v: Sequence[Any], places: int | None = None) -> str:
    """A row vector in round brackets: (1, -2, 0.5); with `places`, each at exactly that precision.
    Braced, so TeX sets it as one atom that a line never breaks inside."""
    return "{(" + ", ".join(num(x) if places is None else fixed(x, places) for x in v) + ")}"


def shape(t: Sequence[int]) -> str:
    """A tensor shape as torch prints it: [3, 1, 224, 224]."""
    return "[" + ", ".join(str(int(d)) for d in t) + "]"


def times(t: Sequence[Any]) -> str:
    """Sizes joined by a multiplication sign: 5 \\times 9."""
    return r" \times ".join(str(d) for d in t)


def tex(text: Any) -> str:
    """Plain text made safe for LaTeX (underscores, percent signs, braces...)."""
    return escape_latex(str(text))


def person(student: Any, bold: bool = False) -> str:
    """A student's name: as text where pdflatex sets it, else the PDF of it XeLaTeX set
    (tex/names.py: examgen-names-<name_page>.pdf, page 1 bold, page 2 regular)."""
    if getattr(student, "name_page", 0):
        return f"\\examgenname{{{int(student.name_page)}}}{{{1 if bold else 2}}}"
    return tex(student.name)


def marks(x: float) -> str:
    """3 or 3.5, never 3.0."""
    return dec(x, 2)


def letter(i: int) -> str:
    return chr(ord("a") + int(i))


def roman(i: int) -> str:
    numerals = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"]
    return numerals[int(i)]


def torch_layer(layer: dict) -> str:
    """A layer record as the PyTorch line a paper prints."""
    from ..inputs.layers import code

    return code(layer)


FILTERS = {"torch_layer": torch_layer, "num": num, "dec": dec, "fixed": fixed, "factor": factor, "mul": mul, "exact": exact, "matrix": matrix, "vec": vec, "shape": shape,
           "times": times, "tex": tex, "person": person, "marks": marks, "letter": letter, "roman": roman}
