"""RMSprop's update from a short gradient history, exact with sympy; `examgen check` runs it again in torch (torch_update).

Gradient entries are written "6", "-4", "sqrt(40)" or "-sqrt(14)" (read by a pattern, never
evaluated). `mode` picks the EMA: "norm" averages squared gradient norms (one scalar, as the Oslo
2022 paper does), "coordinate" averages each coordinate's square (torch.optim.RMSprop)."""
from __future__ import annotations

import math
import random
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .. import SolveContext, Solved, drawer, solver
from ..effort import Work
from ..checkers import ROUNDED_TOL, checker, differences
from ...models import Params

ENTRY = re.compile(r"^(-?)(?:(\d+)|sqrt\((\d+)\))$")


def parse_entry(text: Any) -> tuple[int, int]:
    """(sign, square) of an entry: '-sqrt(40)' -> (-1, 40), '4' -> (1, 16)."""
    match = ENTRY.match(str(text).replace(" ", ""))
    if not match:
        raise ValueError(f"gradient entry {text!r}: expected an integer or sqrt(n)")
    sign = -1 if match.group(1) else 1
    return sign, int(match.group(2)) ** 2 if match.group(2) else int(match.group(3))


def entry_text(sign: int, square: int) -> str:
    """The entry as it is written: an integer where the square is a perfect square."""
    root = math.isqrt(square)
    body = str(root) if root * root == square else f"sqrt({square})"
    return ("-" if sign < 0 and square else "") + body


def ema_weights(alpha: Fraction, steps: int) -> list[Fraction]:
    """Weight of g_t in e_{steps-1} for e_0 = (1-a) g_0, e_k = a e_{k-1} + (1-a) g_k."""
    return [(1 - alpha) * alpha ** (steps - 1 - t) for t in range(steps)]


def _exact(sign: int, square: int) -> Any:
    import sympy

    return sign * sympy.sqrt(square)


@solver("rmsprop_update")
def rmsprop_update(p: Params, ctx: SolveContext) -> Solved:
    """g_T / sqrt(e_T + eps), with e the EMA of squared norms (norm) or squared coordinates (coordinate)."""
    import sympy

    grads = [[parse_entry(v) for v in g] for g in p["gradients"]]
    alpha, eps = Fraction(str(p["alpha"])), sympy.Rational(str(p["epsilon"]))
    weights = ema_weights(alpha, len(grads))
    if p["mode"] == "norm":
        squares = [[sum(sq for _, sq in g)] for g in grads]
    else:
        squares = [[sq for _, sq in col] for col in zip(*grads)]
        squares = [list(row) for row in zip(*squares)]
    ema = [sum(w * row[i] for w, row in zip(weights, squares)) for i in range(len(squares[0]))]
    last = grads[-1]
    denom = [sympy.sqrt(sympy.Rational(e.numerator, e.denominator) + eps) for e in ema]
    update = [_exact(s, sq) / (denom[0] if p["mode"] == "norm" else denom[i]) for i, (s, sq) in enumerate(last)]
    return Solved(answers={"update": update, "ema": [sympy.Rational(e.numerator, e.denominator) for e in ema],
                           "denominators": [round(float(d), 4) for d in denom]},
                  work={"weights": [float(w) for w in weights], "squares": squares,
                        "update_decimal": [float(u) for u in update]},
                  effort=rmsprop_effort(p, grads, [round(float(d), 4) for d in denom]))


def rmsprop_effort(p: Params, grads: list[list[tuple[int, int]]], denominators: list[float]) -> float:
    """The solution's hand work: the EMA weights (1 − α, α(1 − α), α²(1 − α)); each entry squared (an
    integer's square a product, a √n's square read off, 1 step); in norm mode each gradient's two
    squares added; each EMA as the weighted sum of its three squares; e + ε and its square root (2
    steps, as a σ, exp, ln or √ value everywhere in backprop, optimisation and autoencoders); then
    each entry of g_2 (a √n to four places, 2 steps) divided by its root to four places."""
    alpha = Decimal(str(p["alpha"]))
    work = Work()
    rest = work.add(1, -alpha)
    once = work.mul(alpha, rest)
    weights = [work.mul(alpha, once), once, rest]
    squares = []
    for g in grads:
        row = []
        for _, sq in g:
            root = math.isqrt(sq)
            if root * root == sq:
                row.append(work.mul(root, root))
            else:
                work.step(1)
                row.append(sq)
        squares.append([work.sum(row)] if p["mode"] == "norm" else row)
    for column in zip(*squares):
        work.add(work.dot(weights, list(column)), Decimal(str(p["epsilon"])))
        work.step(2)
    for i, (sign, sq) in enumerate(grads[-1]):
        root = math.isqrt(sq)
        if root * root != sq:
            work.step(2)
        value = Decimal(root) if root * root == sq else Decimal(str(round(math.sqrt(sq), 4)))
        work.div(value, Decimal(str(denominators[0 if p["mode"] == "norm" else i])))
    return work.total


