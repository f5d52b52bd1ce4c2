"""Gradients of a small directed network of neurons as chain-rule path sums.

A graph is plain data: `nodes` [[name, column, row], ...] (inputs x1, x2, hidden a, b, ..., output y)
and `edges` [[from, to, bend], ...]. The expanded answer is the sum over every path from y down to
the input; the factored answer splits every path at a cut of neurons it crosses exactly once:
dy/dx = sum over cut neurons w of (paths y -> w) * (paths w -> x), each side grouped recursively.
"""
from __future__ import annotations

import itertools
import math
import random
import re
from typing import Any, Union

from .. import Reject, SolveContext, Solved, drawer, rule, solver
from ..effort import Work
from ..checkers import checker, differences
from ..common import read_printed
from .pathsum_layout import choose_bends, problems
from ...models import Params

Graph = dict[str, Any]
# an expression: ("d", top, bottom) | ("sum", [expr]) | ("prod", [expr]) | ("one",)
Expr = Union[tuple]
INPUTS = ("x1", "x2")


def inputs_of(graph: Graph) -> dict[str, list[str]]:
    """Each neuron's direct inputs, in edge order."""
    table: dict[str, list[str]] = {n[0]: [] for n in graph["nodes"]}
    for src, dst, *_ in graph["edges"]:
        table[dst].append(src)
    return table


def consumers_of(graph: Graph) -> dict[str, list[str]]:
    """The neurons each node feeds, in edge order."""
    table: dict[str, list[str]] = {n[0]: [] for n in graph["nodes"]}
    for src, dst, *_ in graph["edges"]:
        table[src].append(dst)
    return table


def paths(graph: Graph, top: str, x: str) -> list[list[str]]:
    """Every path from `top` down to input `x`, as node lists [top, ..., x]."""
    if top == x:
        return [[x]]
    ins = inputs_of(graph)
    return [[top, *rest] for i in ins[top] for rest in paths(graph, i, x)]


def _prod(factors: list[Expr]) -> Expr:
    factors = [f for f in factors if f != ("one",)]
    return ("one",) if not factors else factors[0] if len(factors) == 1 else ("prod", factors)


def _sum(terms: list[Expr]) -> Expr | None:
    return None if not terms else terms[0] if len(terms) == 1 else ("sum", terms)


def down(graph: Graph, node: str, x: str) -> Expr | None:
    """Sum of paths node -> x, grouped by node's inputs: sum_i d node/d i * down(i)."""
    if node == x:
        return ("one",)
    terms = []
    for i in inputs_of(graph)[node]:
        rest = down(graph, i, x)
        if rest is not None:
            terms.append(_prod([("d", node, i), rest]))
    return _sum(terms)


def up(graph: Graph, node: str, top: str = "y") -> Expr:
    """Sum of paths top -> node, grouped by node's consumers: sum_p up(p) * d p/d node."""
    if node == top:
        return ("one",)
    terms = [_prod([up(graph, p, top), ("d", p, node)]) for p in consumers_of(graph)[node]]
    return _sum(terms) or ("one",)


def best_cut(graph: Graph, x: str, top: str = "y") -> list[str]:
    """The smallest set of neurons that every path top -> x crosses exactly once (deepest first)."""
    all_paths = paths(graph, top, x)
    inner = sorted({n for p in all_paths for n in p[1:-1]})
    depth = {n: max(p.index(n) for p in all_paths if n in p) for n in inner}
    for size in range(1, len(inner) + 1):
        cuts = [c for c in itertools.combinations(inner, size)
                if all(sum(n in p for n in c) == 1 for p in all_paths)]
        if cuts:
            best = max(cuts, key=lambda c: sum(depth[n] for n in c))
            return sorted(best, key=lambda n: [n2[0] for n2 in graph["nodes"]].index(n))
    return [top]


def factored(graph: Graph, x: str, top: str = "y") -> Expr:
    """dy/dx as sum over the cut of up(w) * down(w)."""
    terms = [_prod([up(graph, w, top), down(graph, w, x)]) for w in best_cut(graph, x, top)]
    return _sum(terms)


def expanded(graph: Graph, x: str, top: str = "y") -> Expr:
    """dy/dx as the plain sum over paths."""
    return _sum([_prod([("d", a, b) for a, b in zip(p, p[1:])]) for p in paths(graph, top, x)])


