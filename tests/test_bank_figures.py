"""Figures drawn from the bank: edge labels upright and on one side, solutions readable in greyscale,
no edge through a label it does not belong to (issue 25, item 6)."""
from __future__ import annotations

import re

import pytest
from examgen.bank import load_bank
from examgen.models import Pick
from examgen.render import render_question, render_text
from examgen.sample import instantiate
from examgen.seeding import rng_for
from examgen.solve import make_context

CTX = make_context("cpu")
ARROWS = ("x-q", "y-q", "q-s", "z-s", "w-m", "v-m", "s-f", "m-f", "f-out")
EDGE_LABEL = re.compile(r"node\[([^\]]*)\]\s*\{\$([^$]*)\$\}")


def _compgraph(seed: int):
    """The drawn instance, and its question and solution as the paper prints them."""
    template = load_bank()["compgraph-arrows"]
    instance = instantiate(template, rng_for(seed, 0, template.id), CTX)
    part = render_question(instance, Pick(template), iter("a")).parts[0]
    return instance, part.question, part.solution


def _styles(tex: str) -> dict[str, str]:
    """The picture's named styles, `name/.style={...}`, as written."""
    return dict(re.findall(r"(\w+)/\.style=\{((?:[^{}]|\{[^{}]*\})*)\}", tex))


def _edge_labels(tex: str) -> list[tuple[str, str]]:
    """(options, text) of every label placed on a \\draw path."""
    return [m for line in tex.splitlines() if line.lstrip().startswith(r"\draw")
            for m in EDGE_LABEL.findall(line)]


@pytest.mark.parametrize("seed", range(4))
def test_compgraph_edge_labels_are_upright_and_all_on_the_left_of_their_arrow(seed: int) -> None:
    _, question, solution = _compgraph(seed)
    for tex in (question, solution):
        styles, labels = _styles(tex), _edge_labels(tex)
        assert labels and not re.search(r"sloped|rotate", tex)
        for options, _ in labels:
            assert options.strip() in styles, f"a label placed by hand: {options}"   # side set by its style only
            style = styles[options.strip()]
            assert "auto" in style and "inner sep" in style and "fill=white" in style
        assert "swap" not in styles["lab"]                  # forward values: left of travel, i.e. above


@pytest.mark.parametrize("seed", range(4))
def test_compgraph_solution_boxes_the_solvers_gradients_without_relying_on_colour(seed: int) -> None:
    instance, _, solution = _compgraph(seed)
    styles = _styles(solution)
    grads = [text for options, text in _edge_labels(solution) if options.strip() == "grad"]
    assert grads == [str(instance.answers["gradients"][a]) for a in ARROWS]
    assert re.search(r"(^|,)\s*draw\s*(,|$)", styles["grad"]) and "swap" in styles["grad"]  # boxed, below
    assert not re.search(r"red|blue|green|text=", styles["grad"] + styles["lab"])
    assert "boxed" in solution                              # the legend says how to tell them apart


# --- one-hidden-layer-sketch: bias labels clear of every edge -----------------------------------

RADIUS = 0.4          # minimum size=8mm
LABEL_W, LABEL_H, SHIFT = 0.35, 0.3, 0.1   # a \scriptsize b_k with its inner sep; the -1mm nudge


def _sketch(n_inputs: int, hidden: int) -> str:
    template = load_bank()["one-hidden-layer-sketch"]
    context = {"hidden": hidden, "n_inputs": n_inputs, "n_v": n_inputs * hidden, "n_b": hidden, "n_w": hidden}
    return render_text(template.parts[0].solution, context, "test")


def _units(tex: str) -> dict[str, tuple[float, float]]:
    found = re.findall(r"\\node\[unit[^\]]*\] \((\w+)\) at \(([-\d.]+), ([-\d.]+)\)", tex)
    return {name: (float(x), float(y)) for name, x, y in found}


def _bias_boxes(tex: str, units: dict[str, tuple[float, float]]) -> list[tuple[float, float, float, float]]:
    """Each bias label's box (x0, y0, x1, y1), from its `above right`/`below right` of a unit."""
    boxes, diag = [], RADIUS / 2 ** 0.5
    for side, unit in re.findall(r"(above|below) right=-1mm and 0mm of (\w+)\] \{\$b_", tex):
        x, y = units[unit]
        x0 = x + diag
        if side == "above":
            y0 = y + diag - SHIFT
            boxes.append((x0, y0, x0 + LABEL_W, y0 + LABEL_H))
        else:
            y1 = y - diag + SHIFT
            boxes.append((x0, y1 - LABEL_H, x0 + LABEL_W, y1))
    return boxes


