"""Step learning-rate decay: eta_t = eta_0 c^floor(t/K), exact; `examgen check` compares torch's StepLR."""
from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .. import SolveContext, Solved, drawer, rule, solver
from ..effort import Work
from ..checkers import checker
from ..checkers import differences
from ..mistakes import mistake
from ...models import Params


def step_rate(eta0: Fraction, c: Fraction, k: int, epoch: int) -> Fraction:
    """The learning rate during epoch `epoch` (counting from 0)."""
    return eta0 * c ** (epoch // k)


def torch_rates(eta0: float, c: float, k: int, epochs: int) -> list[float]:
    """The rate torch.optim.lr_scheduler.StepLR gives for epochs 0..epochs-1."""
    import torch

    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=eta0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=k, gamma=c)
    rates = []
    for _ in range(epochs):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


@drawer("lr_step_epochs")
def lr_step_epochs(rng: random.Random, params: Params) -> list[int]:
    """Three epochs in three different steps drawn from steps 1 to LAST_STEP (any three, in
    increasing order): one at a drop, one just before the next drop, one anywhere in its step, the
    three placements in a random order. None lies in step 0, whose rate is the given eta_0; step
    LAST_STEP + 1 would need a seventh decimal (eta_0 has two, c^5 five)."""
    k = params["K"]
    steps = sorted(rng.sample(range(1, LAST_STEP + 1), 3))
    offsets = [0, k - 1, rng.randint(1, k - 2)]
    rng.shuffle(offsets)
    return [step * k + offset for step, offset in zip(steps, offsets)]


LAST_STEP = 4   # the latest step asked: its rate eta_0 c^4 still has at most six decimals


@rule("lr_epochs_spread")
def lr_epochs_spread(p: Params) -> bool:
    """The asked epochs lie in different steps, none in step 0 (whose rate is the given eta_0)."""
    steps = [t // p["K"] for t in p["epochs"]]
    return len(set(steps)) == len(steps) and min(steps) >= 1


@solver("lr_step_decay")
def lr_step_decay(p: Params, ctx: SolveContext) -> Solved:
    """Rates at the asked epochs and the staircase to plot (4 K epochs), torch-checked."""
    eta0, c, k = Fraction(str(p["eta0"])), Fraction(str(p["c"])), int(p["K"])
    horizon = 4 * k
    exact = [step_rate(eta0, c, k, t) for t in range(horizon)]
    asked = [{"epoch": t, "drops": t // k, "rate": _dec(step_rate(eta0, c, k, t))} for t in p["epochs"]]  # may lie past the plot
    stairs = [(j * k, _dec(exact[j * k])) for j in range(4)] + [(horizon, _dec(exact[-1]))]
    return Solved(answers={"rates": [a["rate"] for a in asked]},
                  work={"asked": asked, "stairs": stairs, "horizon": horizon, "ymax": _dec(eta0 * Fraction(11, 10))},
                  effort=lr_step_effort(p))


def lr_step_effort(p: Params) -> float:
    """The solution's hand work: for each asked epoch, ⌊t/K⌋ found by comparing t with K, 2K, ...
    (one comparison per drop, and one more), c to that power by repeated products and η0 times it;
    for the sketch, the three lower levels (each the one before times c) and the drop epochs 2K, 3K."""
    eta0, c, k = Decimal(str(p["eta0"])), Decimal(str(p["c"])), int(p["K"])
    work = Work()
    for t in p["epochs"]:
        drops = t // k
        work.compare(drops + 1)
        power = Decimal(1)
        for _ in range(drops):
            power = work.mul(power, c)
        work.mul(eta0, power)
    level = eta0
    for j in range(1, 4):
        level = work.mul(level, c)
        work.mul(j, k)
    return work.total


def _dec(x: Fraction) -> Any:
    """An exact decimal as a float (the rates here terminate: c and eta0 are decimals)."""
    return float(x)


@checker("lr_step_decay")
def check_against_step_lr(p: Params, solved: Solved) -> list[str]:
    """The formula against torch's StepLR over the 4 K epochs plotted. A check for `examgen check`,
    not for every build: torch.optim's first step imports torch._dynamo, seconds of a build's time."""
    eta0, c, k = Fraction(str(p["eta0"])), Fraction(str(p["c"])), int(p["K"])
    ref = torch_rates(float(eta0), float(c), k, 4 * k)
    formula = [float(step_rate(eta0, c, k, t)) for t in range(len(ref))]
    return [f"epoch {t}: formula {f} != torch StepLR {r}" for t, (f, r) in enumerate(zip(formula, ref)) if abs(f - r) > 1e-12]


# --- independent check (examgen check): the answers computed another way --------------------

@checker("lr_step_decay")
def check_lr_step_decay(p: Params, solved: Solved) -> list[str]:
    """Multiply the rate by c after every K epochs, one epoch at a time, and read off the asked ones."""
    rate, rates = float(p["eta0"]), []
    for epoch in range(max(p["epochs"]) + 1):
        if epoch and epoch % p["K"] == 0:
            rate *= float(p["c"])
        rates.append(rate)
    return differences("rates", solved.answers["rates"], [rates[t] for t in p["epochs"]])


# --- mistakes: the wrong answers students give, as distractors ------------------------------

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


@mistake("lr_one_drop_only", "Applies the factor once, however many drops have passed: $\\eta_0 c$ for every "
         "$t \\ge K$.")
def lr_one_drop_only(p: Params, s: Solved, ctx: SolveContext) -> list[float] | None:
    if all(t // int(p["K"]) <= 1 for t in p["epochs"]):
        return None
    return [float(p["eta0"]) * float(p["c"]) ** min(1, t // int(p["K"])) for t in p["epochs"]]


@mistake("lr_times_drops", "Multiplies by $c \\lfloor t/K \\rfloor$ instead of raising $c$ to the power "
         "$\\lfloor t/K \\rfloor$.")
def lr_times_drops(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    eta0, c = Fraction(str(p["eta0"])), Fraction(str(p["c"]))
    return [float(eta0 * (c * (t // int(p["K"])) if t >= int(p["K"]) else 1)) for t in p["epochs"]]


@mistake("lr_drop_one_late", "Lets each drop take effect one epoch late (the new rate from epoch $K + 1$): "
         "$\\lfloor (t-1)/K \\rfloor$ drops.")
def lr_drop_one_late(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    return _rates(p, shift=-1)


@mistake("lr_one_minus_c", "Multiplies by $1 - c$ at each drop, reading $c$ as the fraction taken off.")
def lr_one_minus_c(p: Params, s: Solved, ctx: SolveContext) -> list[float] | None:
    eta0, c = Fraction(str(p["eta0"])), Fraction(str(p["c"]))
    if c == Fraction(1, 2):
        return None
    return [float(eta0 * (1 - c) ** (t // int(p["K"]))) for t in p["epochs"]]


@mistake("lr_ceiling", "Rounds $t/K$ up instead of down, counting a drop for a step that has only begun: "
         "$\\lceil t/K \\rceil$ drops.")
def lr_ceiling(p: Params, s: Solved, ctx: SolveContext) -> list[float]:
    eta0, c, k = Fraction(str(p["eta0"])), Fraction(str(p["c"])), int(p["K"])
    return [float(eta0 * c ** -(-t // k)) for t in p["epochs"]]
