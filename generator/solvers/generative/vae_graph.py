"""Factorisations of a VAE's generative model p and inference model q read off a drawn graph (Imperial Q2a-i)."""
from __future__ import annotations

import random

from .. import SolveContext, Solved, drawer, solver
from ..checkers import checker
from ..effort import Work
from ...models import Params

Graph = dict[str, dict[str, list[str]]]


@drawer("vae_graph_structure")
def vae_graph_structure(rng: random.Random, params: Params, steps: int = 3) -> Graph:
    """Parents of every node in p (z's and x's) and of every z in q; both are DAGs in time order."""
    p: dict[str, list[str]] = {}
    q: dict[str, list[str]] = {}
    z_links = rng.choice(["chain", "root", "none"])
    for t in range(1, steps + 1):
        zp = [] if t == 1 or z_links == "none" else [f"z{t - 1}" if z_links == "chain" else "z1"]
        p[f"z{t}"] = zp
    for t in range(1, steps + 1):
        p[f"x{t}"] = [f"z{t}"] + ([f"z{t - 1}"] if t > 1 and rng.random() < 0.3 else [])
    for t in range(1, steps + 1):
        extra = [f"z{t - 1}"] if t > 1 and rng.random() < 0.6 else []
        back = [f"x{t - 1}"] if t > 1 and not extra and rng.random() < 0.4 else []
        q[f"z{t}"] = back + [f"x{t}"] + extra
    return {"p": p, "q": q}


def _sub(name: str) -> str:
    return f"{name[0]}_{{{name[1:]}}}"


def factor(dist: str, node: str, parents: list[str]) -> str:
    """One factor as LaTeX: p(x_2 | z_1, z_2) or p(z_1)."""
    given = ", ".join(_sub(v) for v in sorted(parents, key=lambda v: (v[0] != "z", v)))
    bar = f" \\mid {given}" if given else ""
    return f"{dist}({_sub(node)}{bar})"


@solver("vae_factorisation")
def vae_factorisation(p: Params, ctx: SolveContext) -> Solved:
    """p: every node given its parents (z's first, then x's); q: every z given its dashed-arrow parents."""
    g = p["graph"]
    if set(g["q"]) != {n for n in g["p"] if n.startswith("z")}:
        raise AssertionError("q must have one factor per latent variable")
    p_factors = [factor("p", n, g["p"][n]) for n in sorted(g["p"], key=lambda v: (v[0] != "z", v))]
    q_factors = [factor("q", n, g["q"][n]) for n in sorted(g["q"])]
    work = Work()
    work.step(len(p_factors) + len(q_factors))   # one step per factor written down
    return Solved(answers={"p_factors": p_factors, "q_factors": q_factors},
                  work={"p_tex": " ".join(p_factors), "q_tex": " ".join(q_factors)}, effort=work.total)


# --- independent check (examgen check): the answers computed another way --------------------

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
