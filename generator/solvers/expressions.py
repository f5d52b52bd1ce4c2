"""Answers written in the bank as expressions of a template's parameters, no Python needed:

    answers: {total: "out_channels * (in_channels * kh * kw + 1)"}

Each is read by `read_printed`'s whitelist (numbers, parameter names, + - * / ^, brackets and a
few functions; never eval), evaluated exactly with sympy node by node under size limits, and its
working is offered to the solution as `<name>_formula` (the expression) and `<name>_working`
(the same with the values put in). A later answer may use an earlier one.

Bank files are untrusted, so no expression of 400 characters (MAX_TEXT) may run long or build a huge
number: every node is checked from its already evaluated (so already bounded) arguments before
sympy builds it. What is checked: the bits of the exact numbers in a value (its height), its size
(log2 |x|, from a numeric evaluation at capped precision), a power's exponent and the roots sympy
would factor (merged roots in a product too), exp's argument (and the powers sympy makes of
exp(c*log(y))), binomial's size. Values stay real: sympy's assumptions on complex expressions can
branch without end. floor and ceiling of irrational numbers are found here, numerically at capped
precision (sympy's own may try to prove a near-whole number exact without end); a value within
the error of a whole number is taken as it, and one that cancels to nothing as 0 (log(8)/log(2)
is 3, 3 - log(8)/log(2) is 0)."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable

from . import Reject
from .common import EXPRESSION_FUNCTIONS, check_printed, read_printed
from ..models import Params, Solved

MAX_EXPONENT = 1000       # a power's exponent, in absolute value
MAX_BITS = 1_024          # the exact numbers in one value, together, in bits (308 digits): sympy may ask
                          # whether any whole number it makes is prime, and a 1024-bit test takes 30 ms
MAX_ROOT_BITS = 1_024     # the exact numbers under a root (merged roots included): sympy factors them
MAX_EXP_ARG = 1024        # |x| in exp(x) and tanh(x)
MAX_SIZE = 1_500          # |log2 |x|| of any value but 0: exp(1024) is 2^1477
MAX_PREC = 2_048          # bits of working precision of any numeric evaluation (sizes, floor, ceiling)
_SIZE_PRECS = (64, 512, MAX_PREC)  # a size is measured at the first precision that gives 16 good bits
_GOOD_BITS = 16


class ExpressionError(ValueError):
    """An answer expression that cannot be evaluated for these values (the message says why)."""


class _Undefined(Exception):
    """A value that is undefined (zoo, nan, a division by what cannot be told from 0): draw again."""


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


# What sympy may raise on odd values; bank text must end in one line, never a traceback.
_SYMPY_FAILURES = (ArithmeticError, LookupError, TypeError, ValueError, NotImplementedError,
                   RecursionError, AttributeError)


def evaluate_answers(exprs: dict[str, str], params: Params) -> Solved:
    """Every answer's exact value, its formula and its working, in the order written."""
    values: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    work: dict[str, str] = {}
    for name, text in exprs.items():
        expr = read_printed(text, list(params) + list(answers), EXPRESSION_FUNCTIONS, evaluate=False)
        used = {s.name for s in expr.free_symbols}
        for n in used - set(values):
            values[n] = _number(n, params[n])
        value = _evaluate_answer(name, text, expr, values)
        answers[name] = int(value) if value.is_Integer else value
        values[name] = value
        work.update(_working(name, expr, {n: values[n] for n in used}))
    return Solved(answers, work)


def _working(name: str, expr: Any, used: dict[str, Any]) -> dict[str, str]:
    """`<name>_formula` and `<name>_working` as LaTeX (printed once the value is known to be bounded)."""
    import sympy

    try:
        formula = _latex(expr)
        with sympy.evaluate(False):
            working = _latex(expr.xreplace({sympy.Symbol(n): v for n, v in used.items()}))
    except _SYMPY_FAILURES as err:
        raise ExpressionError(f"{name}: its working cannot be printed ({type(err).__name__})") from None
    return {f"{name}_formula": formula, f"{name}_working": working}


