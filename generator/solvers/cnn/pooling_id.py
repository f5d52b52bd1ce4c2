"""Identify a pooling operation (max or average, window, stride) from its input and output."""
from __future__ import annotations

import random
from typing import Any

from .. import Reject, SolveContext, Solved, drawer, rule, solver
from ..checkers import ROUNDED_TOL, checker, differences
from ..common import as_list
from ..effort import Work
from ..handwork import max_pool
from ...models import Params

OPERATIONS = ("max", "average")
WINDOWS = (2, 3, 4)
STRIDES = (1, 2, 3)


def pool(image: list[list[float]], operation: str, window: int, stride: int) -> list[list[float]]:
    """Square pooling without padding, by torch (float64)."""
    import torch
    import torch.nn.functional as F

    x = torch.tensor(image, dtype=torch.float64)[None, None]
    fn = F.max_pool2d if operation == "max" else F.avg_pool2d
    return as_list(fn(x, window, stride=stride)[0, 0], 4)


def shape_fits(size: int, window: int, stride: int) -> bool:
    """The window and stride step exactly across the input and give at least a 2x2 output."""
    return stride <= window < size and (size - window) % stride == 0


def candidates(size: int, out_size: int) -> list[tuple[int, int]]:
    """(window, stride) pairs whose output has the observed size."""
    return [(k, s) for k in WINDOWS for s in STRIDES
            if shape_fits(size, k, s) and (size - k) // s + 1 == out_size]


def matches(image: list[list[float]], output: list[list[float]]) -> list[dict[str, Any]]:
    """Every (operation, window, stride) that turns the input into the output."""
    found = []
    for k, s in candidates(len(image), len(output)):
        for op in OPERATIONS:
            if pool(image, op, k, s) == output:
                found.append({"operation": op, "window": k, "stride": s})
    return found


def rivals(image: list[list[float]], output: list[list[float]]) -> list[tuple[str, int, int]]:
    """Every (operation, window, stride) a student could answer: any square window and any stride up
    to the input's size, the windows need not tile the input (the last rows may be left over, and a
    stride larger than the window skips pixels), as long as pooling gives this output."""
    n, found = len(image), []
    for k in range(1, n + 1):
        for s in range(1, n + 1):
            if (n - k) // s + 1 != len(output):
                continue
            for op in OPERATIONS:
                if _pool_by_hand(image, op, k, s) == output:
                    found.append((op, k, s))
    return found


def _pool_by_hand(image: list[list[float]], operation: str, window: int, stride: int) -> list[list[float]]:
    """Pooling in floor mode by loops, averages to four places as `pool` gives them."""
    reduce = max if operation == "max" else (lambda w: round(sum(w) / len(w), 4))
    return max_pool(image, window, stride, reduce=reduce)


@drawer("pooling_id_output")
def pooling_id_output(rng: random.Random, params: Params) -> list[list[float]]:
    """The output of the (hidden) drawn pooling on the drawn image; shown in the question."""
    if not shape_fits(params["size"], params["window"], params["stride"]):
        return [[0]]  # the rule pooling_id_unique rejects this draw
    return pool(params["image"], params["operation"], params["window"], params["stride"])


@rule("pooling_id_unique")
def pooling_id_unique(p: Params) -> bool:
    """Exactly one pooling (operation, window, stride) maps the input to the output, also among windows
    that leave rows over or strides that skip pixels (2x2 to 3x3 outputs, at least three distinct
    values, averages on a quarter grid)."""
    out = p["output"]
    if len(out) < 2 or len(out) > 3:
        return False
    if any(abs(v * 4 - round(v * 4)) > 1e-9 for row in out for v in row):
        return False
    if len({v for row in out for v in row}) < 3:  # a flat output says little about the window
        return False
    return len(matches(p["image"], out)) == 1 and len(rivals(p["image"], out)) == 1


@solver("pooling_identify")
def pooling_identify(p: Params, ctx: SolveContext) -> Solved:
    """Search max/average pooling over windows and strides; the match must be unique."""
    size, out = len(p["image"]), p["output"]
    found = matches(p["image"], out)
    if len(found) != 1:
        raise Reject(f"{len(found)} poolings fit")
    (best,) = found
    tried = [{"window": k, "stride": s, "fits": {op: pool(p["image"], op, k, s) == out for op in OPERATIONS}}
             for k, s in candidates(size, len(out))]
    k, s = best["window"], best["stride"]
    corner = [p["image"][a][b] for a in range(k) for b in range(k)]
    return Solved(answers={"found_operation": best["operation"], "found_window": k, "found_stride": s},
                  work={"tried": tried, "corner": corner, "out_size": len(out), "in_size": size,
                        "corner_max": max(corner), "corner_mean": sum(corner) / len(corner)},
                  effort=_identify_effort(p["image"], out, tried, best))


def _window_work(work: Work, values: list[float], operation: str) -> None:
    """One window pooled by hand: its largest value (k² − 1 comparisons) or its mean (sum, ÷ k²)."""
    if operation == "max":
        work.compare(len(values) - 1)
    else:
        work.div(work.sum(values), len(values))


def _identify_effort(image: list[list[float]], out: list[list[float]], tried: list[dict[str, Any]],
                     best: dict[str, Any]) -> float:
    """Each tried window and stride: its output size ((n − k)/s + 1) and its top-left window's maximum
    and mean against the first output; then the one that fits, every other window against its
    output value. Counted beside the answers."""
    work = Work()
    n = len(image)
    for t in tried:
        k, s = t["window"], t["stride"]
        work.add(work.div(work.add(n, -k), s), 1)
        corner = [image[a][b] for a in range(k) for b in range(k)]
        for op in OPERATIONS:
            _window_work(work, corner, op)
            work.compare()
    k, s = best["window"], best["stride"]
    for i in range(len(out)):
        for j in range(len(out)):
            if i or j:
                _window_work(work, [image[i * s + a][j * s + b] for a in range(k) for b in range(k)], best["operation"])
                work.compare()
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

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
