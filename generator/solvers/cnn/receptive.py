"""Receptive field of a stack of 2-D convolutions, per axis, checked by autograd on a real stack."""
from __future__ import annotations

import math
import random
from typing import Any

from .. import Reject, SolveContext, Solved, drawer, rule, solver
from ..checkers import checker, differences, field_by_intervals
from ..effort import Work
from ..mistakes import mistake
from ...models import Params

AXES = ("h", "w")


def _padding(layer: dict[str, Any], axis: int) -> int:
    """A layer's padding on one axis; 'same' pads (k-1)//2, which only matters at the border."""
    pad = layer.get("padding", 0)
    if pad == "same":
        return (layer["kernel"][axis] - 1) // 2
    return pad[axis] if isinstance(pad, list) else int(pad)


def field_steps(layers: list[dict[str, Any]], axis: int, work: Work | None = None) -> list[dict[str, int]]:
    """R_k = R_{k-1} + (F_k - 1) * prod(S_1..S_{k-1}), R_0 = 1, with each step's numbers; `work`
    tallies the hand work (F_k − 1, its product with the stride product, the sum, the next layer's
    stride product)."""
    work = work or Work()
    size, jump, steps = 1, 1, []
    for i, layer in enumerate(layers):
        kernel = layer["kernel"][axis]
        new = work.add(size, work.mul(work.add(kernel, -1), jump))
        steps.append({"before": size, "kernel": kernel, "jump": jump, "field": new})
        # the stride product a later layer uses (the last layer's is never written)
        size, jump = new, work.mul(jump, layer["stride"]) if i + 1 < len(layers) else jump * layer["stride"]
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
    work = Work()
    steps = [field_steps(p["layers"], axis, work) for axis in range(2)]
    field = [s[-1]["field"] for s in steps]
    if field[0] == field[1]:
        raise Reject("height and width give the same field")
    measured = autograd_field(p["layers"])
    if measured != field:
        raise AssertionError(f"recursion {field} != autograd {measured}")
    return Solved(answers={"field": field, "field_height": field[0], "field_width": field[1]},   # one per blank
                  work={"steps_h": steps[0], "steps_w": steps[1]}, effort=work.total)


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


# --- independent check (examgen check): the answers computed another way --------------------

@checker("receptive_field_stack")
def check_receptive_field_stack(p: Params, solved: Solved) -> list[str]:
    """The field per axis by walking input intervals back through the stack."""
    field = [field_by_intervals([l["kernel"][a] for l in p["layers"]], [l["stride"] for l in p["layers"]])
             for a in range(2)]
    return (differences("field", solved.answers["field"], field)
            + differences("field_height, field_width", [solved.answers["field_height"], solved.answers["field_width"]], field))


# --- mistakes: the wrong answers students give, as distractors ------------------------------

def _field(layers: list[dict[str, Any]], axis: int, own_stride: bool = False, strides: bool = True) -> int:
    size, jump = 1, 1
    for layer in layers:
        if own_stride and strides:
            jump *= layer["stride"]
        size += (layer["kernel"][axis] - 1) * jump
        if not own_stride and strides:
            jump *= layer["stride"]
    return size


@mistake("rf_strides_ignored", "Ignores the strides: $1 + \\sum (F_k - 1)$.")
def rf_strides_ignored(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    return [_field(p["layers"], a, strides=False) for a in range(2)]


@mistake("rf_own_stride", "Multiplies each layer's $F_k - 1$ by the strides up to and including its own.")
def rf_own_stride(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    return [_field(p["layers"], a, own_stride=True) for a in range(2)]


@mistake("rf_axes_swapped", "Swaps height and width (a non-square filter is height $\\times$ width).")
def rf_axes_swapped(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    return list(reversed(s.answers["field"]))


@mistake("rf_no_plus_one", "Starts the recursion at $R_0 = 0$ (off by one).")
def rf_no_plus_one(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    return [f - 1 for f in s.answers["field"]]


def _field_with(layers: list[dict[str, Any]], axis: int, jump_of: Any, extra: Any = lambda layer, axis: 0,
                whole: bool = False) -> int:
    """1 + the sum of each layer's (F - 1, or F if `whole`, plus `extra`) times `jump_of(i)`."""
    return 1 + sum((layer["kernel"][axis] - (0 if whole else 1) + extra(layer, axis)) * jump_of(i)
                   for i, layer in enumerate(layers))


def _jump(layers: list[dict[str, Any]], i: int, start: int = 0) -> int:
    """The product of the strides of layers start .. i - 1."""
    return math.prod(layer["stride"] for layer in layers[start:i])


@mistake("rf_full_filters", "Adds each filter's whole size $F_k$ (times the stride product) instead of $F_k - 1$.")
def rf_full_filters(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    layers = p["layers"]
    return [_field_with(layers, a, lambda i: _jump(layers, i), whole=True) for a in range(2)]


@mistake("rf_padding_added", "Adds each layer's padding on both sides, $2P_k$ (times the stride product), as if "
         "the padding widened the region.")
def rf_padding_added(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    layers = p["layers"]
    if all(_padding(layer, a) == 0 for layer in layers for a in range(2)):
        return None
    return [_field_with(layers, a, lambda i: _jump(layers, i), lambda layer, ax: 2 * _padding(layer, ax))
            for a in range(2)]


@mistake("rf_previous_stride_only", "Multiplies each layer's $F_k - 1$ by the previous layer's stride only, not by "
         "the product of all the earlier strides.")
def rf_previous_stride_only(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    layers = p["layers"]
    return [_field_with(layers, a, lambda i: layers[i - 1]["stride"] if i else 1) for a in range(2)]


@mistake("rf_first_stride_left_out", "Starts the stride product at the second layer, leaving the first layer's "
         "stride out (an off-by-one in the product's index).")
def rf_first_stride_left_out(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    layers = p["layers"]
    return [_field_with(layers, a, lambda i: _jump(layers, i, start=1)) for a in range(2)]