def _evaluate_answer(name: str, text: str, expr: Any, values: dict[str, Any]) -> Any:
    """One answer's value; a limit or an odd value is an ExpressionError naming the answer."""
    try:
        value = _evaluate(expr, values)
    except _Undefined:
        raise Reject(f"answers.{name}: {text!r} is undefined for these values") from None  # draw again
    except ExpressionError as err:
        raise ExpressionError(f"{name}: {err}") from None
    except _SYMPY_FAILURES as err:
        raise ExpressionError(f"{name}: {text!r:.80} cannot be evaluated for these values "
                              f"({type(err).__name__})") from None
    return value


def _number(name: str, value: Any) -> Any:
    """A parameter as an exact sympy number; decimals stay exact (0.3 is 3/10)."""
    import sympy

    if isinstance(value, bool) or isinstance(value, int):
        number = sympy.Integer(int(value))
    elif isinstance(value, float) and not math.isfinite(value):
        raise ExpressionError(f"parameter {name} is {value}, not a number")
    elif isinstance(value, float):
        number = sympy.Rational(str(value))
    elif isinstance(value, Fraction):
        number = sympy.Rational(value.numerator, value.denominator)
    elif type(value).__module__.startswith("sympy") and getattr(value, "is_number", False):
        number = value
    else:
        raise ExpressionError(f"parameter {name} is {type(value).__name__} {value!r:.30}, not a number")
    if _height(number) > MAX_BITS:
        raise ExpressionError(f"parameter {name} is a number of more than {MAX_BITS} bits")
    return number


def _evaluate(expr: Any, values: dict[str, Any]) -> Any:
    """Evaluate bottom-up; each node is checked from its evaluated arguments before it is built."""
    return _Evaluation(values).run(expr)


def bounded_arithmetic(op: str, left: Any, right: Any) -> Any:
    """left op right (+ - * / // % **) on numbers as sympy computes it, checked as in an answer
    expression first (the sandbox sends arithmetic on sympy values here). ExpressionError if not."""
    import sympy

    run = _Evaluation({})
    try:
        a, b = (run.bounded(_number("an operand", sympy.sympify(v, strict=True))) for v in (left, right))
        if op == "-":
            b = run.apply(sympy.Mul, [sympy.Integer(-1), b])
        second = run.apply(sympy.Pow, [b, sympy.Integer(-1)]) if op in ("/", "//", "%") else b
        value = run.apply(sympy.Pow if op == "**" else sympy.Add if op in ("+", "-") else sympy.Mul, [a, second])
        if op in ("//", "%"):
            value = run.whole("floor", value)
        if op == "%":  # a - (a // b) * b
            value = run.apply(sympy.Add, [a, run.apply(sympy.Mul, [sympy.Integer(-1), value, b])])
        return value
    except _Undefined:
        raise ExpressionError(f"{left!r:.30} {op} {right!r:.30} is undefined") from None
    except ExpressionError:
        raise
    except _SYMPY_FAILURES as err:
        raise ExpressionError(f"{left!r:.30} {op} {right!r:.30}: {type(err).__name__}") from None


def _height(value: Any) -> int:
    """The bits of all exact numbers in a value's tree, together: a bound on any number sympy may
    make by multiplying them out (and on the time to print or factor them)."""
    total, stack = 0, [value]
    while stack:
        node = stack.pop()
        if node.is_Rational:
            total += abs(int(node.p)).bit_length() + (int(node.q).bit_length() if node.q != 1 else 0)
        elif node.is_Float:
            total += node._prec
        else:
            stack.extend(node.args)
    return total


def _roots(value: Any) -> list[tuple[Any, Any]]:
    """(base, exponent) of every non-whole rational power in a value: sympy factors such bases, and
    merges powers of one base in a product (2^(1/3) * 2^(1/5) is 2^(8/15))."""
    found, stack = [], [value]
    while stack:
        node = stack.pop()
        if node.is_Pow and node.exp.is_Rational and not node.exp.is_Integer:
            found.append((node.base, node.exp))
        stack.extend(node.args)
    return found


