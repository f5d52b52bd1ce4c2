"""Receptive field of a stack of 2-D convolutions, per axis, checked by autograd on a real stack."""
from __future__ import annotations

import random
from typing import Any

from . import Reject, SolveContext, Solved, drawer, rule, solver
from ..models import Params

AXES = ("h", "w")


def _padding(layer: dict[str, Any], axis: int) -> int:
    """A layer's padding on one axis; 'same' pads (k-1)//2, which only matters at the border."""
    pad = layer.get("padding", 0)
    if pad == "same":
        return (layer["kernel"][axis] - 1) // 2
    return pad[axis] if isinstance(pad, list) else int(pad)


def field_steps(layers: list[dict[str, Any]], axis: int) -> list[dict[str, int]]:
    """R_k = R_{k-1} + (F_k - 1) * prod(S_1..S_{k-1}), R_0 = 1, with each step's numbers."""
    size, jump, steps = 1, 1, []
    for layer in layers:
        kernel = layer["kernel"][axis]
        new = size + (kernel - 1) * jump
        steps.append({"before": size, "kernel": kernel, "jump": jump, "field": new})
        size, jump = new, jump * layer["stride"]
    return steps


def autograd_field(layers: list[dict[str, Any]]) -> list[int]:
    """Height and width of the input region that one central output neuron depends on.

    Builds the stack with all-one weights, back-propagates from the centre output and measures
    the extent of the non-zero input gradient: an independent check of the recursion."""
    import torch
    import torch.nn.functional as F

    side = 8 + 4 * max(f["field"] for a in range(2) for f in field_steps(layers, a))
    x = torch.ones(1, 1, side, side, dtype=torch.float64, requires_grad=True)
    out = x
    for layer in layers:
        weight = torch.ones(1, 1, *layer["kernel"], dtype=torch.float64)
        out = F.conv2d(out, weight, stride=layer["stride"], padding=(_padding(layer, 0), _padding(layer, 1)))
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero().flatten()
    cols = (x.grad[0, 0].abs().sum(dim=0) > 0).nonzero().flatten()
    return [int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)]


@rule("receptive_layers_valid")
def receptive_layers_valid(p: Params) -> bool:
    """Paddings smaller than filters, strides at most the filters, a stride above 1 before the last layer
    and at least one non-square filter (so the stride products and the two axes matter)."""
    layers = p["layers"]
    if all(layer["stride"] == 1 for layer in layers[:-1]) or all(layer["kernel"][0] == layer["kernel"][1] for layer in layers):
        return False
    for layer in layers:
        for axis in range(2):
            if _padding(layer, axis) >= layer["kernel"][axis] or layer["stride"] > layer["kernel"][axis]:
                return False
    return True


@solver("receptive_field_stack")
def receptive_field_stack(p: Params, ctx: SolveContext) -> Solved:
    """Receptive field per axis by the recursion, confirmed by autograd."""
    steps = [field_steps(p["layers"], axis) for axis in range(2)]
    field = [s[-1]["field"] for s in steps]
    if field[0] == field[1]:
        raise Reject("height and width give the same field")
    measured = autograd_field(p["layers"])
    if measured != field:
        raise AssertionError(f"recursion {field} != autograd {measured}")
    return Solved(answers={"field": field},
                  work={"steps_h": steps[0], "steps_w": steps[1], "field_autograd": measured})


@drawer("receptive_conv_stack")
def receptive_conv_stack(rng: random.Random, params: Params, count: int = 3) -> list[dict[str, Any]]:
    """Conv layers with small, mostly odd, sometimes non-square filters, strides and paddings."""
    layers = []
    for _ in range(count):
        kh = rng.choice([1, 3, 3, 5, 5, 7])
        kw = kh if rng.random() < 0.5 else rng.choice([3, 5, 7, 9])
        stride = rng.choice([1, 1, 2, 2, 3])
        pad = rng.choice([0, 1, 2, "same"])
        layers.append({"kernel": [kh, kw], "stride": stride, "padding": pad})
    return layers

