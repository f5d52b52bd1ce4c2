"""Modelled mistakes for the convolution templates: padding, stride, bias, channels, off-by-one,
flipped kernels. Each returns the wrong answer from the same parameters (None: does not apply)."""
from __future__ import annotations

from typing import Any

from . import SolveContext
from .handwork import correlate, max_pool
from .mistakes import mistake
from ..layers import pair
from ..models import Params, Solved


# --- conv2d-params: parameters of one nn.Conv2d -------------------------------------------------

@mistake("conv_params_no_bias", "Leaves out the biases (one per filter).")
def conv_params_no_bias(p: Params, s: Solved, ctx: SolveContext) -> int:
    kh, kw = p["kernel"]
    return p["in_channels"] * kh * kw * p["out_channels"]


@mistake("conv_params_no_depth", "Forgets that each filter spans all the input channels ($k_h k_w + 1$ per filter).")
def conv_params_no_depth(p: Params, s: Solved, ctx: SolveContext) -> int:
    kh, kw = p["kernel"]
    return (kh * kw + 1) * p["out_channels"]


@mistake("conv_params_one_filter", "Counts a single filter, not one per output channel.")
def conv_params_one_filter(p: Params, s: Solved, ctx: SolveContext) -> int:
    kh, kw = p["kernel"]
    return p["in_channels"] * kh * kw + 1


@mistake("conv_params_kernel_sum", "Adds the kernel's height and width instead of multiplying them.")
def conv_params_kernel_sum(p: Params, s: Solved, ctx: SolveContext) -> int:
    kh, kw = p["kernel"]
    return (p["in_channels"] * (kh + kw) + 1) * p["out_channels"]


# --- conv-output-volume: (n + 2p - k)/s + 1 ----------------------------------------------------

def _volume(side: int | None, depth: int) -> list[int] | None:
    return None if side is None or side < 1 else [side, side, depth]


