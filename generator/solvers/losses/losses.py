"""Loss families: cross-entropy of a predicted distribution."""
from __future__ import annotations

from fractions import Fraction

from .. import SolveContext, Solved, rule, solver
from ..checkers import checker, differences, tensor64
import math
from ..effort import Work
from ..mistakes import mistake
from ...models import Params


@rule("true_class_exists")
def true_class_exists(p: Params) -> bool:
    """The true class is one of the classes."""
    return 0 <= p["true_class"] < len(p["probs"]) == len(p["classes"])


@solver("cross_entropy")
def cross_entropy(p: Params, ctx: SolveContext) -> Solved:
    """-log p(true class), exact with sympy: log(1/p) for the printed decimal p; the checker runs
    torch's nll_loss on log-probabilities."""
    import sympy

    prob = Fraction(str(p["probs"][p["true_class"]]))
    exact = sympy.log(sympy.Rational(prob.denominator, prob.numerator))
    onehot = [1 if i == p["true_class"] else 0 for i in range(len(p["probs"]))]
    work = Work()   # the worked solution's hand work:
    work.step(len(onehot))    # the one-hot label, an entry each
    work.step(1)              # picking the true class's term
    work.step(1)              # -log p as log(1/p), the printed decimal's fraction turned over
    work.step(FUNCTION_STEP)  # the log's value
    return Solved(answers={"loss": exact},
                  work={"p_true": p["probs"][p["true_class"]], "true_name": p["classes"][p["true_class"]],
                        "onehot": onehot}, effort=work.total)


FUNCTION_STEP = 4   # one exp (log, sqrt) value by calculator or table, written to four figures


# --- independent check (examgen check): the answers computed another way --------------------

@checker("cross_entropy")
def check_cross_entropy(p: Params, solved: Solved) -> list[str]:
    """-log p(true class) in float64 by math.log, against the solver's exact value."""
    want = -math.log(float(p["probs"][p["true_class"]]))
    return differences("loss", float(solved.answers["loss"]), want, 1e-12)


@checker("cross_entropy")
def check_cross_entropy_torch(p: Params, solved: Solved) -> list[str]:
    """torch's nll_loss on the log-probabilities, against the solver's exact value."""
    import torch
    import torch.nn.functional as F

    loss = F.nll_loss(tensor64(p["probs"]).log()[None], torch.tensor([p["true_class"]])).item()
    return differences("loss (torch)", float(solved.answers["loss"]), loss, 1e-12)


# --- mistakes: the wrong answers students give, as distractors ------------------------------

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


@mistake("ce_log2", "Uses $\\log_2$ (bits); the cross-entropy here is in nats ($\\ln$).")
def ce_log2(p: Params, s: Solved, ctx: SolveContext) -> float:
    return -math.log2(_p_true(p))


@mistake("ce_no_log", "Forgets the logarithm: gives $1 / \\hat y_{\\text{true}}$ instead of $-\\ln \\hat y_{\\text{true}}$.")
def ce_no_log(p: Params, s: Solved, ctx: SolveContext) -> float:
    return 1 / _p_true(p)


@mistake("ce_sign_dropped", "Drops the minus sign: gives $\\ln \\hat y_{\\text{true}}$, a negative loss.")
def ce_sign_dropped(p: Params, s: Solved, ctx: SolveContext) -> float:
    return math.log(_p_true(p))
