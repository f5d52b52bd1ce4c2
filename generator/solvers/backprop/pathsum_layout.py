"""Where the path-sum network's edges run: the bend of every arrow, chosen so that no arrow passes
through a neuron it does not connect and no two arrows run together (issue 25).

The geometry is the figure's own: the template places node [name, column, row] at
(column * COLUMN_CM, row * ROW_CM) as a circle of RADIUS_CM, and draws `(a) to[bend left=θ] (b)`,
which TikZ makes a cubic Bézier leaving a at θ to the chord and entering b at -θ (`curve`).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

Point = tuple[float, float]
COLUMN_CM, ROW_CM, RADIUS_CM = 2.2, -1.8, 0.35   # the template's `n[1] * 2.2`, `n[2] * -1.8`, 7 mm circles
CLEARANCE_CM = 0.2       # an arrow keeps this much white between itself and a neuron it passes
APART_DEG = 20.0         # arrows at one neuron meet its circle at least this far apart
PARALLEL_DEG = 15.0      # two arrows this close in direction where they come near read as one line
TOGETHER_CM = 0.15       # two arrows this close and near parallel read as one line
BENDS = (0, 10, -10, 20, -20, 30, -30, 40, -40, 50, -50, 60, -60, 70, -70)
CAPS = (30, 50, 70)      # the largest bend a search may use, in turn
SAMPLES = 48
SEARCH_STEPS = 4000      # give up (the draw is redrawn) rather than search for long


def centres(nodes: list[list[Any]]) -> dict[str, Point]:
    """Each node's centre in cm, as the template places it."""
    return {n: (c * COLUMN_CM, r * ROW_CM) for n, c, r in nodes}


_T = np.linspace(0.0, 1.0, SAMPLES + 1)[:, None]
_WEIGHTS = np.hstack([(1 - _T) ** 3, 3 * (1 - _T) ** 2 * _T, 3 * (1 - _T) * _T ** 2, _T ** 3])  # Bernstein, per t


def curve(a: Point, b: Point, bend: float) -> np.ndarray:
    """Points along `(a) to[bend left=bend] (b)`, from a's circle to b's (SAMPLES + 1 rows of x, y):
    TikZ leaves a's border at `bend` to the chord of the centres, enters b's at -bend, and puts the
    control points 0.3915 of the border-to-border distance out, at the same angles to the
    border-to-border chord."""
    turn = math.radians(bend)
    chord = math.atan2(b[1] - a[1], b[0] - a[0])
    p0 = (a[0] + RADIUS_CM * math.cos(chord + turn), a[1] + RADIUS_CM * math.sin(chord + turn))
    p3 = (b[0] - RADIUS_CM * math.cos(chord - turn), b[1] - RADIUS_CM * math.sin(chord - turn))
    inner, reach = math.atan2(p3[1] - p0[1], p3[0] - p0[0]), 0.3915 * math.dist(p0, p3)
    p1 = (p0[0] + reach * math.cos(inner + turn), p0[1] + reach * math.sin(inner + turn))
    p2 = (p3[0] - reach * math.cos(inner - turn), p3[1] - reach * math.sin(inner - turn))
    return _WEIGHTS @ np.array([p0, p1, p2, p3])


def through_nodes(points: np.ndarray, ends: tuple[str, str], where: dict[str, Point]) -> list[str]:
    """The neurons, other than its own two, that an arrow comes too close to."""
    near = RADIUS_CM + CLEARANCE_CM
    low, high = points.min(axis=0) - near, points.max(axis=0) + near
    return [n for n, c in where.items() if n not in ends and low[0] < c[0] < high[0] and low[1] < c[1] < high[1]
            and bool((np.hypot(points[:, 0] - c[0], points[:, 1] - c[1]) < near).any())]


def _leaving(points: np.ndarray, node: Point) -> float:
    """The direction, seen from a node's centre, in which an arrow meets its circle (degrees)."""
    first, last = points[0], points[-1]
    p = first if math.dist(first, node) < math.dist(last, node) else last
    return math.degrees(math.atan2(p[1] - node[1], p[0] - node[0]))


def _angle(u: float, v: float) -> float:
    return abs((u - v + 180) % 360 - 180)


def _headings(points: np.ndarray) -> np.ndarray:
    """Each point's direction of travel along the arrow (degrees), from its two neighbours."""
    n = len(points)
    before, after = np.clip(np.arange(n) - 1, 0, n - 1), np.clip(np.arange(n) + 1, 0, n - 1)
    step = points[after] - points[before]
    return np.degrees(np.arctan2(step[:, 1], step[:, 0]))


