"""One-hidden-layer regression network: its size, and the sigmoid output that keeps the parameter count."""
from __future__ import annotations

from .. import SolveContext, Solved, solver
from ..checkers import checker, differences
from ..effort import Work
from ..handwork import layer_params
from ...models import Params


def network(inputs: int, hidden: int, squash: bool) -> "torch.nn.Module":  # noqa: F821
    """y = sum_k w_k g(sum_j v_jk x_j + b_k) + c, with g the logistic sigmoid; `squash` adds g on top."""
    import torch.nn as nn

    layers = [nn.Linear(inputs, hidden), nn.Sigmoid(), nn.Linear(hidden, 1)]
    return nn.Sequential(*layers, *([nn.Sigmoid()] if squash else []))


@solver("mlp_sigmoid_counts")
def mlp_sigmoid_counts(p: Params, ctx: SolveContext) -> Solved:
    """Trainable parameters before and after putting a sigmoid on the output (the count must not change)."""
    n, h = len(p["context"]["inputs"]), p["hidden"]
    before, after = (sum(t.numel() for t in network(n, h, s).parameters()) for s in (False, True))
    if before != after or before != n * h + h + h + 1:
        raise AssertionError(f"parameter counts {before}, {after}")
    return Solved(answers={"parameters": before}, work={"n_inputs": n, "n_v": n * h, "n_b": h, "n_w": h},
                  effort=sketch_effort(n, h))


def sketch_effort(n: int, h: int) -> float:
    """The hand work of the worked solution: (a) one step per unit drawn (n inputs, h hidden, one
    output) and per connection (n h into the hidden layer, h out of it); (b) the count
    n h + h + h + 1."""
    work = Work()
    work.step(n + h + 1)
    work.step(n * h + h)
    work.sum([work.mul(n, h), h, h, 1])
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

@checker("mlp_sigmoid_counts")
def check_mlp_sigmoid_counts(p: Params, solved: Solved) -> list[str]:
    """Linear(n, h) then Linear(h, 1), counted layer by layer (a sigmoid adds nothing)."""
    n, h = len(p["context"]["inputs"]), p["hidden"]
    layers = [{"layer": "Linear", "in": n, "out": h}, {"layer": "Linear", "in": h, "out": 1}]
    return differences("parameters", solved.answers["parameters"], sum(layer_params(l) for l in layers))
