"""Convolution families: layer parameters, convolution and pooling by hand."""
from __future__ import annotations

from .. import Reject, SolveContext, Solved, rule, solver
from ..checkers import checker, differences, tensor64
from ..common import as_list, products
from ..handwork import correlate, max_pool
from ..mistakes import mistake
from ...models import Params


@solver("conv2d_params")
def conv2d_params(p: Params, ctx: SolveContext) -> Solved:
    """Trainable parameters of nn.Conv2d by the formula (in * kh * kw + bias) * out, in whole numbers;
    the checker counts them on a real nn.Conv2d."""
    kh, kw = p["kernel"]
    per_filter = p["in_channels"] * kh * kw + (1 if p["bias"] else 0)
    return Solved(answers={"total": per_filter * p["out_channels"]},
                  work={"per_filter": per_filter, "weights_per_filter": p["in_channels"] * kh * kw})


@rule("kernel_fits_image")
def kernel_fits_image(p: Params) -> bool:
    """The kernel is smaller than the image in both directions."""
    return len(p["kernel"]) < len(p["image"]) and len(p["kernel"][0]) < len(p["image"][0])


@rule("kernel_not_trivial")
def kernel_not_trivial(p: Params) -> bool:
    """The kernel has at least two non-zero entries."""
    return sum(1 for row in p["kernel"] for v in row if v != 0) >= 2


# Products on one line of the working: nine of a 3x3 kernel, with negative weights in brackets,
# ran 32pt into the margin; a line holds whole kernel rows, at most six products.
LINE_PRODUCTS = 6


def _bands(rows: int, per_line: int) -> list[range]:
    """Kernel rows grouped for the printed lines: 3 rows, 2 a line -> [0, 1], [2]."""
    return [range(start, min(start + per_line, rows)) for start in range(0, rows, per_line)]


@solver("conv2d_by_hand")
def conv2d_by_hand(p: Params, ctx: SolveContext) -> Solved:
    """Cross-correlation (what nn.Conv2d computes), no padding, stride 1; then optional max pooling.
    Exact sums of the printed numbers; the checker runs F.conv2d and F.max_pool2d."""
    out = correlate(p["image"], p["kernel"])
    rows, cols = len(out), len(out[0])
    if rows * cols > 1 and len({v for row in out for v in row}) == 1:
        raise Reject("every output value is the same")
    kh, kw = len(p["kernel"]), len(p["kernel"][0])
    per_line = max(1, LINE_PRODUCTS // kw)   # kernel rows on one printed line
    terms = [[[products([p["image"][i + a][j + b] for a in band for b in range(kw)],
                        [p["kernel"][a][b] for a in band for b in range(kw)])
               for band in _bands(kh, per_line)]
              for j in range(cols)] for i in range(rows)]
    answers = {"output": as_list(out)}
    pool = p.get("pool", 0)
    if pool:
        if pool > min(rows, cols):
            raise Reject("pooling window larger than the convolution output")
        pooled = max_pool(out, pool, 1)
        if len(pooled) * len(pooled[0]) < 2:
            raise Reject("max pooling leaves a single value")
        answers["pooled"] = as_list(pooled)
    return Solved(answers=answers, work={"terms": terms, "out_rows": rows, "out_cols": cols})


@rule("pool_tiles_evenly")
def pool_tiles_evenly(p: Params) -> bool:
    """The pooling window and stride cover the input exactly, giving at least a 2x2 output."""
    h, w, k, s = len(p["image"]), len(p["image"][0]), p["window"], p["stride"]
    return k <= min(h, w) and (h - k) % s == 0 and (w - k) % s == 0 and (h - k) // s >= 1 and (w - k) // s >= 1


@rule("pool_output_small")
def pool_output_small(p: Params) -> bool:
    """Pooling gives at most 9 output values, so the question is workable by hand."""
    h, k, s = len(p["image"]), p["window"], p["stride"]
    return ((h - k) // s + 1) ** 2 <= 9


@solver("maxpool_by_hand")
def maxpool_by_hand(p: Params, ctx: SolveContext) -> Solved:
    """Max pooling with a square window and stride, with each window listed; the checker runs
    F.max_pool2d."""
    k, s = p["window"], p["stride"]
    out = max_pool(p["image"], k, s)
    windows = [[[p["image"][i * s + a][j * s + b] for a in range(k) for b in range(k)]
                for j in range(len(out[0]))] for i in range(len(out))]
    return Solved(answers={"output": as_list(out)},
                  work={"windows": windows, "out_rows": len(out), "out_cols": len(out[0])})


# --- independent check (examgen check): the answers computed another way --------------------

@checker("conv2d_params")
def check_conv2d_params(p: Params, solved: Solved) -> list[str]:
    """The count on a freshly built nn.Conv2d (on the meta device), against the solver's formula."""
    import torch.nn as nn

    layer = nn.Conv2d(p["in_channels"], p["out_channels"], tuple(p["kernel"]), bias=p["bias"], device="meta")
    return differences("total (nn.Conv2d)", solved.answers["total"], sum(t.numel() for t in layer.parameters()))


@checker("conv2d_by_hand")
def check_conv2d_by_hand(p: Params, solved: Solved) -> list[str]:
    """F.conv2d (what nn.Conv2d computes) and the optional stride-1 F.max_pool2d, in float64."""
    import torch.nn.functional as F

    out = F.conv2d(tensor64(p["image"])[None, None], tensor64(p["kernel"])[None, None])
    problems = differences("output", solved.answers["output"], out[0, 0].tolist())
    if p.get("pool"):
        pooled = F.max_pool2d(out, p["pool"], stride=1)[0, 0].tolist()
        problems += differences("pooled", solved.answers.get("pooled"), pooled)
    return problems


@checker("maxpool_by_hand")
def check_maxpool_by_hand(p: Params, solved: Solved) -> list[str]:
    """F.max_pool2d with the window and stride, in float64."""
    import torch.nn.functional as F

    out = F.max_pool2d(tensor64(p["image"])[None, None], p["window"], stride=p["stride"])[0, 0].tolist()
    return differences("output", solved.answers["output"], out)


# --- mistakes: the wrong answers students give, as distractors ------------------------------

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
