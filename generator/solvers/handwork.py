"""Arithmetic as a student does it by hand, in plain Python: cross-correlation, pooling, matrix
products, a softmax, layer output shapes and parameter counts.

The by-hand solvers compute their answers with these (whole numbers stay whole; matrix products
and the softmax sum with `math.fsum`, a cross-correlation with plain `sum`, exact for the whole
numbers the bank draws), so a build of such questions never loads torch; their
checkers run the same computation through torch (each family's checker). Checkers of torch-solved
families use these functions the other way round, as the independent computation.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from .common import out_size
from ..inputs.layers import pair, window


def correlate(image: list[list[float]], kernel: list[list[float]]) -> list[list[float]]:
    """Valid cross-correlation (what nn.Conv2d computes), stride 1, by plain loops."""
    kh, kw = len(kernel), len(kernel[0])
    rows, cols = len(image) - kh + 1, len(image[0]) - kw + 1
    return [[sum(image[i + a][j + b] * kernel[a][b] for a in range(kh) for b in range(kw))
             for j in range(cols)] for i in range(rows)]


def max_pool(image: list[list[float]], window: int, stride: int,
             reduce: Callable[[list[float]], float] = max) -> list[list[float]]:
    """Pooling with a square window, no padding, by plain loops (max unless `reduce` says otherwise)."""
    rows = (len(image) - window) // stride + 1
    cols = (len(image[0]) - window) // stride + 1
    return [[reduce([image[i * stride + a][j * stride + b] for a in range(window) for b in range(window)])
             for j in range(cols)] for i in range(rows)]


def layer_shape(layer: dict[str, Any], shape: list[int]) -> list[int]:
    """The output shape of one layer record by the floor formula (no torch)."""
    kind = layer["layer"]
    if kind == "Flatten":
        return [shape[0], math.prod(shape[1:])]
    if kind == "Linear":
        return [*shape[:-1], layer["out"]]
    if kind not in ("Conv2d", "MaxPool2d", "AvgPool2d"):
        return list(shape)  # activations keep the shape
    k, s, pad = window(layer)
    channels = layer["out"] if kind == "Conv2d" else shape[-3]
    size = [out_size(shape[-2 + a], k[a], s[a], pad[a]) for a in range(2)]
    return [*shape[:-3], channels, *size]


def layer_params(layer: dict[str, Any]) -> int:
    """Trainable parameters of one layer record by formula."""
    bias = 1 if layer.get("bias", True) else 0
    if layer["layer"] == "Conv2d":
        kh, kw = pair(layer["kernel"])
        return layer["out"] * (layer["in"] * kh * kw + bias)
    if layer["layer"] == "Linear":
        return layer["out"] * (layer["in"] + bias)
    return 0


def stack_shapes(input_shape: list[int], layers: list[dict[str, Any]]) -> list[list[int]]:
    """The shape after every layer, by formula."""
    shapes, shape = [], list(input_shape)
    for layer in layers:
        shape = layer_shape(layer, shape)
        shapes.append(shape)
    return shapes


def softmax(row: list[float]) -> list[float]:
    """A numerically stable softmax in plain Python."""
    top = max(row)
    exps = [math.exp(v - top) for v in row]
    total = math.fsum(exps)
    return [e / total for e in exps]


def matmul(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    """A plain-Python matrix product."""
    return [[math.fsum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
            for i in range(len(a))]


def transpose(a: list[list[float]]) -> list[list[float]]:
    """Rows become columns."""
    return [list(col) for col in zip(*a)]
