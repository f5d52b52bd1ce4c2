"""A two-layer Siamese network with a logistic output (Imperial Q1h): shapes and local gradients."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .. import SolveContext, Solved, solver
from ..effort import Work
from ..checkers import checker, differences, sigmoid
import math
from ...models import Params


def siamese_shapes(D: int, hidden: int, m: int) -> dict[str, list[int]]:
    """Parameter shapes read off real nn.Linear layers (biases as column vectors), and batched data."""
    import torch.nn as nn

    first, second = nn.Linear(D, hidden, device="meta"), nn.Linear(hidden, 1, device="meta")
    return {"W1": list(first.weight.shape), "b1": [first.bias.shape[0], 1],
            "W2": list(second.weight.shape), "b2": [second.bias.shape[0], 1],
            "X": [D, m], "Y": [1, m]}


@lru_cache(maxsize=1)  # the same derivation for every instance: once per process (sympy values are immutable)
def delta1() -> Any:
    """dJ/dz3 for one example of J = -(1/m) sum [y log s(z) + (1-y) log(1-s(z))], as sympy."""
    import sympy

    z, y, m, yhat = sympy.symbols("z_3 y m \\hat{y}")
    s = 1 / (1 + sympy.exp(-z))
    J = -(y * sympy.log(s) + (1 - y) * sympy.log(1 - s)) / m
    derived = sympy.simplify(sympy.diff(J, z))
    claimed = (yhat - y) / m
    if sympy.simplify(derived - claimed.subs(yhat, s)) != 0:
        raise AssertionError("dJ/dz3 is not (yhat - y)/m")
    return claimed


@lru_cache(maxsize=None)
def relu_jacobian(size: int = 3) -> Any:
    """da/dz2 for a = a1 - ReLU(z2) on a small example: minus the diagonal of step functions."""
    import sympy

    z = sympy.Matrix(sympy.symbols(f"z_1:{size + 1}"))
    a = z.applyfunc(lambda v: -sympy.Max(v, 0))
    return a.jacobian(z).applyfunc(lambda e: e.rewrite(sympy.Heaviside)).as_immutable()  # shared: cached


@lru_cache(maxsize=None)
def elementwise_jacobian(size: int = 3) -> Any:
    """The Jacobian of a function f applied entry by entry to u = (u_1, ..., u_size): the solution's
    neutral illustration (neither the question's z_1, z_3 nor the ReLU's answer; issue 25)."""
    import sympy

    u = sympy.Matrix(sympy.symbols(f"u_1:{size + 1}"))
    f, slope = sympy.Function("f"), sympy.Function("f'")
    jac = u.applyfunc(f).jacobian(u)
    return jac.subs({sympy.Derivative(f(v), v): slope(v) for v in u}).as_immutable()


def _slopes_tex(tex: str) -> str:
    """sympy's \\operatorname{f'}{\\left(u_{1} \\right)} as a student writes it, f'(u_{1})."""
    return re.sub(r"\\operatorname\{f'\}\{\\left\((u_\{\d+\}) \\right\)\}", r"f'(\1)", tex)


@solver("siamese_network")
def siamese_network(p: Params, ctx: SolveContext) -> Solved:
    """Shapes by torch modules; delta1 by sympy; delta2 = W2 and delta3 = -diag(1[z2 > 0])."""
    import sympy

    shapes = siamese_shapes(p["D"], p["hidden"], p["m"])
    jac = relu_jacobian()
    if any(jac[i, j] != 0 for i in range(3) for j in range(3) if i != j):
        raise AssertionError("the ReLU Jacobian should be diagonal")
    return Solved(answers={**{f"shape_{k}": v for k, v in shapes.items()}, "delta1": delta1(),
                           "delta2_shape": shapes["W2"], "delta3_shape": [p["hidden"], p["hidden"]]},
                  work={"jac_example": _slopes_tex(sympy.latex(elementwise_jacobian()))}, effort=siamese_effort())


def siamese_effort() -> float:
    """The solution's hand work, one step per thing written down (sizes only name D, D_a1 and m, so
    every variant is the same work): the six shapes; for δ1 σ', the two log derivatives, combining
    them, the 1/m and the simplification; for δ2 W2 and its shape; for δ3 the ReLU's derivative, the
    minus sign, the diagonal Jacobian and its shape."""
    work = Work()
    work.step(len(("W1", "b1", "W2", "b2", "X", "Y")))
    work.step(6)
    work.step(2)
    work.step(4)
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

@checker("siamese_network")
def check_siamese_network(p: Params, solved: Solved) -> list[str]:
    """Shapes by the definition of a linear map; delta1 against a finite difference of J."""
    import sympy

    D, H, m = p["D"], p["hidden"], p["m"]
    want = {"shape_W1": [H, D], "shape_b1": [H, 1], "shape_W2": [1, H], "shape_b2": [1, 1],
            "shape_X": [D, m], "shape_Y": [1, m], "delta2_shape": [1, H], "delta3_shape": [H, H]}
    problems = [d for k, v in want.items() for d in differences(k, solved.answers[k], v)]
    z, y = 0.7, 1.0
    J = lambda v: -(y * math.log(sigmoid(v)) + (1 - y) * math.log(1 - sigmoid(v))) / m  # noqa: E731
    numeric = (J(z + 1e-6) - J(z - 1e-6)) / 2e-6
    subs = {sympy.Symbol("\\hat{y}"): sigmoid(z), sympy.Symbol("y"): y, sympy.Symbol("m"): m}
    return problems + differences("delta1", float(solved.answers["delta1"].subs(subs)), numeric, tol=1e-8)
