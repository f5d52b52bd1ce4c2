"""Small helpers shared by solvers: torch ↔ lists, exact numbers, LaTeX snippets for working."""
from __future__ import annotations

import re
from typing import Any, Iterable, Sequence


def as_list(t: Any, places: int | None = None) -> Any:
    """A tensor as nested Python lists; whole numbers become ints, others rounded if asked."""
    data = t.tolist() if hasattr(t, "tolist") else t
    return _clean(data, places)


def _clean(x: Any, places: int | None) -> Any:
    if isinstance(x, list):
        return [_clean(v, places) for v in x]
    if isinstance(x, float) and abs(x - round(x)) < 1e-9:
        return int(round(x))
    if isinstance(x, float) and places is not None:
        return round(x, places)
    return x


def products(values: Sequence[Any], weights: Sequence[Any]) -> str:
    """'2 \\cdot 1 + 3 \\cdot (-1)': the terms of a dot product as a student writes them."""
    from ..latexfmt import num

    def paren(v: Any) -> str:
        text = num(v)
        return f"({text})" if text.startswith("-") else text

    return " + ".join(f"{paren(v)} \\cdot {paren(w)}" for v, w in zip(values, weights))


def out_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """floor((size + 2p - d(k-1) - 1)/s) + 1, as torch computes it."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


PRINTED_FUNCTIONS = ("log", "sqrt", "exp")
_TOKEN = re.compile(r"\s+|\d+(?:\.\d+)?|[-+*/^()]|[A-Za-z_][A-Za-z0-9_]*")


def read_printed(text: str, symbols: Iterable[str] = ()) -> Any:
    """A paper's printed answer ('-log(0.3)', '3*R_ab + 3*R_ba') as a sympy value.

    Bank text is never evaluated as it stands: it must consist only of numbers, + - * / ^,
    brackets, the functions log, sqrt, exp and the symbols named; anything else is refused."""
    import sympy

    allowed = set(PRINTED_FUNCTIONS) | set(symbols)
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() != pos or (match.group()[0].isalpha() or match.group()[0] == "_") and match.group() not in allowed:
            break
        pos = match.end()
    if pos != len(text) or "__" in text:
        raise ValueError(f"not a printed answer examgen reads: {text!r}")
    local = {name: sympy.Symbol(name) for name in symbols}
    local.update(log=sympy.log, sqrt=sympy.sqrt, exp=sympy.exp)
    return sympy.sympify(text.replace("^", "**"), locals=local, rational=True)
