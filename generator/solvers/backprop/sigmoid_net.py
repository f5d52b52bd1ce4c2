"""A 2-2-1 network with sigmoid hidden units (Glasgow Q2c-g): z = Mx, h = sigma(z), y = Nh.

Back-propagation is done on sympy matrices (exact, symbolic or with numbers) and checked against
differentiating the whole expression y(x) directly; the numeric family is also checked with torch.
"""
from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

from .. import Reject, SolveContext, Solved, drawer, solver
from ..effort import Work
from ..checkers import ROUNDED_TOL, central_difference, checker, differences
import math
from ...models import Params

FUNCTION_VALUE = 2  # hand work of one σ (or exp, ln, √) value read off or computed, here and in rmsprop and autoencoder
STYLES = {"letters": ["a", "b", "c", "d", "e", "f"], "w": [f"w_{{{i}}}" for i in range(1, 7)],
          "uv": ["u_{1}", "u_{2}", "u_{3}", "u_{4}", "v_{1}", "v_{2}"]}


@drawer("sigmoid_net_labels")
def sigmoid_net_labels(rng: random.Random, params: Params) -> dict[str, Any]:
    """Edge labels for the figure: M[i][j] on x_j -> z_i, N[i] on h_i -> y, in a shuffled order."""
    style = rng.choice(sorted(STYLES))
    names = list(STYLES[style])
    first, second = names[:4], names[4:]
    if style != "uv":  # u/v keep the layers apart; the others may mix across layers
        rng.shuffle(names)
        first, second = names[:4], names[4:]
    rng.shuffle(first)
    return {"M": [first[:2], first[2:]], "N": second}


def sigmoid(z: Any) -> Any:
    import sympy

    return 1 / (1 + sympy.exp(-z))


def backprop(M: Any, N: Any, x: Any) -> dict[str, Any]:
    """Forward and backward pass on sympy matrices; h-form derivatives sigma' = h(1 - h)."""
    import sympy

    z = M * x
    h = z.applyfunc(sigmoid)
    y = (N * h)[0, 0]
    grad_h = N.T
    grad_z = sympy.Matrix([grad_h[i] * h[i] * (1 - h[i]) for i in range(2)])
    grad_x = M.T * grad_z
    return {"z": z, "h": h, "y": y, "grad_h": grad_h, "grad_z": grad_z, "grad_x": grad_x}


def check_against_direct(M: Any, N: Any, x: Any, grad_x: Any) -> None:
    """dy/dx from differentiating y(x) as one expression must equal the back-propagated gradient."""
    import sympy

    y = (N * (M * x).applyfunc(sigmoid))[0, 0]
    for i in range(2):
        if sympy.simplify(sympy.diff(y, x[i]) - grad_x[i]) != 0:
            raise AssertionError(f"back-propagation and direct differentiation disagree for x{i + 1}")


@lru_cache(maxsize=1)
def backprop_checked() -> bool:
    """`backprop` against direct differentiation on weights m11..n2: an identity in the weights, so
    it holds for every naming once it holds for one, and runs once per process (sympy's simplify
    took about 60 ms of each Glasgow variant)."""
    import sympy

    M = sympy.Matrix(2, 2, sympy.symbols("m_11 m_12 m_21 m_22"))
    N = sympy.Matrix(1, 2, sympy.symbols("n_1 n_2"))
    x = sympy.Matrix(sympy.symbols("x_1 x_2"))
    check_against_direct(M, N, x, backprop(M, N, x)["grad_x"])
    return True


def _term(weight: str, i: int) -> str:
    return f"{weight}\\, h_{i}(1 - h_{i})"


