"""Standalone Glasgow Q1 families: parameters of one model, and the same model on another input.

They reuse the composite's helpers (`two_models.count_table`, `two_models.run_model`) and the core
drawers (`shapes.conv_stack`, `shapes.image_batch`)."""
from __future__ import annotations

import random
from typing import Any

from . import Reject, SolveContext, Solved, drawer, solver
from .shapes import conv_stack
from .two_models import SHORT, count_table, run_model
from ..layers import Layer
from ..models import Params


@drawer("model_reading_mlp")
def model_reading_mlp(rng: random.Random, params: Params, depth: tuple[int, ...] = (1, 2)) -> list[Layer]:
    """Flatten, then one or two Linear layers (each followed by an activation)."""
    act = rng.choice(["Sigmoid", "ReLU", "Tanh"])
    n, c, h, w = params["input"]
    layers: list[Layer] = [{"name": "flatten", "layer": "Flatten"}]
    width = c * h * w
    for i in range(1, rng.choice(list(depth)) + 1):
        out = rng.choice([10, 16, 32, 64, 100, 128, 256, 784])
        layers += [{"name": f"fc{i}", "layer": "Linear", "in": width, "out": out},
                   {"name": f"{SHORT[act]}{i}", "layer": act}]
        width = out
    return layers


@drawer("model_reading_any")
def model_reading_any(rng: random.Random, params: Params) -> list[Layer]:
    """A fully connected model, a conv stack, or a conv stack ending in a Linear layer."""
    kind = rng.choice(["mlp", "conv", "conv+linear"])
    if kind == "mlp":
        return model_reading_mlp(rng, params, depth=(1,))
    return conv_stack(rng, params, convs=(2, 3), linear=kind == "conv+linear")


@drawer("model_reading_other_input")
def model_reading_other_input(rng: random.Random, params: Params) -> list[int]:
    """The first input with another image size (same channels) or with the other channel count."""
    n, c, h, w = params["input"]
    if rng.random() < 0.7:
        size = rng.choice([s for s in (28, 32, 48, 64, 96, 128) if s != h])
        return [n, c, size, size]
    return [n, 4 - c if c in (1, 3) else 1, h, w]


@solver("model_params")
def model_params(p: Params, ctx: SolveContext) -> Solved:
    """Trainable parameters of a layer stack (real modules' numel), with each layer's formula."""
    run = run_model(p["input"], p["layers"])
    if not run["ok"]:
        raise Reject("the model cannot take the input")
    rows = count_table(p["layers"])
    return Solved(answers={"total": sum(r["count"] for r in rows)}, work={"counts": rows})


@solver("model_new_input")
def model_new_input(p: Params, ctx: SolveContext) -> Solved:
    """Shapes for the input the model was built for, then for another input: output or failure."""
    first, second = run_model(p["input"], p["layers"]), run_model(p["other_input"], p["layers"])
    if not first["ok"]:
        raise Reject("the model cannot take its own input")
    outcome: Any = second["final"] if second["ok"] else f"fails at {second['failed_layer']}"
    return Solved(answers={"final_shape": first["final"], "other_outcome": outcome},
                  work={"first": first, "second": second})
