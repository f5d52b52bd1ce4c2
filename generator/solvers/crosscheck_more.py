"""Independent checkers for small closed-form families: step decay simulated epoch by epoch,
Wasserstein distance at the vertices of the coupling polytope, MLP sizes layer by layer, RMSprop
in floats step by step (and in torch), path-sum gradients by reverse accumulation over the DAG (and
expanded by sympy), computational-graph gradients differentiated by sympy.
"""
from __future__ import annotations

import math
from fractions import Fraction

from ..models import Params, Solved
from .crosscheck import ROUNDED_TOL, checker, differences
from .handwork import layer_params


@checker("lr_step_decay")
def check_lr_step_decay(p: Params, solved: Solved) -> list[str]:
    """Multiply the rate by c after every K epochs, one epoch at a time, and read off the asked ones."""
    rate, rates = float(p["eta0"]), []
    for epoch in range(max(p["epochs"]) + 1):
        if epoch and epoch % p["K"] == 0:
            rate *= float(p["c"])
        rates.append(rate)
    return differences("rates", solved.answers["rates"], [rates[t] for t in p["epochs"]])


@checker("wasserstein_two_point")
def check_wasserstein_two_point(p: Params, solved: Solved) -> list[str]:
    """The transport cost is linear in R(a,a), so its minimum lies at an end of the feasible range."""
    pa, qa, d = float(p["P_a"]), float(p["Q_a"]), p["distance"]
    ends = (max(0.0, pa + qa - 1), min(pa, qa))
    best = min(d * ((pa - r) + (qa - r)) for r in ends)
    problems = differences("W", float(solved.answers["W"]), best)
    return problems + _cost_problems(solved.answers["integral"], d)


@checker("wasserstein_two_point")
def check_wasserstein_by_search(p: Params, solved: Solved) -> list[str]:
    """W again by searching the couplings in steps of 1/1000, exactly (wasserstein.brute_force_distance)."""
    from .wasserstein import brute_force_distance

    found = brute_force_distance(Fraction(str(p["P_a"])), Fraction(str(p["Q_a"])), int(p["distance"]))
    return differences("W (search)", float(solved.answers["W"]), float(found))


def _cost_problems(integral: object, d: int) -> list[str]:
    """The cost is d·(R(a,b) + R(b,a)): only mass that moves pays."""
    import sympy

    want = d * (sympy.Symbol("R_ab") + sympy.Symbol("R_ba"))
    return [] if sympy.simplify(integral - want) == 0 else [f"integral: solver gives {integral}, expected {want}"]


@checker("mlp_sigmoid_counts")
def check_mlp_sigmoid_counts(p: Params, solved: Solved) -> list[str]:
    """Linear(n, h) then Linear(h, 1), counted layer by layer (a sigmoid adds nothing)."""
    n, h = len(p["context"]["inputs"]), p["hidden"]
    layers = [{"layer": "Linear", "in": n, "out": h}, {"layer": "Linear", "in": h, "out": 1}]
    return differences("parameters", solved.answers["parameters"], sum(layer_params(l) for l in layers))



@checker("momentum_recent_weight")
def check_momentum_recent_weight(p: Params, solved: Solved) -> list[str]:
    """In v = βv + g the newest gradient's share of the total weight 1/(1-β) is 1-β, in closed form."""
    want = "decrease" if (1 - p["smaller"]) > (1 - p["beta"]) else "increase"
    return differences("direction", solved.answers["direction"], want)


@checker("rmsprop_update")
def check_rmsprop_update(p: Params, solved: Solved) -> list[str]:
    """Run the EMA recursion in floats, step by step, from the gradients as written (n or sqrt(n))."""
    grads = [[math.copysign(math.sqrt(abs(_square(x))), _square(x)) for x in row] for row in p["gradients"]]
    size = 1 if p["mode"] == "norm" else len(grads[0])
    ema = [0.0] * size
    for row in grads:
        squares = [sum(g * g for g in row)] if p["mode"] == "norm" else [g * g for g in row]
        ema = [p["alpha"] * e + (1 - p["alpha"]) * s for e, s in zip(ema, squares)]
    update = [g / math.sqrt((ema[0] if size == 1 else ema[i]) + p["epsilon"]) for i, g in enumerate(grads[-1])]
    roots = [math.sqrt(e + p["epsilon"]) for e in ema]
    return (differences("ema", [float(e) for e in solved.answers["ema"]], ema)
            + differences("update", [float(u) for u in solved.answers["update"]], update)
            + differences("denominators", solved.answers["denominators"], roots, ROUNDED_TOL))


@checker("rmsprop_update")
def check_rmsprop_update_on_torch(p: Params, solved: Solved) -> list[str]:
    """The update as an optimiser keeps it: float64 torch tensors, step by step (rmsprop.torch_update)."""
    from .rmsprop import torch_update

    return differences("update (torch)", [float(u) for u in solved.answers["update"]], torch_update(p))