@solver("sigmoid_net_symbolic")
def sigmoid_net_symbolic(p: Params, ctx: SolveContext) -> Solved:
    """Gradients in symbols: nabla_h y = N^T, nabla_z y = N^T * h(1-h), dy/dx1 = sum_i M_i1 N_i h_i(1-h_i)."""
    import sympy

    M = sympy.Matrix(2, 2, [sympy.Symbol(s) for row in p["weights"]["M"] for s in row])
    N = sympy.Matrix(1, 2, [sympy.Symbol(s) for s in p["weights"]["N"]])
    backprop_checked()
    h1, h2 = sympy.symbols("h_1 h_2")
    grad_z = sympy.Matrix([N[0] * h1 * (1 - h1), N[1] * h2 * (1 - h2)])
    dy_dx1 = M[0, 0] * grad_z[0] + M[1, 0] * grad_z[1]
    m, n = p["weights"]["M"], p["weights"]["N"]
    return Solved(answers={"M": M.tolist(), "N": N.tolist(), "grad_h": N.T.tolist(), "grad_z": grad_z.tolist(),
                           "dy_dx1": dy_dx1},
                  work={"grad_z_tex": [_term(n[0], 1), _term(n[1], 2)],
                        "dy_dx1_tex": f"{m[0][0]}\\,{n[0]}\\, h_1(1 - h_1) + {m[1][0]}\\,{n[1]}\\, h_2(1 - h_2)"},
                  effort=sigmoid_net_symbolic_effort())


def sigmoid_net_symbolic_effort() -> float:
    """One step per symbolic term written down (the letters change, the work does not): the three
    equations of (a); the six entries of M and N in (b); the two entries of ∇_h y in (c); for each
    entry of ∇_z y its σ' = h(1 − h) and the product with N_i in (d); in (e) the two chain-rule
    products with the column of x1 and their sum."""
    work = Work()
    work.step(3)
    work.step(4 + 2)
    work.step(2)
    work.step(2 * 2)
    work.step(2 + 1)
    return work.total


def _exact(v: float) -> Any:
    import sympy

    return sympy.Rational(str(v))


def torch_gradients(M: list, N: list, x: list, ctx: SolveContext) -> dict[str, list[float]]:
    """The same quantities by torch autograd, as an independent check."""
    import torch

    xt = ctx.tensor(x).requires_grad_(True)
    z = ctx.tensor(M) @ xt
    z.retain_grad()
    h = torch.sigmoid(z)
    h.retain_grad()
    y = ctx.tensor(N) @ h
    y.backward()
    return {"y": [y.item()], "grad_h": h.grad.tolist(), "grad_z": z.grad.tolist(), "grad_x": xt.grad.tolist()}


@solver("sigmoid_net_numeric")
def sigmoid_net_numeric(p: Params, ctx: SolveContext) -> Solved:
    """Forward and backward pass with numbers (exact sympy, rounded), checked against torch autograd."""
    import sympy

    M = sympy.Matrix([[_exact(v) for v in row] for row in p["M"]])
    N = sympy.Matrix([[_exact(v) for v in p["N"]]])
    x = sympy.Matrix([_exact(v) for v in p["x"]])
    r = backprop(M, N, x)
    f = {k: [float(v) for v in r[k]] for k in ("z", "h", "grad_h", "grad_z", "grad_x")}
    if min(abs(v) for v in f["z"]) < 0.05 or abs(f["grad_x"][0]) < 0.005:
        raise Reject("a pre-activation or the answer is too close to zero")
    t = torch_gradients(p["M"], p["N"], p["x"], ctx)
    for key in ("grad_h", "grad_z", "grad_x"):
        if max(abs(a - b) for a, b in zip(f[key], t[key])) > 1e-9:
            raise AssertionError(f"sympy and torch disagree on {key}")
    return Solved(answers={"y": round(float(r["y"]), 4), "grad_z": [round(v, 4) for v in f["grad_z"]],
                           "dy_dx1": round(f["grad_x"][0], 4)},
                  work={"z": [float(v) for v in r["z"]], "h": [round(v, 4) for v in f["h"]],
                        "grad_h": f["grad_h"], "grad_x": [round(v, 4) for v in f["grad_x"]],
                        "sig_prime": [round(v * (1 - v), 4) for v in f["h"]]},
                  effort=sigmoid_net_numeric_effort(p, f["h"]))


