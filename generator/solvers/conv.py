"""Convolution families: layer parameters, convolution and pooling by hand."""
from __future__ import annotations

from . import Reject, SolveContext, Solved, rule, solver
from .common import as_list, products
from ..models import Params


@solver("conv2d_params")
def conv2d_params(p: Params, ctx: SolveContext) -> Solved:
    """Trainable parameters of nn.Conv2d, counted on the real module and by the formula."""
    import torch.nn as nn

    kh, kw = p["kernel"]
    # on the meta device: the same parameters, without filling up to 2.6 million weights at random
    layer = nn.Conv2d(p["in_channels"], p["out_channels"], (kh, kw), bias=p["bias"], device="meta")
    counted = sum(t.numel() for t in layer.parameters())
    per_filter = p["in_channels"] * kh * kw + (1 if p["bias"] else 0)
    total = per_filter * p["out_channels"]
    if counted != total:  # the module is the authority; the formula is what we show
        raise AssertionError(f"formula {total} != torch {counted}")
    return Solved(answers={"total": counted}, work={"per_filter": per_filter, "weights_per_filter": p["in_channels"] * kh * kw})


@rule("kernel_fits_image")
def kernel_fits_image(p: Params) -> bool:
    """The kernel is smaller than the image in both directions."""
    return len(p["kernel"]) < len(p["image"]) and len(p["kernel"][0]) < len(p["image"][0])


@rule("kernel_not_trivial")
def kernel_not_trivial(p: Params) -> bool:
    """The kernel has at least two non-zero entries."""
    return sum(1 for row in p["kernel"] for v in row if v != 0) >= 2


@solver("conv2d_by_hand")
def conv2d_by_hand(p: Params, ctx: SolveContext) -> Solved:
    """Cross-correlation (what nn.Conv2d computes), no padding, stride 1; then optional max pooling."""
    import torch.nn.functional as F

    image, kernel = ctx.tensor(p["image"]), ctx.tensor(p["kernel"])
    out = F.conv2d(image[None, None], kernel[None, None])[0, 0]
    if out.numel() > 1 and bool((out == out.flatten()[0]).all()):
        raise Reject("every output value is the same")
    kh, kw = kernel.shape
    terms = [[products([p["image"][i + a][j + b] for a in range(kh) for b in range(kw)],
                       [p["kernel"][a][b] for a in range(kh) for b in range(kw)])
              for j in range(out.shape[1])] for i in range(out.shape[0])]
    answers = {"output": as_list(out)}
    pool = p.get("pool", 0)
    if pool:
        if pool > min(out.shape):
            raise Reject("pooling window larger than the convolution output")
        pooled = F.max_pool2d(out[None, None], pool, stride=1)[0, 0]
        if pooled.numel() < 2:
            raise Reject("max pooling leaves a single value")
        answers["pooled"] = as_list(pooled)
    return Solved(answers=answers, work={"terms": terms, "out_rows": out.shape[0], "out_cols": out.shape[1]})


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
    """Max pooling with a square window and stride, by torch, with each window listed."""
    import torch.nn.functional as F

    image = ctx.tensor(p["image"])
    k, s = p["window"], p["stride"]
    out = F.max_pool2d(image[None, None], k, stride=s)[0, 0]
    windows = [[[p["image"][i * s + a][j * s + b] for a in range(k) for b in range(k)]
                for j in range(out.shape[1])] for i in range(out.shape[0])]
    return Solved(answers={"output": as_list(out)},
                  work={"windows": windows, "out_rows": out.shape[0], "out_cols": out.shape[1]})