class _Evaluation:
    """One answer's evaluation: the values of the names, and the sizes measured so far.

    Every value is kept real (sympy's assumptions on complex expressions can branch without end),
    of at most MAX_BITS bits of exact numbers and of size 2^-MAX_SIZE..2^MAX_SIZE, or exactly 0."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.sizes: dict[Any, tuple[float, bool]] = {}

    def run(self, expr: Any) -> Any:
        if expr.is_Symbol:
            return self.bounded(self.values[expr.name])
        if not expr.args:
            return self.bounded(expr)
        return self.apply(expr.func, [self.run(a) for a in expr.args])

    def apply(self, func: Any, args: list[Any]) -> Any:
        """func(*args) once the checks for func allow it, then bounded."""
        import sympy

        name = getattr(func, "__name__", "")
        if name in ("floor", "ceiling"):
            return self.bounded(self.whole(name, args[0]))
        check = _CHECKS.get(name)
        if check is None:
            raise ExpressionError(f"{name} is not evaluated in answer expressions")
        check(self, args)
        return self.bounded(getattr(sympy, name)(*args))  # by name: Min and Max are read as placeholders

    def bounded(self, value: Any) -> Any:
        """A built value, refused when undefined, not real, or too big; 0 when it cancels to
        within 2^-MAX_PREC of 0 (an exact 0 sympy cannot see, such as log(8) - 3*log(2))."""
        import sympy

        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise _Undefined
        if _height(value) > MAX_BITS:
            raise ExpressionError(f"a number of more than {MAX_BITS} bits")
        if value.is_Rational:
            return value
        size = self.log2_abs(value)
        if size == -math.inf:
            return sympy.Integer(0)
        if abs(size) > MAX_SIZE:
            raise ExpressionError(f"a number of about 2^{size:.0f} (at most 2^{MAX_SIZE} either way)")
        return value

    # -- sizes, from a numeric evaluation

    def measure(self, value: Any) -> tuple[float, bool]:
        """(log2 |value|, value < 0) from a numeric evaluation at rising precision: log2 is -inf
        for 0, or for a value that cannot be told from 0 at MAX_PREC bits. A value with an
        imaginary part is refused."""
        if value.is_Rational:
            return _log2_rational(value), bool(value < 0)
        if value not in self.sizes:
            found = (-math.inf, False)
            for prec in _SIZE_PRECS:
                (re, im), acc = _approx(value, prec)
                if acc >= _GOOD_BITS:
                    if im:
                        raise ExpressionError(f"{_show(value)} is not a real number (answer expressions "
                                              "are evaluated in the real numbers)")
                    found = (_log2_mpf(re), bool(re) and re[0] == 1)
                    break
            self.sizes[value] = found
        return self.sizes[value]

    def log2_abs(self, value: Any) -> float:
        return self.measure(value)[0]

    def negative(self, value: Any) -> bool:
        return self.measure(value)[1]

    def abs_size(self, value: Any) -> float:
        """|value| as a float (inf when beyond floats); exact for rationals."""
        if value.is_Rational:
            return float(abs(value)) if abs(value) < 2 ** 1000 else math.inf
        size = self.log2_abs(value)
        return 2.0 ** size if size < 1000 else math.inf

    # -- the checks, one per function

    def check_pow(self, args: list[Any]) -> None:
        import sympy

        base, exp = args
        size = self.abs_size(exp)
        if size > MAX_EXPONENT:
            raise ExpressionError(f"an exponent of {_show(exp)} is more than {MAX_EXPONENT}")
        if not exp.is_Integer and self.negative(base):
            raise ExpressionError(f"{_show(base)} ^ {_show(exp)}: a negative number to a power "
                                  "that is not whole is not a real number")
        height = _height(base)
        if exp.is_Rational and not exp.is_Integer:
            _check_root(height, int(exp.q))
        if size * (_rational_bits(base) if base.is_Rational else height) > MAX_BITS:
            raise ExpressionError(f"a power of more than {MAX_BITS} bits ({_show(base)} ^ {_show(exp)})")
        if base is sympy.E or isinstance(base, sympy.exp):  # sympy makes exp(a)^c exp(a*c)
            self.check_exp([sympy.Mul(base.args[0] if base.args else 1, exp)])
        if not base.is_Rational and size * abs(self.log2_abs(base)) > MAX_SIZE:
            raise ExpressionError(f"a power of about 2^{size * self.log2_abs(base):.0f} "
                                  f"(at most 2^{MAX_SIZE} either way)")

    def check_sum(self, args: list[Any]) -> None:
        if sum(map(_height, args)) > MAX_BITS:
            raise ExpressionError(f"a number of more than {MAX_BITS} bits")

    def check_mul(self, args: list[Any]) -> None:
        self.check_sum(args)
        roots = [root for a in args for root in _roots(a)]
        if len(roots) > 1:
            _check_root(sum(_height(b) for b, _ in roots), math.lcm(*(int(e.q) for _, e in roots)))

    def check_exp(self, args: list[Any]) -> None:
        """|x| at most MAX_EXP_ARG; and sympy turns exp(c*log(y) + ...) into y^c * ...: check those."""
        import sympy

        if self.abs_size(args[0]) > MAX_EXP_ARG:
            raise ExpressionError(f"exp or tanh of {_show(args[0])}: at most {MAX_EXP_ARG} in size")
        powers = _log_powers(args[0])
        for base, exp in powers:
            self.check_pow([base, exp])
        if len(powers) > 1:
            self.check_mul([sympy.Pow(b, e, evaluate=False) for b, e in powers])

    def check_log(self, args: list[Any]) -> None:
        self.check_sum(args)
        if any(self.negative(a) for a in args):
            raise ExpressionError(f"log of {', '.join(map(_show, args))}: the log of a negative "
                                  "number is not a real number")

    def check_binomial(self, args: list[Any]) -> None:
        n, k = args
        if not (n.is_Integer and k.is_Integer):
            raise ExpressionError(f"binomial({_show(n)}, {_show(k)}) takes whole numbers")
        n, k = int(n), int(k)
        if k < 0 or 0 <= n < k:
            return
        bits = min(k, n - k) * n.bit_length() if n >= 0 else k * (abs(n) + k).bit_length()
        if bits > MAX_BITS:
            raise ExpressionError(f"binomial({_show(args[0])}, {_show(args[1])}) has more than {MAX_BITS} bits")

    # -- floor and ceiling

    def whole(self, name: str, x: Any) -> Any:
        """floor(x) or ceiling(x): exact for rationals; otherwise from x evaluated 64 bits past its
        size, then at MAX_PREC bits if that is too close to call; a value still within the error of
        a whole number is taken as that number (a disguised whole number such as log(8)/log(2))."""
        import sympy

        if x.is_Rational:
            return getattr(sympy, name)(x)
        up = name == "ceiling"
        found = _whole(x, int(max(self.log2_abs(x), 0)) + 64, up)
        return sympy.Integer(found if found is not None else _whole(x, MAX_PREC, up, settle=True))


_CHECKS: dict[str, Callable[[_Evaluation, list[Any]], None]] = {
    "Pow": _Evaluation.check_pow, "Mul": _Evaluation.check_mul, "Add": _Evaluation.check_sum,
    "Min": _Evaluation.check_sum, "Max": _Evaluation.check_sum, "Abs": _Evaluation.check_sum,
    "log": _Evaluation.check_log, "exp": _Evaluation.check_exp, "tanh": _Evaluation.check_exp,
    "sin": _Evaluation.check_sum, "cos": _Evaluation.check_sum, "tan": _Evaluation.check_sum,
    "binomial": _Evaluation.check_binomial,
}


def _check_root(height: int, degree: int) -> None:
    """A root of this degree of numbers of this height: sympy factors them (time growing like
    bits cubed) and builds a power of about degree * height bits."""
    if height > MAX_ROOT_BITS:
        raise ExpressionError(f"a root of a number of more than {MAX_ROOT_BITS} bits")
    if degree * height > MAX_BITS:
        shown = degree if degree < 10**9 else f"of {degree.bit_length()} bits"
        raise ExpressionError(f"a root of degree {shown} of a number of {height} bits "
                              f"(more than {MAX_BITS} bits together)")


def _log_powers(x: Any) -> list[tuple[Any, Any]]:
    """(y, c) for each term c*log(y) of x: sympy makes exp(x) a product of the powers y^c. A log
    deeper in a term (exp(c*(log(a) + log(b)))) is refused: sympy's logcombine would make powers
    of its own there, unchecked."""
    import sympy

    found = []
    for term in sympy.Add.make_args(x):
        factors = sympy.Mul.make_args(term)
        logs = [f for f in factors if isinstance(f, sympy.log)]
        if any(f.has(sympy.log) for f in factors if f not in logs):
            raise ExpressionError(f"exp of {_show(x)}: a log inside a product or a power there "
                                  "is not evaluated (write the sum out)")
        for one in logs:
            found.append((one.args[0], sympy.Mul(*(f for f in factors if f is not one))))
    return found


def _approx(value: Any, prec: int) -> tuple[tuple[Any, Any], float]:
    """(re, im) as mpf tuples (None for 0) at `prec` bits, and their relative accuracy in bits."""
    import sympy
    from sympy.core.evalf import complex_accuracy, evalf

    try:
        result = evalf(value, prec, {"maxprec": prec})
    except _SYMPY_FAILURES as err:
        raise ExpressionError(f"{_show(value)} cannot be evaluated numerically ({type(err).__name__})") from None
    if result is sympy.S.ComplexInfinity:
        raise _Undefined
    return (result[0], result[1]), complex_accuracy(result)


def _whole(x: Any, prec: int, up: bool, settle: bool = False) -> int | None:
    """floor (or ceiling) of a real x from x at `prec` bits: None when x is too close to a whole
    number to call, or (settle) that whole number."""
    from mpmath import libmp

    (re, _), acc = _approx(x, prec)
    if not re:
        return 0
    nearest = libmp.to_int(libmp.mpf_nint(re))
    gap = libmp.mpf_sub(re, libmp.from_int(nearest), prec + 64)
    if not gap[1] or _log2_mpf(gap) <= _log2_mpf(re) - min(acc, prec) + 2:
        return nearest if settle else None
    above = gap[0] == 0
    return nearest + 1 if up and above else nearest - 1 if not up and not above else nearest


def _log2_mpf(part: Any) -> float:
    """log2 |x| of an mpf tuple (sign, man, exp, bc); -inf for None or 0."""
    if not part or not part[1]:
        return -math.inf
    return part[2] + math.log2(part[1])


def _rational_bits(value: Any) -> float:
    """log2 |p| + log2 q: the bits of a power of p/q per unit of exponent."""
    return math.log2(abs(int(value.p)) or 1) + math.log2(int(value.q))


def _log2_rational(value: Any) -> float:
    if value == 0:
        return -math.inf
    return math.log2(abs(int(value.p))) - math.log2(int(value.q))


def _show(value: Any) -> str:
    """A value for a message: short, never a 4000-digit number."""
    text = str(value) if _height(value) < 200 else f"a number of {_height(value)} bits"
    return text if len(text) <= 60 else text[:57] + "..."


def _latex(expr: Any) -> str:
    import sympy

    names = {s: r"\mathit{%s}" % s.name.replace("_", r"\_") for s in expr.free_symbols}
    return sympy.latex(expr, symbol_names=names, mul_symbol="dot", ln_notation=True, order="none")
