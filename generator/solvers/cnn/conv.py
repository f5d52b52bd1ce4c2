"""Convolution families: layer parameters, convolution and pooling by hand."""
from __future__ import annotations

from .. import Reject, SolveContext, Solved, follows, rule, solver
from ..checkers import checker, differences, tensor64
from ..common import as_list, products
from ..effort import Work
from ..handwork import correlate, max_pool
from ..mistakes import mistake
from ...models import Params


@solver("conv2d_params")
def conv2d_params(p: Params, ctx: SolveContext) -> Solved:
    """Trainable parameters of nn.Conv2d by the formula (in * kh * kw + bias) * out, in whole numbers;
    the checker counts them on a real nn.Conv2d."""
    kh, kw = p["kernel"]
    work = Work()
    weights = work.mul(work.mul(p["in_channels"], kh), kw)
    per_filter = work.add(weights, 1) if p["bias"] else weights
    total = work.mul(per_filter, p["out_channels"])
    return Solved(answers={"total": total}, work={"per_filter": per_filter, "weights_per_filter": weights},
                  effort=work.total)


@rule("kernel_fits_image")
def kernel_fits_image(p: Params) -> bool:
    """The kernel is smaller than the image in both directions."""
    return len(p["kernel"]) < len(p["image"]) and len(p["kernel"][0]) < len(p["image"][0])


@rule("kernel_not_trivial")
def kernel_not_trivial(p: Params) -> bool:
    """The kernel has at least two non-zero entries."""
    return sum(1 for row in p["kernel"] for v in row if v != 0) >= 2


@rule("conv_terms_moderate")
def conv_terms_moderate(p: Params) -> bool:
    """The window sums hold 14 to 28 non-zero products in all (12 windows of a two-term kernel,
    6 of a four-term one, 4 of a six-term one), so every variant is about the same hand work."""
    windows = (len(p["image"]) - len(p["kernel"]) + 1) * (len(p["image"][0]) - len(p["kernel"][0]) + 1)
    return 14 <= windows * sum(1 for row in p["kernel"] for v in row if v != 0) <= 28


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
    work = {"terms": terms, "out_rows": rows, "out_cols": cols}
    pool = p.get("pool", 0)
    if pool:
        if pool > min(rows, cols):
            raise Reject("pooling window larger than the convolution output")
        pooled = max_pool(out, pool, 1)
        if len(pooled) * len(pooled[0]) < 2:
            raise Reject("max pooling leaves a single value")
        answers["pooled"] = as_list(pooled)
        work["pool_windows"] = [[[out[i + a][j + b] for a in range(pool) for b in range(pool)]
                                 for j in range(len(pooled[0]))] for i in range(len(pooled))]
    return Solved(answers=answers, work=work, effort=_conv_by_hand_effort(p, rows, cols, pool))


def _conv_by_hand_effort(p: Params, rows: int, cols: int, pool: int) -> float:
    """The output size (two subtractions and additions), each window's products and sum as the
    solution writes them (× ±1 and × 0 free, so a window costs the additions of its non-zero terms),
    then each pooling window's largest of pool² values. Counted beside the answers, not through them."""
    kh, kw = len(p["kernel"]), len(p["kernel"][0])
    work = Work()
    work.add(work.add(len(p["image"]), -kh), 1)
    work.add(work.add(len(p["image"][0]), -kw), 1)
    for i in range(rows):
        for j in range(cols):
            work.dot([p["image"][i + a][j + b] for a in range(kh) for b in range(kw)],
                     [p["kernel"][a][b] for a in range(kh) for b in range(kw)])
    if pool:
        work.compare((rows - pool + 1) * (cols - pool + 1) * (pool * pool - 1))
    return work.total


@follows("conv2d_by_hand", "pooled")
def pooled_from_output(p: Params, answers: dict) -> list[list[float]]:
    """Part (b) from the student's own part (a): max pooling of the output they gave."""
    return as_list(max_pool(answers["output"], p["pool"], 1))


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


MIN_POOLED_VALUES = 3   # an output of one or two distinct values (all 9s, say) can be guessed, not worked


@solver("maxpool_by_hand")
def maxpool_by_hand(p: Params, ctx: SolveContext) -> Solved:
    """Max pooling with a square window and stride, with each window listed; the checker runs
    F.max_pool2d."""
    k, s = p["window"], p["stride"]
    out = max_pool(p["image"], k, s)
    if len({v for row in out for v in row}) < MIN_POOLED_VALUES:
        raise Reject(f"the output has fewer than {MIN_POOLED_VALUES} distinct values (a flat output is guessed)")
    windows = [[[p["image"][i * s + a][j * s + b] for a in range(k) for b in range(k)]
                for j in range(len(out[0]))] for i in range(len(out))]
    work = Work()
    work.compare(len(out) * len(out[0]) * (k * k - 1))   # each window's largest of k² values
    return Solved(answers={"output": as_list(out)},
                  work={"windows": windows, "out_rows": len(out), "out_cols": len(out[0])}, effort=work.total)


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