def _name(node: str) -> str:
    return f"x_{node[1:]}" if node.startswith("x") else node


def latex(e: Expr, inner: bool = False) -> str:
    """The paper's notation: \\frac{\\partial y}{\\partial e} products, sums in brackets when nested."""
    kind = e[0]
    if kind == "one":
        return "1"
    if kind == "d":
        return f"\\frac{{\\partial {_name(e[1])}}}{{\\partial {_name(e[2])}}}"
    if kind == "prod":
        return " ".join(latex(f, True) for f in e[1])
    text = " + ".join(latex(t) for t in e[1])
    return f"\\left({text}\\right)" if inner else text


def symbol_name(top: str, bottom: str) -> str:
    """The sympy symbol of one direct partial: d y / d e -> dy_de."""
    return f"d{top}_d{bottom}"


def to_sympy(e: Expr) -> Any:
    import sympy

    kind = e[0]
    if kind == "one":
        return sympy.Integer(1)
    if kind == "d":
        return sympy.Symbol(symbol_name(e[1], e[2]))
    parts = [to_sympy(t) for t in e[1]]
    return sympy.Mul(*parts) if kind == "prod" else sympy.Add(*parts)


def parse_printed(text: str) -> Any:
    """A printed answer written with dy_de-style symbols (read by `read_printed`, never evaluated)."""
    return read_printed(text, set(re.findall(r"d[a-z]\d?_d[a-z]\d?", text)))


# How wide a term may be on one line, in units of one direct derivative \frac{\partial y}{\partial e}
# (a bracket pair counts half, a "+" one). A display line in a part, or a line of the answer key,
# holds 22: no overfull line in 240 variants of the Oslo 2022 spec (seeds 1 to 4), where up to
# 50pt ran into the margin before.
LINE_UNITS = 22.0


def width(e: Expr) -> float:
    """A term's printed width in derivative units (see LINE_UNITS)."""
    kind = e[0]
    if kind == "one":
        return 0.5
    if kind == "d":
        return 1.0
    if kind == "prod":
        return sum(width(f) + (0.5 if f[0] == "sum" else 0.0) for f in e[1])
    return sum(width(t) for t in e[1]) + len(e[1]) - 1


def fit(e: Expr, units: float = LINE_UNITS) -> list[Expr]:
    """The terms of `e`, each narrow enough for one line: a term that is too wide has its widest
    bracket multiplied out into several terms (the same sum, grouped a little less)."""
    if e[0] == "sum":
        return [line for t in e[1] for line in fit(t, units)]
    if width(e) <= units or e[0] != "prod" or not any(f[0] == "sum" for f in e[1]):
        return [e]
    factors = e[1]
    widest = max((i for i, f in enumerate(factors) if f[0] == "sum"), key=lambda i: width(factors[i]))
    return [line for t in factors[widest][1]
            for line in fit(_flat_prod([*factors[:widest], t, *factors[widest + 1:]]), units)]


def _flat_prod(factors: list[Expr]) -> Expr:
    return _prod([g for f in factors for g in (f[1] if f[0] == "prod" else [f])])


def _gradient(graph: Graph, x: str) -> dict[str, Any]:
    fact = factored(graph, x)
    cut = best_cut(graph, x)
    terms, whole = fit(fact), fit(fact, math.inf)
    every = paths(graph, "y", x)
    return {"exact": to_sympy(fact), "factored": [latex(t) for t in terms], "spread": len(terms) > len(whole),
            "paths": [latex(_prod([("d", a, b) for a, b in zip(p, p[1:])])) for p in every],
            "cut": cut, "count": len(every),
            "symbols": sum(len(p) - 1 for p in every) + sum(_leaves(t) for t in terms)}


def _leaves(e: Expr) -> int:
    """How many direct derivatives an expression writes down."""
    return 1 if e[0] == "d" else 0 if e[0] == "one" else sum(_leaves(t) for t in e[1])


