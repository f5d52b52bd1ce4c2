"""Gradient checking: the centred difference of a drawn J(θ) against its exact derivative."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from .. import SolveContext, Solved, rule, solver
from ..effort import Work
from ..checkers import FD_TOL, central_difference, checker, differences
from ...models import Params


def _poly(coeffs: list[int], t: Any) -> Any:
    """J(t) = a t^3 + b t^2 + c t for coeffs [a, b, c] (works on sympy, torch and Fractions)."""
    a, b, c = coeffs
    return a * t ** 3 + b * t ** 2 + c * t


@rule("gradcheck_cubic_term")
def gradcheck_cubic_term(p: Params) -> bool:
    """J has a cubic term (so the centred difference is not exact) and a non-zero slope at θ."""
    a, b, c = p["coeffs"]
    theta = Fraction(str(p["theta"]))
    return a != 0 and 3 * a * theta ** 2 + 2 * b * theta + c != 0


@solver("gradcheck_centred")
def gradcheck_centred(p: Params, ctx: SolveContext) -> Solved:
    """(J(θ+ε) − J(θ−ε)) / 2ε exactly (Fractions), dJ/dθ by sympy, checked with torch autograd."""
    import sympy

    theta, eps = Fraction(str(p["theta"])), Fraction(str(p["epsilon"]))
    plus, minus = _poly(p["coeffs"], theta + eps), _poly(p["coeffs"], theta - eps)
    numeric = (plus - minus) / (2 * eps)
    t = sympy.Symbol("theta")
    derivative = sympy.diff(_poly(p["coeffs"], t), t)
    analytic = derivative.subs(t, sympy.Rational(theta.numerator, theta.denominator))
    tt = ctx.tensor(float(theta)).requires_grad_()
    _poly(p["coeffs"], tt).backward()
    if abs(float(tt.grad) - float(analytic)) > 1e-9:
        raise AssertionError(f"sympy {analytic} != torch {float(tt.grad)}")
    gap = numeric - Fraction(int(analytic.p), int(analytic.q))
    relative = abs(gap) / max(abs(numeric), abs(float(analytic)))
    return Solved(answers={"numeric": float(numeric), "analytic": analytic, "gap": float(gap)},
                  work={"J_plus": float(plus), "J_minus": float(minus), "derivative": derivative,
                        "relative": float(relative), "theta_plus": float(theta + eps),
                        "theta_minus": float(theta - eps)},
                  effort=gradcheck_effort(p))


def gradcheck_effort(p: Params) -> float:
    """The solution's hand work, on the decimals it writes: θ ± ε; J at each (t², t³ = t²·t, the three
    coefficient products, two additions; zero coefficients are free); their difference over 2ε; the
    derivative written down (one step per term) and evaluated at θ; the gap; the relative difference."""
    a, b, c = p["coeffs"]
    theta, eps = Decimal(str(p["theta"])), Decimal(str(p["epsilon"]))
    work = Work()

    def J(t: Decimal) -> Decimal:
        t2 = work.mul(t, t)
        return work.sum([work.mul(a, work.mul(t2, t)), work.mul(b, t2), work.mul(c, t)])

    plus, minus = J(work.add(theta, eps)), J(work.add(theta, -eps))
    numeric = work.div(work.add(plus, -minus), work.mul(2, eps))
    work.step(sum(1 for k in (a, b, c) if k))              # dJ/dθ = 3aθ² + 2bθ + c, term by term
    slope = work.sum([work.mul(work.mul(3, a), work.mul(theta, theta)), work.mul(work.mul(2, b), theta), c])
    work.div(work.add(numeric, -slope), max(abs(numeric), abs(slope)))
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

@checker("gradcheck_centred")
def check_gradcheck_centred(p: Params, solved: Solved) -> list[str]:
    """The centred difference in floats, and the derivative by a fine central difference."""
    a, b, c = p["coeffs"]
    J = lambda t: a * t ** 3 + b * t ** 2 + c * t  # noqa: E731
    theta, eps = float(p["theta"]), float(p["epsilon"])
    numeric, analytic = central_difference(J, theta, eps), central_difference(J, theta, 1e-5)
    problems = differences("numeric", solved.answers["numeric"], numeric, FD_TOL)
    problems += differences("analytic", float(solved.answers["analytic"]), analytic, 1e-4)
    return problems + differences("gap", solved.answers["gap"], numeric - analytic, 1e-4)