def _square(text: object) -> float:
    """The signed square of an entry written as an integer or sqrt(n): '-sqrt(40)' -> -40, '4' -> 16."""
    body = str(text).replace(" ", "")
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("-")
    value = float(body[5:-1]) if body.startswith("sqrt(") else float(body) ** 2
    return sign * value


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

    from .pathsum import expanded, to_sympy

    return [f"grad_{x}: the factored answer and the sum over every path differ" for x in ("x2", "x1")
            if sympy.expand(solved.answers[f"grad_{x}"] - to_sympy(expanded(p["graph"], x))) != 0]


@checker("compgraph_backprop")
def check_compgraph_backprop(p: Params, solved: Solved) -> list[str]:
    """Each arrow's gradient exactly: its source node made a symbol, f differentiated by sympy."""
    from .compgraph import ARROWS, sympy_grad

    want = {f"{a}-{b}": int(sympy_grad(p, a)) for a, b in ARROWS}
    return [f"gradient on {arrow}: solver gives {solved.answers['gradients'].get(arrow)}, sympy gives {g}"
            for arrow, g in want.items() if solved.answers["gradients"].get(arrow) != g]


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


@checker("bn_model_answer")
def check_bn_model_answer(p: Params, solved: Solved) -> list[str]:
    """A BatchNorm2d after each of the four convolutions adds a scale and a shift per channel;
    the logits keep the batch of two and one value per class."""
    added = 2 * (p["c1"] + p["c1"] + p["c2"] + p["c2"])
    return (differences("bn_parameters", solved.answers["bn_parameters"], added)
            + differences("output_shape", solved.answers["output_shape"], [2, p["classes"]]))


@checker("sigmoid_net_symbolic")
def check_sigmoid_net_symbolic(p: Params, solved: Solved) -> list[str]:
    """Put numbers on the weight letters and the input, run y = N sigmoid(M x) forward in floats,
    and compare each symbolic gradient, evaluated there, with a central difference."""
    M, N = p["weights"]["M"], p["weights"]["N"]
    letters = sorted({w for row in M for w in row} | set(N))
    value = {w: 0.3 + 0.25 * i for i, w in enumerate(letters)}
    x = [0.7, -0.4]
    z = [sum(value[M[i][j]] * x[j] for j in range(2)) for i in range(2)]
    sig = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    h = [sig(t) for t in z]
    at = {**value, "h_1": h[0], "h_2": h[1], "x_1": x[0], "x_2": x[1]}
    out = lambda zz: sum(value[N[i]] * sig(zz[i]) for i in range(2))  # noqa: E731
    step = 1e-6

    def fd_z(i: int) -> float:
        up, down = list(z), list(z)
        up[i] += step
        down[i] -= step
        return (out(up) - out(down)) / (2 * step)

    def fd_x1() -> float:
        zz = lambda x1: [value[M[i][0]] * x1 + value[M[i][1]] * x[1] for i in range(2)]  # noqa: E731
        return (out(zz(x[0] + step)) - out(zz(x[0] - step))) / (2 * step)

    def num(expr: object) -> float:
        return float(expr.subs({s: at[s.name] for s in expr.free_symbols}))

    named = {"M": [[str(c) for c in row] for row in _rows(solved.answers["M"])],
             "N": [str(c) for row in _rows(solved.answers["N"]) for c in row]}
    problems = [f"{k}: {named[k]} is not {want}" for k, want in (("M", M), ("N", N)) if named[k] != want]
    grad_z = [num(row[0]) for row in solved.answers["grad_z"]]
    grad_h = [num(row[0]) for row in solved.answers["grad_h"]]
    return problems + (differences("grad_h", grad_h, [value[w] for w in N])
            + differences("grad_z", grad_z, [fd_z(0), fd_z(1)], 1e-6)
            + differences("dy_dx1", num(solved.answers["dy_dx1"]), fd_x1(), 1e-6))


def _rows(matrix: object) -> list[list[object]]:
    """Rows of a sympy matrix or of nested lists."""
    return matrix.tolist() if hasattr(matrix, "tolist") else [list(r) if isinstance(r, (list, tuple)) else [r] for r in matrix]


@checker("vae_factorisation")
def check_vae_factorisation(p: Params, solved: Solved) -> list[str]:
    """Read each printed factor back (its variable and conditioning set) and compare with the graph's
    parents: one factor per variable, conditioned on exactly its parents."""
    problems: list[str] = []
    for model in ("p", "q"):
        printed = [_factor(text, model) for text in solved.answers[f"{model}_factors"]]
        want = {node: set(parents) for node, parents in p["graph"][model].items()}
        got = {node: parents for node, parents in printed if node}
        if len(got) != len(printed) or got != want:
            problems.append(f"{model}_factors: {printed} do not match the graph's parents {want}")
    return problems


def _factor(text: str, model: str) -> tuple[str | None, set[str]]:
    """'p(x_{3} \\mid z_{2}, z_{3})' -> ('x3', {'z2', 'z3'})."""
    import re

    match = re.fullmatch(rf"{model}\(([a-z])_\{{(\d+)\}}(?: \\mid ([^()]*))?\)", text.strip())
    if not match:
        return None, set()
    given = {f"{v}{i}" for v, i in re.findall(r"([a-z])_\{(\d+)\}", match.group(3) or "")}
    return f"{match.group(1)}{match.group(2)}", given
