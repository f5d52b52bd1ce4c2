"""Two PyTorch models on one image batch (Glasgow Q1): parameter counts, shapes, a new input size.

model2 is a stack of padded stride-2 convolutions; model1 flattens the image into one Linear layer
sized to give model2's number of outputs. Shapes come from `shapes.trace` on the meta device.
"""
from __future__ import annotations

import random
from typing import Any

from . import Reject, SolveContext, Solved, drawer, rule, solver
from .shapes import trace
from ..layers import Layer, module
from ..models import Params

SHORT = {"Sigmoid": "sig", "ReLU": "relu", "Tanh": "tanh"}


def input_shape(p: Params, size_key: str = "size") -> list[int]:
    """[N, C, H, W] for the drawn batch, channels and square size."""
    return [p["batch"], p["channels"], p[size_key], p[size_key]]


@drawer("two_models_convs")
def two_models_convs(rng: random.Random, params: Params, convs: tuple[int, ...] = (2, 3),
                     activation: tuple[str, ...] = ("Sigmoid", "ReLU", "Tanh")) -> list[Layer]:
    """Padded stride-2 convolutions (each halves an even size exactly), activations, then Flatten."""
    act, channels, layers = rng.choice(list(activation)), params["channels"], []
    count = rng.choice(list(convs))
    for i in range(1, count + 1):
        k = rng.choice([3, 5])
        out = 1 if i == count else rng.choice([2, 4, 6, 8])
        layers.append({"name": f"conv{i}", "layer": "Conv2d", "in": channels, "out": out, "kernel": k,
                       "stride": 2, "padding": k // 2})
        layers.append({"name": f"{SHORT[act]}{i}", "layer": act})
        channels = out
    return layers + [{"name": "flatten", "layer": "Flatten"}]


@drawer("two_models_linear")
def two_models_linear(rng: random.Random, params: Params) -> list[Layer]:
    """Flatten, one Linear layer giving as many outputs as model2, then model2's activation."""
    rows, failure = trace(input_shape(params), params["model2"])
    if failure:
        raise ValueError(failure)
    act = params["model2"][1]["layer"]
    features = params["channels"] * params["size"] ** 2
    return [{"name": "flatten", "layer": "Flatten"},
            {"name": "fc1", "layer": "Linear", "in": features, "out": rows[-1]["shape"][-1]},
            {"name": SHORT[act], "layer": act}]


@rule("two_models_new_size_differs")
def two_models_new_size_differs(p: Params) -> bool:
    """The second input has a different image size from the first."""
    return p["new_size"] != p["size"]


def layer_params(layer: Layer) -> dict[str, Any]:
    """Parameters of one layer: the real module's numel and the formula a student writes."""
    count = sum(t.numel() for t in module(layer).parameters())
    if layer["layer"] == "Linear":
        formula = f"{layer['in']} \\cdot {layer['out']} + {layer['out']}"
        by_hand = layer["in"] * layer["out"] + layer["out"]
    elif layer["layer"] == "Conv2d":
        k = layer["kernel"]
        formula = f"{layer['out']} \\cdot ({layer['in']} \\cdot {k} \\cdot {k}) + {layer['out']}"
        by_hand = layer["out"] * layer["in"] * k * k + layer["out"]
    else:
        formula, by_hand = "0", 0
    if count != by_hand:  # the module is the authority; the formula is what we show
        raise AssertionError(f"{layer['name']}: formula {by_hand} != torch {count}")
    return {"name": layer["name"], "layer": layer["layer"], "formula": formula, "count": count}


def count_table(layers: list[Layer]) -> list[dict[str, Any]]:
    """The layers that hold parameters, with their counts."""
    return [row for row in map(layer_params, layers) if row["count"]]


def mismatch(shape: list[int], layers: list[Layer], failed_at: int) -> str:
    """Why layer `failed_at` rejects an input of `shape`, in words a student would use."""
    layer = layers[failed_at]
    if layer["layer"] == "Linear":
        return (f"\\texttt{{{layer['name']}}} expects {layer['in']} input features per example, "
                f"but it receives {shape[-1]}")
    if layer["layer"] == "Conv2d" and shape[1] != layer["in"]:
        return f"\\texttt{{{layer['name']}}} expects {layer['in']} input channels, but it receives {shape[1]}"
    if layer["layer"] == "Conv2d":
        k, pad = layer["kernel"], layer.get("padding", 0)
        return (f"\\texttt{{{layer['name']}}}'s ${k} \\times {k}$ kernel does not fit its "
                f"${shape[2]} \\times {shape[3]}$ input (padding {pad})")
    return f"\\texttt{{{layer['name']}}} cannot take an input of shape {shape}"


def run_model(shape: list[int], layers: list[Layer]) -> dict[str, Any]:
    """Shapes through a model, or the layer where it fails and why."""
    rows, failure = trace(shape, layers)
    if not failure:
        return {"ok": True, "trace": rows, "final": rows[-1]["shape"], "why": ""}
    last = rows[-1]["shape"] if rows else shape
    return {"ok": False, "trace": rows, "final": None, "failed_layer": layers[len(rows)]["name"],
            "why": mismatch(last, layers, len(rows))}


@solver("two_models")
def two_models(p: Params, ctx: SolveContext) -> Solved:
    """Counts (numel of the real modules), shapes for the first input, and the fate of a second input."""
    shape, new_shape = input_shape(p), input_shape(p, "new_size")
    runs = {name: run_model(shape, p[name]) for name in ("model1", "model2")}
    if not all(r["ok"] for r in runs.values()):
        raise Reject("a model cannot take the first input")
    new_runs = {name: run_model(new_shape, p[name]) for name in ("model1", "model2")}
    counts = {name: count_table(p[name]) for name in ("model1", "model2")}
    totals = {name: sum(r["count"] for r in rows) for name, rows in counts.items()}
    return Solved(
        answers={"model1_params": totals["model1"], "model2_params": totals["model2"],
                 "model1_shapes": [r["shape"] for r in runs["model1"]["trace"]],
                 "model2_shapes": [r["shape"] for r in runs["model2"]["trace"]],
                 "model1_new": new_runs["model1"]["final"], "model2_new": new_runs["model2"]["final"]},
        work={"input_shape": shape, "new_shape": new_shape, "run1": runs["model1"], "run2": runs["model2"],
              "new1": new_runs["model1"], "new2": new_runs["model2"], "counts1": counts["model1"],
              "counts2": counts["model2"], "ratio": round(totals["model1"] / totals["model2"])})
