"""Loss of a softmax classifier at initialisation (Imperial Q1f): tiny weights give uniform outputs."""
from __future__ import annotations

from .. import SolveContext, Solved, solver
from ..checkers import checker, differences
import math
from ..effort import Work
from ..mistakes import mistake
from ...models import Params


def initial_loss_torch(classes: int, std: float, ctx: SolveContext, features: int = 64, batch: int = 512) -> float:
    """Mean cross-entropy of a freshly initialised linear softmax layer on random inputs (seeded)."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(0)
    W = (torch.randn(classes, features, generator=gen, dtype=torch.float64) * std).to(ctx.device)
    x = torch.randn(batch, features, generator=gen, dtype=torch.float64).to(ctx.device)
    labels = torch.randint(classes, (batch,), generator=gen).to(ctx.device)
    return torch.nn.functional.cross_entropy(x @ W.T, labels).item()


@solver("softmax_init_loss")
def softmax_init_loss(p: Params, ctx: SolveContext) -> Solved:
    """ln C exactly (sympy), checked against torch on a simulated first epoch with learning rate 0."""
    import sympy

    exact = sympy.log(sympy.Integer(p["classes"]))
    simulated = initial_loss_torch(p["classes"], p["std"], ctx)
    if abs(simulated - float(exact)) > 1e-2:
        raise AssertionError(f"simulated loss {simulated} is not close to ln C = {float(exact)}")
    work = Work()   # the worked solution's hand work:
    work.step(1)              # the uniform probability 1/C
    work.step(FUNCTION_STEP)  # ln C's value (the simulated epoch is the examiner's check, not the student's)
    return Solved(answers={"loss": exact}, work={"simulated": round(simulated, 4), "uniform": sympy.Rational(1, p["classes"])},
                  effort=work.total)


FUNCTION_STEP = 4   # one exp (log, sqrt) value by calculator or table, written to four figures


# --- independent check (examgen check): the answers computed another way --------------------

@checker("softmax_init_loss")
def check_softmax_init_loss(p: Params, solved: Solved) -> list[str]:
    """Uniform predictions over C classes give -log(1/C) per example."""
    return differences("loss", float(solved.answers["loss"]), -math.log(1 / p["classes"]))


# --- mistakes: the wrong answers students give, as distractors ------------------------------

@mistake("init_log10", "Uses $\\log_{10} C$; the cross-entropy is in nats ($\\ln C$).")
def init_log10(p: Params, s: Solved, ctx: SolveContext) -> float:
    return math.log10(p["classes"])


@mistake("init_log2", "Uses $\\log_2 C$ (bits, not nats).")
def init_log2(p: Params, s: Solved, ctx: SolveContext) -> float:
    return math.log2(p["classes"])


@mistake("init_probability", "Gives the uniform probability $1/C$ instead of its negative log.")
def init_probability(p: Params, s: Solved, ctx: SolveContext) -> float:
    return 1 / p["classes"]


@mistake("init_sign_dropped", "Drops the minus sign of the loss: gives $\\ln \\frac{1}{C} = -\\ln C$, a negative loss.")
def init_sign_dropped(p: Params, s: Solved, ctx: SolveContext) -> float:
    return math.log(1 / p["classes"])


@mistake("init_every_class", "Adds $-\\ln \\frac{1}{C}$ over all $C$ classes instead of taking the true class "
         "only: $C \\ln C$.")
def init_every_class(p: Params, s: Solved, ctx: SolveContext) -> float:
    return p["classes"] * math.log(p["classes"])


@mistake("init_binary", "Uses the binary cross-entropy of every output, $-\\ln \\frac{1}{C} - (C - 1)\\ln\\big(1 - "
         "\\frac{1}{C}\\big)$, as if each class had its own sigmoid.")
def init_binary(p: Params, s: Solved, ctx: SolveContext) -> float:
    c = p["classes"]
    return math.log(c) - (c - 1) * math.log(1 - 1 / c)


@mistake("init_no_log", "Forgets the logarithm: gives $1 / \\hat y = C$ instead of $-\\ln \\hat y = \\ln C$.")
def init_no_log(p: Params, s: Solved, ctx: SolveContext) -> float:
    return float(p["classes"])