def run_together(p: np.ndarray, q: np.ndarray, skip: list[Point]) -> bool:
    """Whether two arrows run along each other somewhere (near and near-parallel), away from
    the neurons in `skip` where they may meet: some point of p, away from them, has its nearest
    point of q closer than TOGETHER_CM, both heading within PARALLEL_DEG of one line."""
    if not _boxes_meet(p, q):
        return False
    ps, qs = p, q
    keep = np.ones(len(ps), dtype=bool)
    for s in skip:
        keep &= np.hypot(ps[:, 0] - s[0], ps[:, 1] - s[1]) >= RADIUS_CM + 0.3
    if not keep.any():
        return False
    gaps = np.hypot(ps[keep, None, 0] - qs[None, :, 0], ps[keep, None, 1] - qs[None, :, 1])
    nearest = gaps.argmin(axis=1)
    close = gaps[np.arange(len(nearest)), nearest] < TOGETHER_CM
    if not close.any():
        return False
    turn = np.abs((_headings(ps)[keep][close] - _headings(qs)[nearest[close]] + 180) % 360 - 180)
    return bool((np.minimum(turn, 180 - turn) < PARALLEL_DEG).any())


def _boxes_meet(p: np.ndarray, q: np.ndarray) -> bool:
    """Whether the two point sets' bounding boxes, widened by TOGETHER_CM, overlap (a quick no)."""
    return bool(((p.min(axis=0) - TOGETHER_CM <= q.max(axis=0)) & (q.min(axis=0) - TOGETHER_CM <= p.max(axis=0))).all())


def clash(one: tuple[str, str, np.ndarray], other: tuple[str, str, np.ndarray], where: dict[str, Point]) -> bool:
    """Whether two drawn arrows can be mistaken for one: they meet a shared neuron at nearly the
    same point of its circle, or run along each other."""
    shared = {one[0], one[1]} & {other[0], other[1]}
    if any(_angle(_leaving(one[2], where[n]), _leaving(other[2], where[n])) < APART_DEG for n in shared):
        return True
    return run_together(one[2], other[2], [where[n] for n in shared])


def problems(graph: dict[str, Any]) -> list[str]:
    """What is wrong with a drawn graph's figure: arrows through neurons, arrows that merge."""
    where = centres(graph["nodes"])
    drawn = [(s, d, curve(where[s], where[d], bend)) for s, d, bend in graph["edges"]]
    found = [f"{s}->{d} passes through {n}" for s, d, pts in drawn for n in through_nodes(pts, (s, d), where)]
    for i, one in enumerate(drawn):
        found += [f"{one[0]}->{one[1]} and {o[0]}->{o[1]} run together" for o in drawn[i + 1:] if clash(one, o, where)]
    return found


def choose_bends(nodes: list[list[Any]], edges: list[list[str]], first: list[float]) -> list[float] | None:
    """A bend for every edge such that the figure has no `problems`, the gentlest curves that do
    (`first[i]` tried first, then straight, then ever larger bends either way); None if the search
    finds none in time."""
    where = centres(nodes)
    options = [[(b, (s, d, pts)) for b in dict.fromkeys([preferred, *BENDS])
                for pts in [curve(where[s], where[d], b)] if not through_nodes(pts, (s, d), where)]
               for (s, d), preferred in zip(edges, first)]
    clashes = _Clashes(where)
    for cap in CAPS:
        gentle = [[o for o in opts if abs(o[0]) <= max(cap, abs(f))] for opts, f in zip(options, first)]
        order = sorted(range(len(edges)), key=lambda i: len(gentle[i]))   # the most constrained first
        picked: dict[int, tuple[float, Any]] = {}
        if _search(order, gentle, clashes, picked, iter(range(SEARCH_STEPS))):
            return [picked[i][0] for i in range(len(edges))]
    return None


class _Clashes:
    """`clash` remembered for each pair of (edge, bend): the search asks the same ones again."""

    def __init__(self, where: dict[str, Point]) -> None:
        self.where, self.known = where, {}

    def __call__(self, k: int, mine: Any, j: int, other: Any) -> bool:
        key = (k, id(mine), j, id(other))
        if key not in self.known:
            self.known[key] = clash(mine, other, self.where)
        return self.known[key]


def _search(order: list[int], options: list[list[tuple[float, Any]]], clashes: _Clashes,
            picked: dict[int, tuple[float, Any]], steps: Iterator[int]) -> bool:
    """Depth-first: give the next edge in `order` the first bend that clashes with none placed."""
    if len(picked) == len(order):
        return True
    k = order[len(picked)]
    for bend, mine in options[k]:
        if next(steps, None) is None:
            return False
        if any(clashes(k, mine, j, other) for j, (_, other) in picked.items()):
            continue
        picked[k] = (bend, mine)
        if _search(order, options, clashes, picked, steps):
            return True
        del picked[k]
    return False
