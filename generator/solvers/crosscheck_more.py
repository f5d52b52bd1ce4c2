"""Independent checkers for small closed-form families: step decay simulated epoch by epoch,
Wasserstein distance at the vertices of the coupling polytope, MLP sizes layer by layer.
"""
from __future__ import annotations

from ..models import Params, Solved
from .crosscheck import checker, differences, layer_params


@checker("lr_step_decay")
def check_lr_step_decay(p: Params, solved: Solved) -> list[str]:
    """Multiply the rate by c after every K epochs, one epoch at a time, and read off the asked ones."""
    rate, rates = float(p["eta0"]), []
    for epoch in range(max(p["epochs"]) + 1):
        if epoch and epoch % p["K"] == 0:
            rate *= float(p["c"])
        rates.append(rate)
    return differences("rates", solved.answers["rates"], [rates[t] for t in p["epochs"]])


@checker("wasserstein_two_point")
def check_wasserstein_two_point(p: Params, solved: Solved) -> list[str]:
    """The transport cost is linear in R(a,a), so its minimum lies at an end of the feasible range."""
    pa, qa, d = float(p["P_a"]), float(p["Q_a"]), p["distance"]
    ends = (max(0.0, pa + qa - 1), min(pa, qa))
    best = min(d * ((pa - r) + (qa - r)) for r in ends)
    problems = differences("W", float(solved.answers["W"]), best)
    return problems + _cost_problems(solved.answers["integral"], d)


def _cost_problems(integral: object, d: int) -> list[str]:
    """The cost is d·(R(a,b) + R(b,a)): only mass that moves pays."""
    import sympy

    want = d * (sympy.Symbol("R_ab") + sympy.Symbol("R_ba"))
    return [] if sympy.simplify(integral - want) == 0 else [f"integral: solver gives {integral}, expected {want}"]


@checker("mlp_sigmoid_counts")
def check_mlp_sigmoid_counts(p: Params, solved: Solved) -> list[str]:
    """Linear(n, h) then Linear(h, 1), counted layer by layer (a sigmoid adds nothing)."""
    n, h = len(p["context"]["inputs"]), p["hidden"]
    layers = [{"layer": "Linear", "in": n, "out": h}, {"layer": "Linear", "in": h, "out": 1}]
    return differences("parameters", solved.answers["parameters"], sum(layer_params(l) for l in layers))



@checker("momentum_recent_weight")
def check_momentum_recent_weight(p: Params, solved: Solved) -> list[str]:
    """In v = βv + g the newest gradient's share of the total weight 1/(1-β) is 1-β, in closed form."""
    want = "decrease" if (1 - p["smaller"]) > (1 - p["beta"]) else "increase"
    return differences("direction", solved.answers["direction"], want)
