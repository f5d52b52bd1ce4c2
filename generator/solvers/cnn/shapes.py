"""Tensor shapes through a stack of layers, run on torch's meta device (no memory, exact shapes)."""
from __future__ import annotations

import random
from typing import Any

from .. import Reject, SolveContext, Solved, drawer, solver
from ..checkers import checker, differences
from ..common import out_size
from ..effort import Work
from ..handwork import layer_params, layer_shape
from ...inputs.layers import ACTIVATIONS, LAYER_KEYS, Layer, module, pair, window
from ...models import Params


def trace(input_shape: list[int], layers: list[Layer]) -> tuple[list[dict[str, Any]], str | None]:
    """Each layer's output shape and parameter count; the failure text if a layer rejects its input."""
    import torch

    # Activations act elementwise, so they keep the shape and are not run: torch's meta ReLU is a
    # Python decomposition whose first call imports torch._dynamo (2 s of a build, for no check).
    x = torch.empty(input_shape, device="meta")
    rows: list[dict[str, Any]] = []
    for layer in layers:
        mod = module(layer)
        try:
            y = x if layer["layer"] in ACTIVATIONS else forward(mod, x)
        except (RuntimeError, IndexError, ValueError) as err:  # torch's refusals of a shape
            return rows, f"{layer['name']} ({layer['layer']}) cannot take an input of shape {list(x.shape)}: {_reason(err)}"
        rows.append({"name": layer["name"], "layer": layer["layer"], "shape": list(y.shape),
                     "params": sum(p.numel() for p in mod.parameters()), "working": _working(layer, list(x.shape))})
        x = y
    return rows, None


def forward(mod: Any, x: Any) -> Any:
    """The layer applied to x. A Linear runs without its bias: the bias adds along the last
    dimension, which the weight has just made `out`, so it can neither change the shape nor fail;
    and meta addmm (weight and bias) imports torch._dynamo, 1.1 s of a build, where meta mm does not."""
    import torch.nn as nn
    import torch.nn.functional as F

    return F.linear(x, mod.weight) if isinstance(mod, nn.Linear) else mod(x)


def _reason(err: Exception) -> str:
    return str(err).splitlines()[0][:160]


def _working(layer: Layer, shape: list[int]) -> str:
    """The size formula with numbers, for a conv or pooling layer; '' for the rest."""
    if layer["layer"] not in ("Conv2d", "MaxPool2d", "AvgPool2d"):
        return ""
    k, s, p = window(layer)
    parts = []
    for axis, size in enumerate(shape[-2:]):
        parts.append(f"\\lfloor ({size} + 2\\cdot {p[axis]} - {k[axis]})/{s[axis]} \\rfloor + 1"
                     f" = {out_size(size, k[axis], s[axis], p[axis])}")
    return parts[0] if parts[0] == parts[1] else f"{parts[0]},\\quad {parts[1]}"


