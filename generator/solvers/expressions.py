"""Answers written in the bank as expressions of a template's parameters, no Python needed:

    answers: {total: "out_channels * (in_channels * kh * kw + 1)"}

Each is read by `read_printed`'s whitelist (numbers, parameter names, + - * / ^, brackets and a
few functions; never eval), evaluated exactly with sympy node by node under size limits, and its
working is offered to the solution as `<name>_formula` (the expression) and `<name>_working`
(the same with the values put in). A later answer may use an earlier one."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from . import Reject
from .common import EXPRESSION_FUNCTIONS, check_printed, read_printed
from ..models import Params, Solved

MAX_EXPONENT = 1000       # a power's exponent, in absolute value
MAX_BITS = 20_000         # the size of any exact intermediate number


class ExpressionError(ValueError):
    """An answer expression that cannot be evaluated for these values (the message says why)."""


def check_answer_exprs(exprs: dict[str, str], params: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems with a template's `answers` as (field, what), without importing sympy."""
    problems, known = [], list(params)
    for name, text in exprs.items():
        if name in params:
            problems.append((f"answers.{name}", "has the name of a parameter"))
        try:
            check_printed(str(text), known, EXPRESSION_FUNCTIONS)
        except ValueError as err:
            problems.append((f"answers.{name}", str(err)))
        known.append(name)
    return problems


def evaluate_answers(exprs: dict[str, str], params: Params) -> Solved:
    """Every answer's exact value, its formula and its working, in the order written."""
    import sympy

    values: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    work: dict[str, str] = {}
    for name, text in exprs.items():
        expr = read_printed(text, list(params) + list(answers), EXPRESSION_FUNCTIONS, evaluate=False)
        used = {s.name for s in expr.free_symbols}
        for n in used - set(values):
            values[n] = _number(n, params[n])
        value = _evaluate(expr, values)
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise Reject(f"answers.{name}: {text!r} is undefined for these values")  # draw again
        answers[name] = int(value) if value.is_Integer else value
        values[name] = value
        work[f"{name}_formula"] = _latex(expr)
        with sympy.evaluate(False):
            work[f"{name}_working"] = _latex(expr.xreplace({sympy.Symbol(n): values[n] for n in used}))
    return Solved(answers, work)


def _number(name: str, value: Any) -> Any:
    """A parameter as an exact sympy number; decimals stay exact (0.3 is 3/10)."""
    import sympy

    if isinstance(value, bool) or isinstance(value, int):
        return sympy.Integer(int(value))
    if isinstance(value, float):
        return sympy.Rational(str(value))
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if type(value).__module__.startswith("sympy") and getattr(value, "is_number", False):
        return value
    raise ExpressionError(f"parameter {name} is {type(value).__name__} {value!r:.30}, not a number")


def _evaluate(expr: Any, values: dict[str, Any]) -> Any:
    """Evaluate bottom-up, refusing powers and numbers too big to be an exam answer."""
    import sympy

    if expr.is_Symbol:
        return values[expr.name]
    if not expr.args:
        return expr
    args = [_evaluate(a, values) for a in expr.args]
    if isinstance(expr, sympy.Pow) and args[1].is_number and abs(args[1]) > MAX_EXPONENT:
        raise ExpressionError(f"an exponent of {args[1]} is more than {MAX_EXPONENT}")
    value = expr.func(*args)
    if value.is_Rational and max(abs(value.p), value.q).bit_length() > MAX_BITS:
        raise ExpressionError(f"a number of more than {MAX_BITS} bits")
    return value


def _latex(expr: Any) -> str:
    import sympy

    names = {s: r"\mathit{%s}" % s.name.replace("_", r"\_") for s in expr.free_symbols}
    return sympy.latex(expr, symbol_names=names, mul_symbol="dot", ln_notation=True, order="none")