def sigmoid_net_numeric_effort(p: Params, h: list[float]) -> float:
    """The solution's hand work on the numbers it prints (h, σ' and ∇_z y to four places): z = Mx (two
    dot products); σ(z1), σ(z2) (FUNCTION_VALUE each); y = N·h; each σ' = h(1 − h), a subtraction and
    a product; ∇_z y = N ⊙ σ'; ∇_x y = Mᵀ∇_z y (both entries, as printed)."""
    work = Work()
    for row in p["M"]:
        work.dot(row, p["x"])
    work.step(FUNCTION_VALUE * len(h))
    h4 = [round(v, 4) for v in h]
    work.dot(p["N"], h4)
    slopes = [round(work.mul(v, round(work.add(1, -v), 4)), 4) for v in h4]
    grad_z = [round(work.mul(n, s), 4) for n, s in zip(p["N"], slopes)]
    for column in zip(*p["M"]):
        work.dot(list(column), grad_z)
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

@checker("sigmoid_net_numeric")
def check_sigmoid_net_numeric(p: Params, solved: Solved) -> list[str]:
    """y = N σ(Mx): y, ∂y/∂z and ∂y/∂x1 by finite differences (the solver rounds to four places)."""
    M, N, x = p["M"], p["N"], p["x"]
    z = [sum(m * v for m, v in zip(row, x)) for row in M]
    y_of_z = lambda zs: sum(n * sigmoid(v) for n, v in zip(N, zs))  # noqa: E731
    grad_z = [central_difference(lambda t, i=i: y_of_z([t if k == i else v for k, v in enumerate(z)]), z[i])
              for i in range(len(z))]
    y_of_x1 = lambda t: y_of_z([row[0] * t + sum(m * v for m, v in zip(row[1:], x[1:])) for row in M])  # noqa: E731
    return (differences("y", solved.answers["y"], y_of_z(z), ROUNDED_TOL)
            + differences("grad_z", solved.answers["grad_z"], grad_z, ROUNDED_TOL)
            + differences("dy_dx1", solved.answers["dy_dx1"], central_difference(y_of_x1, float(x[0])), ROUNDED_TOL))


@checker("sigmoid_net_symbolic")
def check_sigmoid_net_symbolic(p: Params, solved: Solved) -> list[str]:
    """Put numbers on the weight letters and the input, run y = N sigmoid(M x) forward in floats,
    and compare each symbolic gradient, evaluated there, with a central difference."""
    M, N = p["weights"]["M"], p["weights"]["N"]
    letters = sorted({w for row in M for w in row} | set(N))
    value = {w: 0.3 + 0.25 * i for i, w in enumerate(letters)}
    x = [0.7, -0.4]
    z = [sum(value[M[i][j]] * x[j] for j in range(2)) for i in range(2)]
    sig = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    h = [sig(t) for t in z]
    at = {**value, "h_1": h[0], "h_2": h[1], "x_1": x[0], "x_2": x[1]}
    out = lambda zz: sum(value[N[i]] * sig(zz[i]) for i in range(2))  # noqa: E731
    step = 1e-6

    def fd_z(i: int) -> float:
        up, down = list(z), list(z)
        up[i] += step
        down[i] -= step
        return (out(up) - out(down)) / (2 * step)

    def fd_x1() -> float:
        zz = lambda x1: [value[M[i][0]] * x1 + value[M[i][1]] * x[1] for i in range(2)]  # noqa: E731
        return (out(zz(x[0] + step)) - out(zz(x[0] - step))) / (2 * step)

    def num(expr: object) -> float:
        return float(expr.subs({s: at[s.name] for s in expr.free_symbols}))

    named = {"M": [[str(c) for c in row] for row in _rows(solved.answers["M"])],
             "N": [str(c) for row in _rows(solved.answers["N"]) for c in row]}
    problems = [f"{k}: {named[k]} is not {want}" for k, want in (("M", M), ("N", N)) if named[k] != want]
    grad_z = [num(row[0]) for row in solved.answers["grad_z"]]
    grad_h = [num(row[0]) for row in solved.answers["grad_h"]]
    return problems + (differences("grad_h", grad_h, [value[w] for w in N])
            + differences("grad_z", grad_z, [fd_z(0), fd_z(1)], 1e-6)
            + differences("dy_dx1", num(solved.answers["dy_dx1"]), fd_x1(), 1e-6))


def _rows(matrix: object) -> list[list[object]]:
    """Rows of a sympy matrix or of nested lists."""
    return matrix.tolist() if hasattr(matrix, "tolist") else [list(r) if isinstance(r, (list, tuple)) else [r] for r in matrix]