def torch_update(p: Params) -> list[float]:
    """The same update with float64 torch tensors, step by step as an optimiser keeps it."""
    import torch

    g = torch.tensor([[s * math.sqrt(sq) for s, sq in map(parse_entry, row)] for row in p["gradients"]],
                     dtype=torch.float64)
    state = torch.zeros(1 if p["mode"] == "norm" else g.shape[1], dtype=torch.float64)
    for row in g:
        sq = (row ** 2).sum(dim=0, keepdim=True) if p["mode"] == "norm" else row ** 2
        state = p["alpha"] * state + (1 - p["alpha"]) * sq
    return (g[-1] / torch.sqrt(state + p["epsilon"])).tolist()


@drawer("rmsprop_gradients")
def rmsprop_gradients(rng: random.Random, params: Params, steps: int = 3, size: int = 2) -> list[list[str]]:
    """Gradients with square-root entries chosen so the final EMA is a whole square (6, not 5.87...)."""
    weights = ema_weights(Fraction(str(params["alpha"])), steps)
    while True:
        if params["mode"] == "norm":
            norms = _squares_with_ema(rng, weights, rng.randint(3, 7))
            squares = [_split_square(rng, n, size) for n in norms]
        else:
            cols = [_squares_with_ema(rng, weights, rng.randint(2, 6)) for _ in range(size)]
            squares = [list(row) for row in zip(*cols)]
        if squares and all(sq > 0 for row in squares for sq in row):
            return [[entry_text(rng.choice([-1, 1]), sq) for sq in row] for row in squares]


def _squares_with_ema(rng: random.Random, weights: list[Fraction], root: int) -> list[int]:
    """Whole squared values n_t (1..60) with sum w_t n_t = root**2; empty if none found quickly.

    Worked in whole numbers (the weights times their common denominator): the same draws and
    the same answer as with Fractions, without building thousands of them per exam."""
    scale = math.lcm(*(w.denominator for w in weights))
    whole = [int(w * scale) for w in weights]
    for _ in range(200):
        head = [rng.randint(1, 60) for _ in weights[:-1]]
        last, rest = divmod(root * root * scale - sum(w * n for w, n in zip(whole, head)), whole[-1])
        if rest == 0 and 2 <= last <= 60:
            return [*head, last]
    return []


def _split_square(rng: random.Random, total: int, size: int) -> list[int]:
    """`total` as a sum of `size` positive whole squares of entries."""
    if total < size:
        return [0] * size
    cuts = sorted(rng.sample(range(1, total), size - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total])]


# --- independent check (examgen check): the answers computed another way --------------------

@checker("rmsprop_update")
def check_rmsprop_update(p: Params, solved: Solved) -> list[str]:
    """Run the EMA recursion in floats, step by step, from the gradients as written (n or sqrt(n))."""
    grads = [[math.copysign(math.sqrt(abs(_square(x))), _square(x)) for x in row] for row in p["gradients"]]
    size = 1 if p["mode"] == "norm" else len(grads[0])
    ema = [0.0] * size
    for row in grads:
        squares = [sum(g * g for g in row)] if p["mode"] == "norm" else [g * g for g in row]
        ema = [p["alpha"] * e + (1 - p["alpha"]) * s for e, s in zip(ema, squares)]
    update = [g / math.sqrt((ema[0] if size == 1 else ema[i]) + p["epsilon"]) for i, g in enumerate(grads[-1])]
    roots = [math.sqrt(e + p["epsilon"]) for e in ema]
    return (differences("ema", [float(e) for e in solved.answers["ema"]], ema)
            + differences("update", [float(u) for u in solved.answers["update"]], update)
            + differences("denominators", solved.answers["denominators"], roots, ROUNDED_TOL))


@checker("rmsprop_update")
def check_rmsprop_update_on_torch(p: Params, solved: Solved) -> list[str]:
    """The update as an optimiser keeps it: float64 torch tensors, step by step (rmsprop.torch_update)."""

    return differences("update (torch)", [float(u) for u in solved.answers["update"]], torch_update(p))


def _square(text: object) -> float:
    """The signed square of an entry written as an integer or sqrt(n): '-sqrt(40)' -> -40, '4' -> 16."""
    body = str(text).replace(" ", "")
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("-")
    value = float(body[5:-1]) if body.startswith("sqrt(") else float(body) ** 2
    return sign * value
