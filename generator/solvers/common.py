"""Small helpers shared by solvers: torch ↔ lists, exact numbers, LaTeX snippets for working."""
from __future__ import annotations

import re
from functools import lru_cache
from tokenize import TokenError
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
    from ..tex.latexfmt import num

    def paren(v: Any) -> str:
        text = num(v)
        return f"({text})" if text.startswith("-") else text

    return " + ".join(f"{paren(v)} \\cdot {paren(w)}" for v, w in zip(values, weights))


def out_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """floor((size + 2p - d(k-1) - 1)/s) + 1, as torch computes it."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


PRINTED_FUNCTIONS = ("log", "sqrt", "exp")
# What an answer expression in a bank file may call, beyond + - * / ^ and brackets.
EXPRESSION_FUNCTIONS = ("log", "sqrt", "exp", "floor", "ceiling", "Min", "Max", "Abs",
                        "sin", "cos", "tan", "tanh", "binomial")
MAX_TEXT = 400
_TOKEN = re.compile(r"\s+|\d+(?:\.\d+)?|[-+*/^(),]|[A-Za-z_][A-Za-z0-9_]*")


def check_printed(text: str, names: Iterable[str], functions: Iterable[str] = PRINTED_FUNCTIONS) -> None:
    """Refuse anything but numbers, + - * / ^, brackets, commas, the functions and the names given.

    Newlines are whitespace (a YAML block scalar may spread an expression over lines). A
    ValueError says what is wrong; sympy is not imported, so bank files check quickly."""
    allowed = set(functions) | set(names)
    if len(text) > MAX_TEXT:
        raise ValueError(f"longer than {MAX_TEXT} characters")
    pos = 0
    for match in _TOKEN.finditer(text):
        word = match.group()
        if match.start() != pos:
            break
        if (word[0].isalpha() or word[0] == "_") and (word not in allowed or word.startswith("_")):
            raise ValueError(f"{word!r} is not a parameter or a known function")
        pos = match.end()
    if pos != len(text) or not text.strip():
        raise ValueError(f"not an expression examgen reads: {text!r}")


def one_line(text: str) -> str:
    """The text with every run of whitespace, newlines included, as one space: Python's tokenizer
    would end the expression at its first newline (so "n\\n+ m" read as n)."""
    return " ".join(text.split())


_SORTING = ("Min", "Max")  # sympy sorts their arguments, so evaluates them, even with evaluate=False


@lru_cache(maxsize=None)
def _kept(name: str) -> Any:
    """Min or Max as a function kept as written (the caller evaluates it under limits by name):
    sympy's own sorts its arguments numerically as it is built, so Min(10^10^10^10, 1) would hang."""
    import sympy

    def latex(self: Any, printer: Any) -> str:
        return r"\%s\left(%s\right)" % (name.lower(), ", ".join(printer._print(a) for a in self.args))

    return type(name, (sympy.Function,), {"_latex": latex, "__module__": __name__})


def read_printed(text: str, symbols: Iterable[str] = (), functions: Iterable[str] = PRINTED_FUNCTIONS,
                 evaluate: bool = True) -> Any:
    """A paper's printed answer ('-log(0.3)', '3*R_ab + 3*R_ba') or an answer expression as sympy.

    Bank text is never evaluated as it stands: check_printed lets through only numbers, + - * / ^,
    brackets, commas, the functions given and the symbols named; anything else is refused.
    Decimals become exact fractions; an expression may span lines. With evaluate=False the tree
    is kept as written, function calls included (sympy would otherwise compute floor(exp(exp(9)))
    or binomial(10^300, 10^5) while parsing), for a caller that evaluates it under limits."""
    import sympy
    from sympy.parsing.sympy_parser import convert_xor, parse_expr, rationalize, standard_transformations

    symbols = tuple(symbols)
    try:
        check_printed(text, symbols, functions)
    except ValueError as err:
        raise ValueError(f"not a printed answer examgen reads: {text!r} ({err})") from None
    local = {name: sympy.Symbol(name) for name in symbols}
    local.update({name: getattr(sympy, name) if evaluate or name not in _SORTING else _kept(name)
                  for name in functions})
    transforms = standard_transformations + (convert_xor, rationalize)
    try:
        with sympy.evaluate(evaluate):
            return parse_expr(one_line(text), local_dict=local, transformations=transforms, evaluate=evaluate)
    except (SyntaxError, TypeError, ValueError, NameError, TokenError, RecursionError) as err:
        raise ValueError(f"not a printed answer examgen reads: {text!r} ({type(err).__name__})") from None
