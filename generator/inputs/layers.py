"""Layer stacks as plain data ({name, layer, ...}), turned into real torch modules without eval."""
from __future__ import annotations

from typing import Any

Layer = dict[str, Any]

ACTIVATIONS = ("ReLU", "Sigmoid", "Tanh")
LAYER_KEYS = {"Conv2d": ("in", "out", "kernel"), "Linear": ("in", "out"), "MaxPool2d": ("kernel",),
              "AvgPool2d": ("kernel",), "Flatten": (), **{a: () for a in ACTIVATIONS}}


def pair(v: Any) -> tuple[int, int]:
    """(height, width) from one number or two."""
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def window(layer: Layer) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Kernel, stride and padding of a Conv2d or pooling record, with torch's defaults (a conv's
    stride is 1, a pooling layer's is its kernel; padding 0)."""
    stride = layer.get("stride", 1 if layer["layer"] == "Conv2d" else layer["kernel"])
    return pair(layer["kernel"]), pair(stride), pair(layer.get("padding", 0))


def module(layer: Layer, device: str = "meta") -> "torch.nn.Module":  # noqa: F821
    """The nn.Module for one layer record (on the meta device: shapes and counts, no memory)."""
    import torch.nn as nn

    kind = layer["layer"]
    if kind not in LAYER_KEYS:
        raise ValueError(f"unknown layer type {kind!r}")
    if kind == "Conv2d":
        kernel, stride, padding = window(layer)
        return nn.Conv2d(layer["in"], layer["out"], kernel, stride=stride, padding=padding,
                         bias=layer.get("bias", True), device=device)
    if kind == "Linear":
        return nn.Linear(layer["in"], layer["out"], bias=layer.get("bias", True), device=device)
    if kind in ("MaxPool2d", "AvgPool2d"):
        kernel, stride, padding = window(layer)
        return (nn.MaxPool2d if kind == "MaxPool2d" else nn.AvgPool2d)(kernel, stride=stride, padding=padding)
    return getattr(nn, kind)()


def code(layer: Layer) -> str:
    """The layer as a line of PyTorch, as the papers print it: nn.Conv2d(1,2,3,stride=2,padding=1)."""
    kind = layer["layer"]
    args = [_code_value(layer[k]) for k in LAYER_KEYS.get(kind, ())]
    for key in ("stride", "padding"):
        if key in layer and layer[key] not in (1 if key == "stride" else 0, [1, 1] if key == "stride" else [0, 0]):
            args.append(f"{key}={_code_value(layer[key])}")
    if layer.get("bias") is False:
        args.append("bias=False")
    return f"nn.{kind}({', '.join(args)})"


def _code_value(v: Any) -> str:
    return f"({v[0]}, {v[1]})" if isinstance(v, (list, tuple)) else str(v)
