"""How the momentum parameter spreads weight over past gradients (for the 'which way' question)."""
from __future__ import annotations

from decimal import Decimal

from .. import SolveContext, Solved, solver
from ..effort import Work
from ..checkers import checker, differences
from ...models import Params


def past_weights(beta: float, lags: int) -> list[float]:
    """Weight of the gradient from k steps back in v_t = beta v_{t-1} + g_t, by running the recursion."""
    import torch

    weights = []
    for k in range(lags + 1):
        v = torch.zeros((), dtype=torch.float64)
        for t in range(k + 1):
            v = beta * v + (1.0 if t == 0 else 0.0)  # a unit gradient k steps ago, nothing since
        weights.append(float(v))
    return weights


@solver("momentum_recent_weight")
def momentum_recent_weight(p: Params, ctx: SolveContext) -> Solved:
    """Compare the default and a smaller momentum: share of the newest gradient, memory 1/(1 - beta)."""
    beta, smaller, lag = p["beta"], p["smaller"], p["lag"]
    rows = []
    for b in (beta, smaller):
        w = past_weights(b, lag)
        rows.append({"beta": b, "old": round(w[lag], 4), "memory": round(1 / (1 - b), 2),
                     "newest_share": round(w[0] / (1 / (1 - b)), 4)})
    direction = "decrease" if rows[1]["newest_share"] > rows[0]["newest_share"] else "increase"
    return Solved(answers={"direction": direction}, work={"rows": rows}, effort=momentum_weight_effort(p))


def momentum_weight_effort(p: Params) -> float:
    """The table's hand work, for each β: the newest gradient's share 1 − β (a subtraction), the
    memory 1/(1 − β) (a division) and the weight β^lag (one power value, 2 steps, weighed as a σ, exp,
    ln or √ value is in backprop, rmsprop and autoencoder); then comparing the two shares."""
    work = Work()
    for b in (p["beta"], p["smaller"]):
        share = work.add(1, -Decimal(str(b)))
        work.div(1, share)
        work.step(2)
    work.compare(1)
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

@checker("momentum_recent_weight")
def check_momentum_recent_weight(p: Params, solved: Solved) -> list[str]:
    """In v = βv + g the newest gradient's share of the total weight 1/(1-β) is 1-β, in closed form."""
    want = "decrease" if (1 - p["smaller"]) > (1 - p["beta"]) else "increase"
    return differences("direction", solved.answers["direction"], want)