@mistake("conv_params_bias_per_pair", "Gives every (input channel, output channel) pair its own $k_h \\times k_w$ "
         "kernel and its own bias: $(k_h k_w + 1)\\,C_{in} C_{out}$, one bias per input channel of each filter.")
def conv_params_bias_per_pair(p: Params, s: Solved, ctx: SolveContext) -> int | None:
    kh, kw = p["kernel"]
    return None if p["in_channels"] == 1 else (kh * kw + 1) * p["in_channels"] * p["out_channels"]


@mistake("conv_params_all_biases_each", "Knows the layer has $C_{out}$ biases but adds all of them to every "
         "filter: $(C_{in} k_h k_w + C_{out})\\,C_{out}$.")
def conv_params_all_biases_each(p: Params, s: Solved, ctx: SolveContext) -> int:
    kh, kw = p["kernel"]
    return (p["in_channels"] * kh * kw + p["out_channels"]) * p["out_channels"]


@mistake("conv_params_depth_out", "Takes a filter's depth to be the number of output channels instead of input "
         "channels: $(C_{out} k_h k_w + 1)\\,C_{out}$.")
def conv_params_depth_out(p: Params, s: Solved, ctx: SolveContext) -> int | None:
    kh, kw = p["kernel"]
    return None if p["in_channels"] == p["out_channels"] else (p["out_channels"] * kh * kw + 1) * p["out_channels"]


@mistake("conv_params_filters_in", "Takes the number of filters to be the number of input channels instead of "
         "output channels: $(C_{in} k_h k_w + 1)\\,C_{in}$.")
def conv_params_filters_in(p: Params, s: Solved, ctx: SolveContext) -> int | None:
    kh, kw = p["kernel"]
    return None if p["in_channels"] == p["out_channels"] else (p["in_channels"] * kh * kw + 1) * p["in_channels"]


@mistake("conv_params_square_kernel", "Squares the kernel's height, as for a square kernel ($C_{in} k_h^2 + 1$ per "
         "filter), though this kernel is $k_h \\times k_w$.")
def conv_params_square_kernel(p: Params, s: Solved, ctx: SolveContext) -> int | None:
    kh, kw = p["kernel"]
    return None if kh == kw else (p["in_channels"] * kh * kh + 1) * p["out_channels"]


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


@mistake("pool_top_left", "Keeps the top-left value of each window (subsamples the image with the stride) "
         "instead of the window's maximum.")
def pool_top_left(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    return max_pool(p["image"], p["window"], p["stride"], reduce=lambda w: w[0])


@mistake("pool_sum", "Adds up the values in each window (sum pooling, as a convolution with a kernel of ones "
         "would) instead of taking their maximum.")
def pool_sum(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    return max_pool(p["image"], p["window"], p["stride"], reduce=sum)


@mistake("pool_window_overrun", "Counts the window's end inclusively, rows and columns $is$ to $is + k$, so each "
         "window takes one row and column too many (cut at the image's edge): an off-by-one.")
def pool_window_overrun(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    image, k, st = p["image"], p["window"], p["stride"]
    n, m = len(image), len(image[0])
    return [[max(image[a][b] for a in range(i * st, min(n, i * st + k + 1)) for b in range(j * st, min(m, j * st + k + 1)))
             for j in range(len(s.answers["output"][0]))] for i in range(len(s.answers["output"]))]


@mistake("pool_window_shifted", "Starts every window one pixel too far right and down (rows and columns $is + 1$ "
         "to $is + k$, cut at the image's edge): an off-by-one in where the windows begin.")
def pool_window_shifted(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    image, k, st = p["image"], p["window"], p["stride"]
    n, m = len(image), len(image[0])
    return [[max(image[a][b] for a in range(i * st + 1, min(n, i * st + k + 1)) for b in range(j * st + 1, min(m, j * st + k + 1)))
             for j in range(len(s.answers["output"][0]))] for i in range(len(s.answers["output"]))]


@mistake("pool_transposed", "Writes the pooled values down the columns instead of along the rows (the output "
         "transposed).")
def pool_transposed(p: Params, s: Solved, ctx: SolveContext) -> list[list[float]]:
    return [list(col) for col in zip(*s.answers["output"])]
