"""Theoretical field of view (receptive field) of a stack of convolutions, and its weight count."""
from __future__ import annotations

import random

from .. import Reject, SolveContext, Solved, drawer, rule, solver
from ..checkers import checker, differences, field_by_intervals
from ..effort import Work
from ..mistakes import mistake
from ...models import Params


def field_of_view(kernels: list[int], strides: list[int], work: Work | None = None) -> tuple[int, list[str]]:
    """1 + Σ (k_i − 1) · (product of the strides before layer i), with each term as text; `work`
    tallies the hand work (each k − 1, its product with the stride, the running sum)."""
    work = work or Work()
    size, jump, terms = 1, 1, ["1"]
    for k, s in zip(kernels, strides):
        size = work.add(size, work.mul(work.add(k, -1), jump))
        terms.append(f"({k}-1)" if jump == 1 else f"{jump}\\cdot({k}-1)")
        jump = work.mul(jump, s)
    return size, terms


def measured_fov(kernels: list[int], strides: list[int], ctx: SolveContext) -> tuple[int, int]:
    """(count, span) of the input rows one output pixel depends on, found with autograd through
    all-ones convolutions: how many rows influence it, and from the first to the last of them."""
    import torch
    import torch.nn.functional as F

    size = 2 * (1 + sum(k - 1 for k in kernels) * max(strides) ** 2) + 8
    x = ctx.tensor([[[[0.0] * size] * size]]).requires_grad_()
    y = x
    for k, s in zip(kernels, strides):
        y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=x.dtype, device=x.device), stride=s)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero()
    return int(rows.numel()), int(rows.max() - rows.min() + 1)


@drawer("fov_kernels")
def fov_kernels(rng: random.Random, params: Params, count: int = 3) -> list[int]:
    """Odd kernel sizes for each layer, as a paper would list them."""
    return [rng.choice([1, 3, 3, 5, 5, 7]) for _ in range(count)]


@rule("fov_kernels_grow")
def fov_kernels_grow(p: Params) -> bool:
    """At most one 1x1 layer, so the field of view really grows through the stack."""
    return sum(1 for k in p["kernels"] if k == 1) <= 1 and len(p["filters"]) == len(p["kernels"])


@rule("fov_kernel_covers_stride")
def fov_kernel_covers_stride(p: Params) -> bool:
    """The strided first layer's kernel is at least its stride (else pixels between windows are skipped
    and the number of influencing pixels is not the span)."""
    return p["kernels"][0] >= p["first_stride"]


@solver("fov_and_params")
def fov_and_params(p: Params, ctx: SolveContext) -> Solved:
    """Field of view with stride 1 everywhere and with the first layer strided; weights without biases."""
    import torch.nn as nn

    ks = p["kernels"]
    flat = [1] * len(ks)
    strided = [p["first_stride"]] + [1] * (len(ks) - 1)
    work = Work()
    fov1, terms1 = field_of_view(ks, flat, work)
    fov2, terms2 = field_of_view(ks, strided, work)
    for fov, strides in ((fov1, flat), (fov2, strided)):
        count, span = measured_fov(ks, strides, ctx)
        if span != fov:
            raise AssertionError(f"formula {fov} != autograd span {span}")
        if count != span:
            raise Reject(f"only {count} of the {span} input pixels in the span influence the output")
    chans = [p["in_channels"], *p["filters"]]
    layers = [nn.Conv2d(chans[i], chans[i + 1], k, bias=False, device="meta") for i, k in enumerate(ks)]
    counts = [sum(t.numel() for t in layer.parameters()) for layer in layers]
    pieces = [f"{chans[i]}\\cdot {k}\\cdot {k}\\cdot {chans[i + 1]}" for i, k in enumerate(ks)]
    # (c) each layer's c_in·k·k·c_out, then their sum (beside the module counts, which stand)
    work.sum([work.mul(work.mul(work.mul(chans[i], k), k), chans[i + 1]) for i, k in enumerate(ks)])
    return Solved(answers={"fov_stride1": fov1, "fov_strided": fov2, "weights": sum(counts)},
                  work={"terms1": " + ".join(terms1), "terms2": " + ".join(terms2),
                        "pieces": pieces, "counts": counts}, effort=work.total)


# --- independent check (examgen check): the answers computed another way --------------------

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


# --- mistakes: the wrong answers students give, as distractors ------------------------------

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


def _later_jumps(p: Params, jumps_after: list[int]) -> int:
    """The field with the first layer's k-1 at jump 1 and the later layers' at the given jumps."""
    return _fov(p["kernels"], [1, *jumps_after])


@mistake("fov_full_kernels", "Adds each layer's whole kernel size $k$ (times its jump) instead of $k - 1$: "
         "$1 + \\sum_l k_l\\, j_l$.")
def fov_full_kernels(p: Params, s: Solved, ctx: SolveContext) -> int:
    jumps = [1] + [p["first_stride"]] * (len(p["kernels"]) - 1)
    return 1 + sum(k * j for k, j in zip(p["kernels"], jumps))


@mistake("fov_stride_squared", "Multiplies the later layers' $k-1$ by the stride squared, $s^2$, as if the "
         "stride shrank the image in both directions along this one.")
def fov_stride_squared(p: Params, s: Solved, ctx: SolveContext) -> int:
    return _later_jumps(p, [p["first_stride"] ** 2] * (len(p["kernels"]) - 1))


@mistake("fov_stride_compounded", "Multiplies by the stride once more at every later layer ($s$, then $s^2$), "
         "as if every layer strided.")
def fov_stride_compounded(p: Params, s: Solved, ctx: SolveContext) -> int:
    return _later_jumps(p, [p["first_stride"] ** (i + 1) for i in range(len(p["kernels"]) - 1)])


@mistake("fov_weights_bias_per_slice", "Gives each filter one bias per input channel (a bias for every $k \\times k$ "
         "slice of it), though the question leaves biases out.")
def fov_weights_bias_per_slice(p: Params, s: Solved, ctx: SolveContext) -> int:
    chans = [p["in_channels"], *p["filters"]]
    return s.answers["weights"] + sum(chans[i] * f for i, f in enumerate(p["filters"]))


@mistake("fov_weights_own_depth", "Takes each layer's kernels to be as deep as its own number of filters instead "
         "of its input's channels: $\\sum_l k_l^2 f_l^2$.")
def fov_weights_own_depth(p: Params, s: Solved, ctx: SolveContext) -> int:
    return sum(k * k * f * f for k, f in zip(p["kernels"], p["filters"]))


@mistake("fov_weights_depth_added", "Adds the input channels and the filters instead of multiplying them: "
         "$\\sum_l k_l^2 (c_{l-1} + f_l)$.")
def fov_weights_depth_added(p: Params, s: Solved, ctx: SolveContext) -> int:
    chans = [p["in_channels"], *p["filters"]]
    return sum(k * k * (chans[i] + f) for i, (k, f) in enumerate(zip(p["kernels"], p["filters"])))


@mistake("fov_stride_own_layer", "Multiplies the strided layer's own $k - 1$ by the stride instead of the later "
         "layers' (the stride applied to the wrong layers).")
def fov_stride_own_layer(p: Params, s: Solved, ctx: SolveContext) -> int:
    return _fov(p["kernels"], [p["first_stride"]] + [1] * (len(p["kernels"]) - 1))