def shape_work(work: Work, layer: Layer, shape: list[int]) -> None:
    """The hand work of one layer's output shape from its input `shape`, as the working shows it:
    a conv or pooling layer's (n + 2p − k)/s + 1 per axis (once when both axes are the same sum) and
    a conv's channels read off; Flatten multiplies out the dimensions after the batch; a Linear
    layer's features are read off; an activation keeps the shape (no work)."""
    kind = layer["layer"]
    if kind in ("Conv2d", "MaxPool2d", "AvgPool2d"):
        k, s, p = window(layer)
        sums = {(shape[-2 + a], k[a], s[a], p[a]) for a in range(2)}
        for n, ka, sa, pa in sorted(sums):
            numerator = work.add(work.add(n, work.mul(2, pa)), -ka)
            work.div(numerator, sa)
            work.add(numerator // sa, 1)
        if kind == "Conv2d":
            work.step()
    elif kind == "Flatten":
        size = shape[1] if len(shape) > 1 else 1
        for dim in shape[2:]:
            size = work.mul(size, dim)
    elif kind == "Linear":
        work.step()


def count_work(work: Work, layer: Layer) -> None:
    """The hand work of one layer's parameter count by the formula the solution writes:
    in·out + out for a Linear layer, out·(in·k·k) + out for a Conv2d layer; nothing for the rest."""
    if layer["layer"] == "Linear":
        work.add(work.mul(layer["in"], layer["out"]), layer["out"])
    elif layer["layer"] == "Conv2d":
        kh, kw = pair(layer["kernel"])
        work.add(work.mul(layer["out"], work.mul(work.mul(layer["in"], kh), kw)), layer["out"])


def refusal(layer: Layer, shape: list[int]) -> str | None:
    """Why torch would refuse this input for this layer (None when it takes it), by the rules
    nn.Conv2d, the pooling layers, nn.Linear and nn.Flatten apply; the torch trace checks them."""
    kind = layer["layer"]
    if kind in ("Conv2d", "MaxPool2d", "AvgPool2d"):
        if len(shape) not in (3, 4):
            return f"expects a 3-D or 4-D input, got {len(shape)}-D"
        if kind == "Conv2d" and shape[-3] != layer["in"]:
            return f"expects {layer['in']} input channels, got {shape[-3]}"
        k, s, pad = window(layer)
        if kind != "Conv2d" and any(pad[a] > k[a] // 2 for a in range(2)):
            return "padding is more than half the kernel"
        if any(out_size(shape[-2 + a], k[a], s[a], pad[a]) < 1 for a in range(2)):
            return f"the kernel {list(k)} is larger than the padded input {[shape[-2] + 2 * pad[0], shape[-1] + 2 * pad[1]]}"
    if kind == "Linear" and not shape:
        return "needs at least one dimension"
    if kind == "Linear" and shape[-1] != layer["in"]:
        return f"expects {layer['in']} input features, got {shape[-1]}"
    if kind == "Flatten" and len(shape) < 2:
        return "needs a batch dimension and at least one more"
    return None


def formula_trace(input_shape: list[int], layers: list[Layer]) -> tuple[list[dict[str, Any]], str | None]:
    """The rows `trace` gives (name, layer, shape, params, working), by the size and parameter
    formulas a student uses, in whole numbers; the failure text where torch would refuse an input."""
    rows: list[dict[str, Any]] = []
    shape = list(input_shape)
    for layer in layers:
        if layer["layer"] not in LAYER_KEYS:
            raise ValueError(f"unknown layer type {layer['layer']!r}")
        why = refusal(layer, shape)
        if why:
            return rows, f"{layer['name']} ({layer['layer']}) cannot take an input of shape {shape}: {why}"
        out = layer_shape(layer, shape)
        rows.append({"name": layer["name"], "layer": layer["layer"], "shape": out,
                     "params": layer_params(layer), "working": _working(layer, shape)})
        shape = out
    return rows, None


@solver("layer_shapes")
def layer_shapes(p: Params, ctx: SolveContext) -> Solved:
    """Output shape after every layer for the given input, by formula; drawn stacks must divide
    evenly. The checker runs the same stack through torch modules on the meta device."""
    rows, failure = formula_trace(p["input"], p["layers"])
    if failure:
        raise Reject(failure)
    work = Work()   # each layer's output shape from the one before (shape_work)
    for layer, before in zip(p["layers"], [p["input"]] + [r["shape"] for r in rows]):
        shape_work(work, layer, before)
    return Solved(answers={"shapes": [r["shape"] for r in rows], "final_shape": rows[-1]["shape"],
                           "layer_shapes": layer_shape_map(p["layers"], rows)},   # the key's labels: layer names
                  work={"trace": rows, "total_params": sum(r["params"] for r in rows)}, effort=work.total)


def layer_shape_map(layers: list[Layer], rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Each layer's output shape under its name, in order (a graded response labels each by it)."""
    return {layer["name"]: row["shape"] for layer, row in zip(layers, rows)}


def _evenly(size: int, k: int, s: int, pad: int) -> bool:
    return (size + 2 * pad - k) % s == 0 and out_size(size, k, s, pad) >= 2


@drawer("image_batch")
def image_batch(rng: random.Random, params: Params, sizes: list[int] = (28, 32, 64, 96, 128, 224),
                channels: list[int] = (1, 3), batch: list[int] = (1, 2, 3, 4, 8, 16)) -> list[int]:
    """An input tensor shape [N, C, H, W] with a square image."""
    size = rng.choice(list(sizes))
    return [rng.choice(list(batch)), rng.choice(list(channels)), size, size]


@drawer("conv_stack")
def conv_stack(rng: random.Random, params: Params, convs: list[int] = (2, 3),
               activation: list[str] = ("ReLU", "Sigmoid"), linear: bool = False) -> list[Layer]:
    """Conv2d layers (each followed by an activation), then Flatten (and a Linear if asked).

    Kernel, stride and padding are chosen so every size divides evenly."""
    channels, size = params["input"][1], params["input"][2]
    act = rng.choice(list(activation))
    layers: list[Layer] = []
    for i in range(1, rng.choice(list(convs)) + 1):
        options = [(k, s, pad) for k in (3, 5) for s in (1, 2) for pad in (0, 1, 2) if _evenly(size, k, s, pad)]
        k, s, pad = rng.choice(options)
        out = rng.choice([2, 4, 8, 16, 32])
        layers.append({"name": f"conv{i}", "layer": "Conv2d", "in": channels, "out": out, "kernel": k,
                       "stride": s, "padding": pad})
        layers.append({"name": f"{act.lower()[:4]}{i}", "layer": act})
        channels, size = out, (size + 2 * pad - k) // s + 1
    layers.append({"name": "flatten", "layer": "Flatten"})
    if linear:
        layers.append({"name": "fc", "layer": "Linear", "in": channels * size * size, "out": rng.choice([10, 16, 32])})
    return layers


# --- independent check (examgen check): the answers computed another way --------------------

@checker("layer_shapes")
def check_layer_shapes(p: Params, solved: Solved) -> list[str]:
    """The stack run through real torch modules on the meta device (shapes.trace): every shape,
    every layer's parameter count (numel), and that torch takes every input the solver passed."""
    from .shapes import trace

    rows, failure = trace(p["input"], p["layers"])
    if failure:
        return [f"torch refuses a shape the solver accepted: {failure}"]
    problems = differences("shapes", solved.answers["shapes"], [r["shape"] for r in rows])
    problems += differences("final_shape", solved.answers["final_shape"], rows[-1]["shape"])
    problems += _layer_map_problems("layer_shapes", solved.answers["layer_shapes"], p["layers"], rows)
    counts = [row["params"] for row in solved.work.get("trace", [])]
    return problems + differences("params per layer", counts, [r["params"] for r in rows])


def _layer_map_problems(label: str, got: dict[str, Any], layers: list[Layer], rows: list[dict[str, Any]]) -> list[str]:
    """A name → shape answer against torch's trace: the layers' names in order, each one's shape."""
    names = [layer["name"] for layer in layers[:len(rows)]]
    if list(got) != names:
        return [f"{label}: solver names {list(got)}, the model's layers are {names}"]
    return differences(label, list(got.values()), [r["shape"] for r in rows])
