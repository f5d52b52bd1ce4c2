"""Independent checkers for the CNN-arithmetic solvers: output volumes, receptive fields and input
bounds by plain-Python enumeration, where the solvers use closed forms and torch.
"""
from __future__ import annotations

from ..models import Params, Solved
from .crosscheck import ROUNDED_TOL, checker, differences
from .handwork import layer_shape, max_pool


def field_by_intervals(kernels: list[int], strides: list[int]) -> int:
    """Width of the input interval one output unit sees, walking the layers backwards (padding
    shifts the interval but does not change its width)."""
    lo = hi = 0
    for k, s in reversed(list(zip(kernels, strides))):
        lo, hi = lo * s, hi * s + k - 1
    return hi - lo + 1


def same_output_size(size: int, stride: int) -> int:
    """What a 'same'-padded convolution outputs: one value per stride step that starts in the input."""
    return len(range(0, size, stride))


@checker("conv_output_volume")
def check_conv_output_volume(p: Params, solved: Solved) -> list[str]:
    """Height, width (floor formula) and depth (the number of filters)."""
    layer = {"layer": "Conv2d", "in": p["in_channels"], "out": p["filters"], "kernel": p["kernel"],
             "stride": p["stride"], "padding": p["padding"]}
    _, depth, h, w = layer_shape(layer, [1, p["in_channels"], p["input_size"], p["input_size"]])
    return differences("volume", solved.answers["volume"], [h, w, depth])


@checker("conv_same_input_bounds")
def check_conv_same_input_bounds(p: Params, solved: Solved) -> list[str]:
    """Every input size up to (n + 1)·s tried; the smallest and largest that give n."""
    lower, upper = [], []
    for n in p["output"]:
        hits = [m for m in range(1, (n + 1) * p["stride"] + 1) if same_output_size(m, p["stride"]) == n]
        lower.append(min(hits))
        upper.append(max(hits))
    return differences("lower", solved.answers["lower"], lower) + differences("upper", solved.answers["upper"], upper)


@checker("conv_same_input_bounds")
def check_conv_same_input_bounds_on_torch(p: Params, solved: Solved) -> list[str]:
    """The same search with torch computing each 'same' convolution (conv_bounds.brute_force_bounds)."""
    from .conv_bounds import brute_force_bounds

    found = [brute_force_bounds(n, k, p["stride"]) for n, k in zip(p["output"], p["kernel"])]
    return (differences("lower (torch)", solved.answers["lower"], [lo for lo, _ in found])
            + differences("upper (torch)", solved.answers["upper"], [hi for _, hi in found]))


@checker("receptive_field_stack")
def check_receptive_field_stack(p: Params, solved: Solved) -> list[str]:
    """The field per axis by walking input intervals back through the stack."""
    field = [field_by_intervals([l["kernel"][a] for l in p["layers"]], [l["stride"] for l in p["layers"]])
             for a in range(2)]
    return differences("field", solved.answers["field"], field)


@checker("fov_and_params")
def check_fov_and_params(p: Params, solved: Solved) -> list[str]:
    """Fields of view by intervals; weights (no biases) as Σ c_in·k·k·c_out."""
    ks = p["kernels"]
    strided = [p["first_stride"]] + [1] * (len(ks) - 1)
    chans = [p["in_channels"], *p["filters"]]
    weights = sum(chans[i] * k * k * chans[i + 1] for i, k in enumerate(ks))
    return (differences("fov_stride1", solved.answers["fov_stride1"], field_by_intervals(ks, [1] * len(ks)))
            + differences("fov_strided", solved.answers["fov_strided"], field_by_intervals(ks, strided))
            + differences("weights", solved.answers["weights"], weights))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


@checker("pooling_identify")
def check_pooling_identify(p: Params, solved: Solved) -> list[str]:
    """The found pooling is the one that was drawn, and it reproduces the output by plain loops."""
    a = solved.answers
    found = [a["found_operation"], a["found_window"], a["found_stride"]]
    problems = differences("found pooling", found, [p["operation"], p["window"], p["stride"]])
    reduce = max if a["found_operation"] == "max" else mean
    pooled = max_pool(p["image"], a["found_window"], a["found_stride"], reduce)
    return problems + differences("output from the found pooling", p["output"], pooled, ROUNDED_TOL)