@mistake("convvol_padding_forgotten", "Forgets the padding: $(n - k)/s + 1$.")
def convvol_padding_forgotten(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    span = p["input_size"] - p["kernel"]
    return _volume(span // p["stride"] + 1 if span >= 0 else None, p["filters"])


@mistake("convvol_stride_forgotten", "Forgets the stride: $n + 2p - k + 1$.")
def convvol_stride_forgotten(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    return _volume(p["input_size"] + 2 * p["padding"] - p["kernel"] + 1, p["filters"])


@mistake("convvol_no_plus_one", "Drops the $+1$ of the output-size formula (off by one).")
def convvol_no_plus_one(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    return _volume((p["input_size"] + 2 * p["padding"] - p["kernel"]) // p["stride"], p["filters"])


@mistake("convvol_padding_once", "Pads one side only: $(n + p - k)/s + 1$.")
def convvol_padding_once(p: Params, s: Solved, ctx: SolveContext) -> list[int] | None:
    span = p["input_size"] + p["padding"] - p["kernel"]
    return _volume(span // p["stride"] + 1 if span >= 0 else None, p["filters"])


@mistake("convvol_input_depth", "Keeps the input's depth instead of one channel per filter.")
def convvol_input_depth(p: Params, s: Solved, ctx: SolveContext) -> list[int]:
    side = s.work["side"]
    return [side, side, p["in_channels"]]


# --- field-of-view: strided field and weight count ---------------------------------------------

def _fov(kernels: list[int], jumps: list[int]) -> int:
    return 1 + sum((k - 1) * j for k, j in zip(kernels, jumps))


@mistake("fov_stride_ignored", "Ignores the stride (the stride-1 field of part (a)).")
def fov_stride_ignored(p: Params, s: Solved, ctx: SolveContext) -> int:
    return s.answers["fov_stride1"]


@mistake("fov_stride_everywhere", "Multiplies every layer's $k-1$ by the stride, the strided layer's own too.")
def fov_stride_everywhere(p: Params, s: Solved, ctx: SolveContext) -> int:
    return _fov(p["kernels"], [p["first_stride"]] * len(p["kernels"]))


@mistake("fov_stride_next_only", "Applies the stride to the next layer only, not to every later one.")
def fov_stride_next_only(p: Params, s: Solved, ctx: SolveContext) -> int:
    jumps = [1, p["first_stride"]] + [1] * (len(p["kernels"]) - 2)
    return _fov(p["kernels"], jumps)


@mistake("fov_no_plus_one", "Forgets the output pixel's own input pixel (the $1 +$), off by one.")
def fov_no_plus_one(p: Params, s: Solved, ctx: SolveContext) -> int:
    return s.answers["fov_strided"] - 1


@mistake("fov_weights_no_depth", "Forgets that a kernel spans all its input channels.")
def fov_weights_no_depth(p: Params, s: Solved, ctx: SolveContext) -> int:
    return sum(k * k * f for k, f in zip(p["kernels"], p["filters"]))


@mistake("fov_weights_with_bias", "Counts the biases too, which the question leaves out.")
def fov_weights_with_bias(p: Params, s: Solved, ctx: SolveContext) -> int:
    return s.answers["weights"] + sum(p["filters"])


@mistake("fov_weights_image_depth", "Uses the image's channels as the depth of every layer's kernels.")
def fov_weights_image_depth(p: Params, s: Solved, ctx: SolveContext) -> int:
    return sum(p["in_channels"] * k * k * f for k, f in zip(p["kernels"], p["filters"]))


@mistake("fov_weights_k_once", "Multiplies by $k$ once instead of by $k \\times k$.")
def fov_weights_k_once(p: Params, s: Solved, ctx: SolveContext) -> int:
    chans = [p["in_channels"], *p["filters"]]
    return sum(chans[i] * k * chans[i + 1] for i, k in enumerate(p["kernels"]))


# --- receptive-field-stack: per-axis recursion -------------------------------------------------

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


# --- conv2d-by-hand and maxpool-by-hand ---------------------------------------------------------

@mistake("conv_kernel_flipped", "Flips the kernel (a true convolution); \\texttt{nn.Conv2d} computes a cross-correlation.")
def conv_kernel_flipped(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    return correlate(p["image"], [row[::-1] for row in p["kernel"][::-1]])


@mistake("conv_kernel_mirrored", "Mirrors the kernel left to right.")
def conv_kernel_mirrored(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    return correlate(p["image"], [row[::-1] for row in p["kernel"]])


@mistake("conv_kernel_upside_down", "Turns the kernel upside down.")
def conv_kernel_upside_down(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    return correlate(p["image"], p["kernel"][::-1])


@mistake("conv_kernel_transposed", "Reads the kernel's rows as columns (transposes it).")
def conv_kernel_transposed(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]] | None:
    k = p["kernel"]
    if len(k) != len(k[0]):
        return None
    return correlate(p["image"], [list(c) for c in zip(*k)])


@mistake("pool_average", "Averages each window instead of taking its maximum.")
def pool_average(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    return max_pool(p["image"], p["window"], p["stride"], reduce=lambda w: sum(w) / len(w))


@mistake("pool_minimum", "Takes each window's minimum.")
def pool_minimum(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    return max_pool(p["image"], p["window"], p["stride"], reduce=min)


@mistake("pool_stride_one", "Ignores the stride and slides the window one pixel at a time.")
def pool_stride_one(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]] | None:
    return None if p["stride"] == 1 else max_pool(p["image"], p["window"], 1)


@mistake("pool_stride_window", "Takes the stride equal to the window (non-overlapping windows).")
def pool_stride_window(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]] | None:
    if p["stride"] == p["window"] or len(p["image"]) < 2 * p["window"]:
        return None
    return max_pool(p["image"], p["window"], p["window"])


@mistake("pool_second_largest", "Takes each window's second-largest value.")
def pool_second_largest(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    return max_pool(p["image"], p["window"], p["stride"], reduce=lambda w: sorted(w)[-2])


# --- parameter counts of layer stacks (linear-model-params, conv-stack-params, two-models) ------

def _layers_with_params(layers: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """(weights, inputs, outputs) of each Linear or Conv2d layer."""
    out = []
    for layer in layers:
        if layer["layer"] == "Linear":
            out.append((layer["in"] * layer["out"], layer["in"], layer["out"]))
        elif layer["layer"] == "Conv2d":
            kh, kw = pair(layer["kernel"])
            out.append((layer["in"] * layer["out"] * kh * kw, layer["in"], layer["out"]))
    return out


def _stack_mistakes(key: str, prefix: str) -> None:
    """Register the parameter-count mistakes for the layer stack in parameter `key`."""
    @mistake(f"{prefix}_no_bias", "Leaves out the biases (one per output unit or filter).")
    def no_bias(p: Params, s: Solved, ctx: SolveContext) -> int:
        return sum(w for w, _, _ in _layers_with_params(p[key]))

    @mistake(f"{prefix}_bias_per_input", "Gives each layer one bias per input instead of one per output.")
    def bias_per_input(p: Params, s: Solved, ctx: SolveContext) -> int:
        return sum(w + i for w, i, _ in _layers_with_params(p[key]))

    @mistake(f"{prefix}_sizes_added", "Adds each layer's input and output sizes instead of multiplying them.")
    def sizes_added(p: Params, s: Solved, ctx: SolveContext) -> int:
        return sum(w // (i * o) * (i + o) + o for w, i, o in _layers_with_params(p[key]))

    @mistake(f"{prefix}_last_layer_only", "Counts only the last layer with parameters.")
    def last_only(p: Params, s: Solved, ctx: SolveContext) -> int | None:
        rows = _layers_with_params(p[key])
        return None if len(rows) < 2 else rows[-1][0] + rows[-1][2]


_stack_mistakes("layers", "params")
_stack_mistakes("model1", "model1")
_stack_mistakes("model2", "model2")
