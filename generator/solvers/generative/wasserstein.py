"""1-Wasserstein distance between two distributions on a two-point space {a, b}."""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .. import SolveContext, Solved, rule, solver
from ..checkers import checker, differences
from ..effort import Work
from ...models import Params


def brute_force_distance(p_a: Fraction, q_a: Fraction, d: int, step: Fraction = Fraction(1, 1000)) -> Fraction:
    """min over the couplings of sum d(c, c') R(c, c'), with d(a,a) = d(b,b) = 0.

    R(a,a) = r fixes the rest: R(a,b) = P(a) - r, R(b,a) = Q(a) - r, R(b,b) = 1 - P(a) - Q(a) + r.
    r runs over a grid of `step`, counted in whole units of 1/scale rather than as Fractions (a
    build solves this for every variant; thousands of Fractions cost milliseconds)."""
    scale = math.lcm(p_a.denominator, q_a.denominator, step.denominator)
    p, q, unit = int(p_a * scale), int(q_a * scale), int(step * scale)
    lo, hi = max(0, p + q - scale), min(p, q)
    rs = [*range(lo, hi + 1, unit), hi]  # lo + k * step for k = 0 .. (hi - lo) // step, then hi
    return Fraction(min(d * ((p - r) + (q - r)) for r in rs), scale)


@rule("wasserstein_distinct")
def wasserstein_distinct(p: Params) -> bool:
    """P and Q differ (otherwise the distance is trivially 0)."""
    return p["P_a"] != p["Q_a"]


@solver("wasserstein_two_point")
def wasserstein_two_point(p: Params, ctx: SolveContext) -> Solved:
    """The cost as R(a,b) + R(b,a) (times d), and W = d |P(a) - Q(a)|; `examgen check` searches
    all the couplings for it (its checker, below)."""
    import sympy

    p_a, q_a, d = Fraction(str(p["P_a"])), Fraction(str(p["Q_a"])), int(p["distance"])
    value = d * abs(p_a - q_a)
    r = min(p_a, q_a)
    best = {"aa": r, "ab": p_a - r, "ba": q_a - r, "bb": 1 - p_a - q_a + r}
    cost = d * (sympy.Symbol("R_ab") + sympy.Symbol("R_ba"))
    return Solved(answers={"integral": cost, "W": _rational(value)},
                  work={"coupling": {k: _rational(v) for k, v in best.items()},
                        "P_b": _rational(1 - p_a), "Q_b": _rational(1 - q_a)},
                  effort=wasserstein_effort(p["P_a"], p["Q_a"], d))


def wasserstein_effort(P_a: float, Q_a: float, d: int) -> float:
    """The hand work of the worked solution, on the printed decimals: (a) the four terms written
    and the two with d(x, x) = 0 dropped; (b) r = min(P(a), Q(a)), the coupling's three other
    entries, and d |P(a) - Q(a)|."""
    work = Work()
    work.step(4 + 2)
    P, Q = Decimal(str(P_a)), Decimal(str(Q_a))
    work.compare(1)
    r = min(P, Q)
    work.add(P, -r)
    work.add(Q, -r)
    work.add(work.add(work.add(Decimal(1), -P), -Q), r)
    work.mul(d, abs(work.add(P, -Q)))
    return work.total


def _rational(x: Fraction) -> Any:
    import sympy

    return sympy.Rational(x.numerator, x.denominator)


# --- independent check (examgen check): the answers computed another way --------------------

@checker("wasserstein_two_point")
def check_wasserstein_two_point(p: Params, solved: Solved) -> list[str]:
    """The transport cost is linear in R(a,a), so its minimum lies at an end of the feasible range."""
    pa, qa, d = float(p["P_a"]), float(p["Q_a"]), p["distance"]
    ends = (max(0.0, pa + qa - 1), min(pa, qa))
    best = min(d * ((pa - r) + (qa - r)) for r in ends)
    problems = differences("W", float(solved.answers["W"]), best)
    return problems + _cost_problems(solved.answers["integral"], d)


@checker("wasserstein_two_point")
def check_wasserstein_by_search(p: Params, solved: Solved) -> list[str]:
    """W again by searching the couplings in steps of 1/1000, exactly (wasserstein.brute_force_distance)."""

    found = brute_force_distance(Fraction(str(p["P_a"])), Fraction(str(p["Q_a"])), int(p["distance"]))
    return differences("W (search)", float(solved.answers["W"]), float(found))


def _cost_problems(integral: object, d: int) -> list[str]:
    """The cost is d·(R(a,b) + R(b,a)): only mass that moves pays."""
    import sympy

    want = d * (sympy.Symbol("R_ab") + sympy.Symbol("R_ba"))
    return [] if sympy.simplify(integral - want) == 0 else [f"integral: solver gives {integral}, expected {want}"]
