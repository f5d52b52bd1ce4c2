"""Modelled mistakes for the loss, optimisation and attention templates: wrong log base, wrong
class, momentum sign flipped, step decay off by one, softmax along the wrong axis, no scaling."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from . import SolveContext
from .handwork import matmul, softmax, transpose
from .lr_schedule import step_rate
from .momentum import _grad, momentum_steps
from .mistakes import mistake
from ..models import Params, Solved


# --- cross-entropy (cross-entropy, product-image-classifier) -----------------------------------

def _p_true(p: Params) -> float:
    return float(p["probs"][p["true_class"]])


@mistake("ce_log10", "Uses $\\log_{10}$; the cross-entropy here is in nats ($\\ln$).")
def ce_log10(p: Params, s: Solved, ctx: SolveContext) -> float:
    return -math.log10(_p_true(p))


@mistake("ce_likeliest_class", "Takes the most probable class instead of the true one.")
def ce_likeliest_class(p: Params, s: Solved, ctx: SolveContext) -> float | None:
    best = max(range(len(p["probs"])), key=lambda i: p["probs"][i])
    return None if best == p["true_class"] else -math.log(float(p["probs"][best]))


@mistake("ce_every_class", "Adds $-\\ln \\hat y_k$ over every class instead of the true class only.")
def ce_every_class(p: Params, s: Solved, ctx: SolveContext) -> float:
    return -sum(math.log(float(q)) for q in p["probs"])


@mistake("ce_one_minus", "Gives $1 - \\hat y_{\\text{true}}$ (a probability of error, not the loss).")
def ce_one_minus(p: Params, s: Solved, ctx: SolveContext) -> float:
    return 1 - _p_true(p)


@mistake("ce_binary", "Uses the binary cross-entropy of the true class, $-\\ln \\hat y - \\sum_{k \\ne y} \\ln(1 - \\hat y_k)$.")
def ce_binary(p: Params, s: Solved, ctx: SolveContext) -> float:
    others = [float(q) for i, q in enumerate(p["probs"]) if i != p["true_class"]]
    return -math.log(_p_true(p)) - sum(math.log(1 - q) for q in others)


# --- zero-lr-expected-loss: ln C ----------------------------------------------------------------

@mistake("init_log10", "Uses $\\log_{10} C$; the cross-entropy is in nats ($\\ln C$).")
def init_log10(p: Params, s: Solved, ctx: SolveContext) -> float:
    return math.log10(p["classes"])


@mistake("init_log2", "Uses $\\log_2 C$ (bits, not nats).")
def init_log2(p: Params, s: Solved, ctx: SolveContext) -> float:
    return math.log2(p["classes"])


@mistake("init_probability", "Gives the uniform probability $1/C$ instead of its negative log.")
def init_probability(p: Params, s: Solved, ctx: SolveContext) -> float:
    return 1 / p["classes"]


@mistake("init_wrong_classes", "Takes the loss of one wrong class, $-\\ln(1 - 1/C)$.")
def init_wrong_classes(p: Params, s: Solved, ctx: SolveContext) -> float:
    return -math.log(1 - 1 / p["classes"])


# --- lr-step-decay: eta_0 c^floor(t/K) ----------------------------------------------------------

def _rates(p: Params, shift: int = 0, divide: bool = False) -> list[float]:
    """lr_schedule.step_rate at each asked epoch moved by `shift`, divided by c once if `divide`."""
    eta0, c, k = Fraction(str(p["eta0"])), Fraction(str(p["c"])), int(p["K"])
    return [float(step_rate(eta0, c, k, t + shift) / (c if divide else 1)) for t in p["epochs"]]


@mistake("lr_drop_early", "Counts epochs from 1, so every drop comes one epoch early: $\\lfloor (t+1)/K \\rfloor$.")
def lr_drop_early(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return _rates(p, shift=1)


@mistake("lr_drop_late", "Counts a drop only after $K$ full epochs of the new rate: $\\lfloor t/K \\rfloor - 1$ drops.")
def lr_drop_late(p: Params, s: Solved, ctx: SolveContext) -> list[float] | None:
    if any(t // int(p["K"]) < 1 for t in p["epochs"]):
        return None
    return _rates(p, divide=True)


@mistake("lr_no_floor", "Leaves out the floor: $\\eta_0 c^{t/K}$ decays every epoch.")
def lr_no_floor(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return [float(p["eta0"]) * float(p["c"]) ** (t / int(p["K"])) for t in p["epochs"]]


@mistake("lr_subtracted", "Subtracts $(1-c)\\eta_0$ at each drop instead of multiplying by $c$.")
def lr_subtracted(p: Params, s: Solved, ctx: SolveContext) -> list[float] | None:
    eta0, c = Fraction(str(p["eta0"])), Fraction(str(p["c"]))
    rates = [eta0 * (1 - (1 - c) * (t // int(p["K"]))) for t in p["epochs"]]
    return None if any(r <= 0 for r in rates) else [float(r) for r in rates]


# --- momentum-steps: v <- mu v - eta g, theta <- theta + v ---------------------------------------

@mistake("momentum_sign_flipped", "Flips the sign of the gradient in the velocity: $v \\leftarrow \\mu v + \\eta \\nabla f$.")
def momentum_sign_flipped(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return [float(t) for t in momentum_steps({**p, "lr": -p["lr"]})[-1]["theta"]]  # v = mu v + eta g


@mistake("momentum_left_out", "Leaves the momentum out (plain gradient descent, $\\theta \\leftarrow \\theta - \\eta\\nabla f$).")
def momentum_left_out(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return [float(t) for t in momentum_steps({**p, "mu": 0})[-1]["theta"]]  # v = -eta g


@mistake("momentum_average", "Uses the moving-average form $v \\leftarrow \\mu v + (1-\\mu)\\nabla f$, $\\theta \\leftarrow \\theta - \\eta v$.")
def momentum_average(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    frac = lambda xs: [Fraction(str(x)) for x in xs]  # noqa: E731
    curv, centre, theta = frac(p["curvature"]), frac(p["centre"]), frac(p["theta0"])
    mu, eta = Fraction(str(p["mu"])), Fraction(str(p["lr"]))
    v = [Fraction(0)] * len(theta)
    for _ in range(p["steps"]):
        v = [mu * vi + (1 - mu) * gi for vi, gi in zip(v, _grad(curv, centre, theta))]
        theta = [t - eta * vi for t, vi in zip(theta, v)]
    return [float(t) for t in theta]


@mistake("momentum_one_step", "Stops after the first update.")
def momentum_one_step(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return [float(x) for x in s.work["trace"][0]["theta"]]


# --- self-attention: softmax(QK^T / sqrt(d_k)) V ------------------------------------------------

def _attention(s: Solved, scale: float, columns: bool = False, keys_first: bool = False) -> list:
    """The attention output with one slip, from the projections Q, K, V the solver already made,
    computed as the solver computes (plain Python)."""
    Q, K, V = (s.work[k] for k in ("Q", "K", "V"))
    scores = matmul(K, transpose(Q)) if keys_first else matmul(Q, transpose(K))
    scaled = [[v / scale for v in row] for row in scores]
    if columns:   # a softmax down each column: along the rows of the transpose, turned back
        return matmul(transpose([softmax(col) for col in transpose(scaled)]), V)
    return matmul([softmax(row) for row in scaled], V)


@mistake("attn_softmax_columns", "Takes the softmax down each column instead of along each row.")
def attn_softmax_columns(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _attention(s, p["d_k"] ** 0.5, columns=True)


@mistake("attn_no_scaling", "Forgets to divide the scores by $\\sqrt{d_k}$.")
def attn_no_scaling(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _attention(s, 1.0)


@mistake("attn_scale_dk", "Divides the scores by $d_k$ instead of $\\sqrt{d_k}$.")
def attn_scale_dk(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _attention(s, float(p["d_k"]))


@mistake("attn_keys_first", "Computes $KQ^\\top$ instead of $QK^\\top$ (the transposed scores).")
def attn_keys_first(p: Params, s: Solved, ctx: SolveContext) -> list:
    return _attention(s, p["d_k"] ** 0.5, keys_first=True)