@solver("pathsum_gradients")
def pathsum_gradients(p: Params, ctx: SolveContext) -> Solved:
    """dy/dx2 and dy/dx1: enumerate paths and factor through a cut (`examgen check` expands the
    factored answer against the sum over every path, its checker, below)."""
    work, answers, effort = {}, {}, Work()
    for x in ("x2", "x1"):
        g = _gradient(p["graph"], x)
        if g["count"] < 2:
            raise Reject(f"only one path from y to {x}")
        answers[f"grad_{x}"] = g["exact"]
        work.update({f"factored_{x}": g["factored"], f"spread_{x}": g["spread"], f"paths_{x}": g["paths"],
                     f"cut_{x}": g["cut"]})
        effort.step(g["symbols"])  # each direct derivative written down, in the paths and the grouped form
    return Solved(answers=answers, work=work, effort=effort.total)


def autograd_check(graph: Graph, expr: Any, x: str, seed: int = 0) -> tuple[float, float]:
    """(autograd dy/dx, the expression with every direct partial put in) on a sigmoid network
    with random weights: the path sum must equal what torch's backward computes."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    ins = inputs_of(graph)
    weight = {(s, d): float(torch.randn((), generator=gen, dtype=torch.float64)) for s, d, *_ in graph["edges"]}
    xs = {n: torch.randn((), generator=gen, dtype=torch.float64).requires_grad_() for n in INPUTS}
    value: dict[str, Any] = dict(xs)
    local: dict[str, float] = {}
    for node in _topological(graph):
        if node in INPUTS:
            continue
        z = sum(weight[(i, node)] * value[i] for i in ins[node]) + 0.1
        value[node] = torch.sigmoid(z)
        slope = float(value[node].detach() * (1 - value[node].detach()))
        local.update({symbol_name(node, i): slope * weight[(i, node)] for i in ins[node]})
    (grad,) = torch.autograd.grad(value["y"], xs[x])
    return float(grad), float(expr.subs(local))


def _topological(graph: Graph) -> list[str]:
    return [n[0] for n in sorted(graph["nodes"], key=lambda n: n[1])]


@rule("pathsum_graph_workable")
def pathsum_graph_workable(p: Params) -> bool:
    """Every neuron lies on a path from an input to y; x2 reaches y by 2 to 8 paths, x1 by 3 to 8;
    x1 and x2 do not feed the same neurons (else one gradient is the other renamed)."""
    graph = p["graph"]
    on_path = {n for x in INPUTS for path in paths(graph, "y", x) for n in path}
    x1, x2 = (len(paths(graph, "y", x)) for x in INPUTS)
    fed = consumers_of(graph)
    return (on_path == {n[0] for n in graph["nodes"]} and 3 <= x1 <= 8 and 2 <= x2 <= 8
            and sorted(fed["x1"]) != sorted(fed["x2"]))


@drawer("pathsum_graph")
def pathsum_graph(rng: random.Random, params: Params, hidden: tuple[int, int] = (5, 7)) -> Graph:
    """A layered network: inputs x1, x2, 5 to 7 lettered neurons in 3 or 4 columns, then y.

    Each neuron takes 1 to 3 inputs from earlier columns (one from the column before it); y takes 2 or 3."""
    count = rng.randint(*hidden)
    columns = rng.choice([3, 4])
    sizes = _split(rng, count, columns)
    layout: list[list[str]] = [list(INPUTS)]
    letters = iter("abcdefghk")
    for size in sizes:
        layout.append([next(letters) for _ in range(size)])
    layout.append(["y"])
    edges = []
    for col in range(1, len(layout)):
        for node in layout[col]:
            k = rng.choice([2, 3]) if node == "y" else rng.choice([1, 1, 2, 2, 3])
            first = rng.choice(layout[col - 1])
            pool = [n for n in layout[col - 1] if n != first]
            if rng.random() < 0.5:  # skip connections now and then, not everywhere
                pool += [n for c in layout[:col - 1] for n in c]
            edges += [[src, node] for src in [first, *rng.sample(pool, min(k - 1, len(pool)))]]
    _feed_unused(rng, layout, edges)
    first = _first_bends(edges, layout)
    graph = {"nodes": _positions(layout), "edges": [[s, d, b] for (s, d), b in zip(edges, first)]}
    if pathsum_graph_workable({"graph": graph}):   # the bend search only for a graph the rules keep
        bends = choose_bends(graph["nodes"], edges, first) or first
        graph["edges"] = [[src, dst, bend] for (src, dst), bend in zip(edges, bends)]
    return graph


def _feed_unused(rng: random.Random, layout: list[list[str]], edges: list[list[str]]) -> None:
    """Give every neuron that feeds nothing a consumer in a later column."""
    for col in range(1, len(layout) - 1):
        for node in layout[col]:
            if not any(src == node for src, _ in edges):
                edges.append([node, rng.choice([n for c in layout[col + 1:] for n in c])])


def _split(rng: random.Random, count: int, columns: int) -> list[int]:
    """`count` neurons over `columns` columns, 1 to 3 in each."""
    while True:
        sizes = [rng.randint(1, 3) for _ in range(columns)]
        if sum(sizes) == count:
            return sizes


def _positions(layout: list[list[str]]) -> list[list[Any]]:
    """[name, column, row]: each column centred on row 0, hidden columns staggered so straight edges miss neurons."""
    def shift(c: int) -> float:
        return 0.0 if c in (0, len(layout) - 1) else (0.3 if c % 2 else -0.3)
    return [[n, c, round(r - (len(col) - 1) / 2 + shift(c), 1)] for c, col in enumerate(layout) for r, n in enumerate(col)]


def _first_bends(edges: list[list[str]], layout: list[list[str]]) -> list[float]:
    """Every edge's preferred bend: edges that skip a column bend outwards (up in the upper half,
    down in the lower). The drawer then asks `choose_bends` for whatever else keeps every edge off
    the neurons it does not connect and apart from the others (if it finds none, rule
    pathsum_figure_clear redraws the graph)."""
    where = {n: (c, r) for n, c, r in _positions(layout)}
    first, sign = [], 1
    for src, dst in edges:
        bend, span = 0, where[dst][0] - where[src][0]
        if span >= 2:
            middle = where[src][1] + where[dst][1]
            if middle == 0:
                middle, sign = sign, -sign
            bend = (12 * span + 6) * (1 if middle < 0 else -1)
        first.append(bend)
    return first


@rule("pathsum_figure_clear")
def pathsum_figure_clear(p: Params) -> bool:
    """The figure is unambiguous: no arrow passes through a neuron it does not connect, and no
    two arrows merge at a neuron or run along each other."""
    return not problems(p["graph"])


# --- independent check (examgen check): the answers computed another way --------------------

@checker("pathsum_gradients")
def check_pathsum_gradients(p: Params, solved: Solved) -> list[str]:
    """Give every direct partial a value, then sum dy/dx backwards over the DAG (reverse-mode
    accumulation, no path lists) and compare with the expression evaluated at those values."""
    edges = [(src, dst) for src, dst, *_ in p["graph"]["edges"]]
    value = {f"d{dst}_d{src}": 0.5 + (sum(map(ord, f"{dst}{src}")) % 17) / 8 for src, dst in edges}
    problems: list[str] = []
    for x in ("x2", "x1"):
        expr = solved.answers[f"grad_{x}"]
        got = float(expr.subs({s: value[s.name] for s in expr.free_symbols}))
        problems += differences(f"grad_{x}", got, _reverse_accumulate(edges, value, x))
    return problems


@checker("pathsum_gradients")
def check_pathsum_gradients_expanded(p: Params, solved: Solved) -> list[str]:
    """The answer (factored through a cut) against the plain sum over every path, expanded by sympy."""
    import sympy


    return [f"grad_{x}: the factored answer and the sum over every path differ" for x in ("x2", "x1")
            if sympy.expand(solved.answers[f"grad_{x}"] - to_sympy(expanded(p["graph"], x))) != 0]


def _reverse_accumulate(edges: list[tuple[str, str]], value: dict[str, float], x: str) -> float:
    """dy/dx by the chain rule node by node: adjoint(n) = sum over consumers c of adjoint(c) * dc/dn."""
    adjoint: dict[str, float] = {"y": 1.0}
    pending = {n for e in edges for n in e} - {"y"}
    while pending:
        ready = [n for n in pending if all(dst in adjoint for src, dst in edges if src == n)]
        if not ready:
            return math.nan  # a cycle: not a DAG, so the comparison fails loudly
        for n in ready:
            adjoint[n] = sum(adjoint[dst] * value[f"d{dst}_d{n}"] for src, dst in edges if src == n)
            pending.discard(n)
    return adjoint[x]
