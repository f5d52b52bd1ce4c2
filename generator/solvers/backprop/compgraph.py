"""Back-propagation through a small computational graph, f = (x·y + z) · gate(w, v), one gradient per arrow.

The gradient on an arrow is ∂f/∂(value carried by the arrow). torch autograd computes every one
(float64, whole numbers here, so exact); `examgen check` differentiates f again with sympy, node by
node (its checker, below).
"""
from __future__ import annotations

from typing import Any

from .. import Reject, SolveContext, Solved, rule, solver
from ..effort import Work
from ..checkers import FD_TOL, central_difference, checker, differences
from ...models import Params

INPUTS = ("x", "y", "z", "w", "v")
GRAPH = (("q", "mul", ("x", "y")), ("s", "add", ("q", "z")), ("m", "gate", ("w", "v")),
         ("f", "mul", ("s", "m")))
ARROWS = (("x", "q"), ("y", "q"), ("q", "s"), ("z", "s"), ("w", "m"), ("v", "m"), ("s", "f"),
          ("m", "f"), ("f", "out"))


def _op(op: str, gate: str, a: Any, b: Any, lib: str) -> Any:
    """One node's operation on torch tensors or sympy numbers."""
    if op == "mul":
        return a * b
    if op == "add":
        return a + b
    if lib == "torch":
        import torch

        return torch.maximum(a, b) if gate == "max" else torch.minimum(a, b)
    import sympy

    return sympy.Max(a, b) if gate == "max" else sympy.Min(a, b)


@rule("compgraph_gate_decides")
def compgraph_gate_decides(p: Params) -> bool:
    """The gate's two inputs differ, so its gradient is defined, and no node value is zero."""
    s = p["x"] * p["y"] + p["z"]
    m = max(p["w"], p["v"]) if p["gate"] == "max" else min(p["w"], p["v"])
    return p["w"] != p["v"] and s != 0 and m != 0 and p["x"] * p["y"] != 0


def _torch_grads(p: Params, ctx: SolveContext) -> tuple[dict[str, float], dict[str, float]]:
    """Forward values and ∂f/∂node for every node, by autograd (intermediates retain their grad)."""
    nodes = {n: ctx.tensor(float(p[n])).requires_grad_() for n in INPUTS}
    for name, op, (a, b) in GRAPH:
        nodes[name] = _op(op, p["gate"], nodes[a], nodes[b], "torch")
        nodes[name].retain_grad()
    nodes["f"].backward()
    return ({n: float(t.detach()) for n, t in nodes.items()}, {n: float(t.grad) for n, t in nodes.items()})


def sympy_grad(p: Params, cut: str) -> Any:
    """∂f/∂cut, exactly: the node `cut` becomes a symbol, f is differentiated and evaluated."""
    import sympy

    t = sympy.Symbol(cut)
    env: dict[str, Any] = {n: t if n == cut else sympy.Integer(p[n]) for n in INPUTS}
    for name, op, (a, b) in GRAPH:
        env[name] = t if name == cut else _op(op, p["gate"], env[a], env[b], "sympy")
    value = p[cut] if cut in INPUTS else _forward_exact(p)[cut]
    return sympy.diff(env["f"], t).subs(t, value)


def _forward_exact(p: Params) -> dict[str, Any]:
    import sympy

    env: dict[str, Any] = {n: sympy.Integer(p[n]) for n in INPUTS}
    for name, op, (a, b) in GRAPH:
        env[name] = _op(op, p["gate"], env[a], env[b], "sympy")
    return env


@solver("compgraph_backprop")
def compgraph_backprop(p: Params, ctx: SolveContext) -> Solved:
    """Forward values and the gradient on each of the nine arrows, by autograd."""
    forward, grads = _torch_grads(p, ctx)
    exact = {n: round(g) for n, g in grads.items()}
    if any(abs(g - exact[n]) > 1e-9 for n, g in grads.items()):
        raise AssertionError(f"a gradient of whole-number inputs is not whole: {grads}")
    if any(exact[n] == 0 for n in ("x", "y", "z")):
        raise Reject("a gradient on the multiply/add branch is zero")
    arrows = {f"{a}-{b}": exact[a] for a, b in ARROWS}
    return Solved(answers={"gradients": arrows},
                  work={"fwd": {n: int(round(forward[n])) for n in forward},
                        "winner": "w" if forward["m"] == p["w"] else "v"},
                  effort=compgraph_effort(p))


def compgraph_effort(p: Params) -> float:
    """The solution's hand work: the forward pass (x·y, + z, the gate's comparison, s·m), then one
    chain-rule product per arrow (× 1 is free: the sum's arrows and the two arrows into f), one
    step to route the gate's gradient to its winner, and one step per arrow for writing its
    gradient on the graph (nine arrows, the same in every variant)."""
    work = Work()
    q = work.mul(p["x"], p["y"])
    s = work.add(q, p["z"])
    work.compare(1)
    m = max(p["w"], p["v"]) if p["gate"] == "max" else min(p["w"], p["v"])
    work.mul(s, m)
    grad_s = work.mul(1, m)                   # ∂f/∂s; ∂f/∂m = 1·s is free too
    grad_q = work.mul(grad_s, 1)
    work.mul(grad_s, 1)                       # ∂f/∂z
    work.mul(grad_q, p["y"])                  # ∂f/∂x
    work.mul(grad_q, p["x"])                  # ∂f/∂y
    work.step(1)                              # the gate sends ∂f/∂m to its winner, 0 to the other
    work.step(len(ARROWS))                    # each arrow's gradient written on the graph
    return work.total


# --- independent check (examgen check): the answers computed another way --------------------

COMPGRAPH = (("q", lambda e: e["x"] * e["y"]), ("s", lambda e: e["q"] + e["z"]),
             ("m", lambda e: e["gate"](e["w"], e["v"])), ("f", lambda e: e["s"] * e["m"]))


def compgraph_nodes(p: Params, node: str | None = None, value: float = 0.0) -> dict[str, Any]:
    """Every node of f = (x*y + z) * gate(w, v) in floats, with one node (if named) held at `value`."""
    env: dict[str, Any] = {n: float(p[n]) for n in ("x", "y", "z", "w", "v")}
    env["gate"] = max if p["gate"] == "max" else min
    if node in env:
        env[node] = value
    for name, op in COMPGRAPH:
        env[name] = value if name == node else op(env)
    return env


@checker("compgraph_backprop")
def check_compgraph_backprop(p: Params, solved: Solved) -> list[str]:
    """Each arrow's gradient ∂f/∂(its tail) against a central difference on a float forward pass."""
    forward = compgraph_nodes(p)
    problems = []
    for arrow, grad in solved.answers["gradients"].items():
        tail = arrow.split("-")[0]
        estimate = central_difference(lambda t: compgraph_nodes(p, tail, t)["f"], forward[tail])
        problems += differences(f"gradient {arrow}", grad, estimate, FD_TOL)
    return problems


@checker("compgraph_backprop")
def check_compgraph_backprop_exactly(p: Params, solved: Solved) -> list[str]:
    """Each arrow's gradient exactly: its source node made a symbol, f differentiated by sympy."""
    want = {f"{a}-{b}": int(sympy_grad(p, a)) for a, b in ARROWS}
    return [f"gradient on {arrow}: solver gives {solved.answers['gradients'].get(arrow)}, sympy gives {g}"
            for arrow, g in want.items() if solved.answers["gradients"].get(arrow) != g]