def _crosses(a: tuple[float, float], b: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    """Whether the edge from unit a to unit b, drawn between their circles, enters the box."""
    x0, y0, x1, y1 = box
    (ax, ay), (bx, by) = a, b
    length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    ts = (RADIUS / length + (1 - 2 * RADIUS / length) * i / 200 for i in range(201))
    return any(x0 < ax + (bx - ax) * t < x1 and y0 < ay + (by - ay) * t < y1 for t in ts)


@pytest.mark.parametrize("n_inputs", [3, 4])
@pytest.mark.parametrize("hidden", range(2, 7))
def test_sketch_edges_pass_clear_of_the_bias_labels(n_inputs: int, hidden: int) -> None:
    tex = _sketch(n_inputs, hidden)
    units = _units(tex)
    boxes = _bias_boxes(tex, units)
    edges = re.findall(r"\\draw\[->\] \((\w+)\) -- .*?\((\w+)\);", tex)
    assert len(boxes) == hidden and len(edges) == hidden * (n_inputs + 1)
    for a, b in edges:
        for box in boxes:
            assert not _crosses(units[a], units[b], box), (a, b, box)


# --- pathsum-gradients: no arrow through a neuron it does not connect, none merging with another --

NODE_AT = re.compile(r"\\node\[neuron[^\]]*\] \((\w+)\) at \(([-\d.e]+), ([-\d.e]+)\)")
BENT = re.compile(r"\\draw\[->\] \((\w+)\) to\[bend left=([-\d.]+)\] \((\w+)\);")
NEURON_R = 0.35       # minimum size=7mm


def _pathsum_figure(seed: int | None) -> str:
    template = load_bank()["pathsum-gradients"]
    preset = "oslo-2022-2ab" if seed is None else None
    instance = instantiate(template, rng_for(seed or 0, 0, template.id), CTX, preset=preset)
    assert "minimum size=7mm" in template.stem
    return render_text(template.stem, dict(instance.params), "test")


def _tikz_bend(a: tuple[float, float], b: tuple[float, float], bend: float, t: float) -> tuple[float, float]:
    """TikZ's `to[bend left]` between two circles (tikzlibrarytopaths, relative out/in): from a's
    border at +bend to the centres' chord to b's border at -bend, control points 0.3915 of the
    border-to-border distance out along the same angles to the border-to-border chord."""
    import math

    def polar(p, angle, r):
        return (p[0] + r * math.cos(angle), p[1] + r * math.sin(angle))

    turn, chord = math.radians(bend), math.atan2(b[1] - a[1], b[0] - a[0])
    p0, p3 = polar(a, chord + turn, NEURON_R), polar(b, chord + math.pi - turn, NEURON_R)
    inner, reach = math.atan2(p3[1] - p0[1], p3[0] - p0[0]), 0.3915 * math.dist(p0, p3)
    c1, c2 = polar(p0, inner + turn, reach), polar(p3, inner + math.pi - turn, reach)
    s = 1 - t
    return tuple(s**3 * p + 3 * s * s * t * q + 3 * s * t * t * r + t**3 * u   # type: ignore[return-value]
                 for p, q, r, u in zip(p0, c1, c2, p3))


@pytest.mark.parametrize("seed", [None, *range(40)])
def test_pathsum_arrows_miss_every_neuron_they_do_not_connect_and_part_where_they_meet(seed: int | None) -> None:
    import math

    tex = _pathsum_figure(seed)
    where = {n: (float(x), float(y)) for n, x, y in NODE_AT.findall(tex)}
    edges = [(a, float(bend), b) for a, bend, b in BENT.findall(tex)]
    assert len(where) >= 8 and edges and len(edges) == tex.count(r"\draw[->]")
    arrival: dict[str, list[tuple[float, str]]] = {n: [] for n in where}
    for a, bend, b in edges:
        points = [_tikz_bend(where[a], where[b], bend, i / 200) for i in range(201)]
        for name, centre in where.items():
            if name not in (a, b):
                gap = min(math.dist(p, centre) for p in points)
                assert gap > NEURON_R + 0.1, f"{a}->{b} passes {gap:.2f} cm from the centre of {name}"
        for node, edge in ((a, points[0]), (b, points[-1])):   # where the arrow meets the circle
            angle = math.degrees(math.atan2(edge[1] - where[node][1], edge[0] - where[node][0]))
            arrival[node].append((angle, f"{a}->{b}"))
    for node, seen in arrival.items():   # two arrows meeting a neuron at nearly one point read as one
        for i, (u, one) in enumerate(seen):
            for v, other in seen[i + 1:]:
                assert abs((u - v + 180) % 360 - 180) >= 12, f"{one} and {other} meet {node} together"
