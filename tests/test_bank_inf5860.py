"""Oslo INF5860/INF9860 2019: presets against the paper, torch/sympy agreement, the whole paper built."""
from __future__ import annotations

from fractions import Fraction

import pytest

from paper_checks import (build_twice, drawn_params, exam_and_solutions, key_entry,
                          marking_mismatches, section_marks)
from examgen.bank import load_bank
from examgen.build import BuildResult
from examgen.inputs.paths import ROOT
from examgen.sample import instantiate
from examgen.seeding import rng_for
from examgen.solve import make_context
from examgen.spec import load_spec

CTX = make_context("cpu")
SPEC = ROOT / "bank" / "exams" / "oslo-inf5860-2019.yaml"
ARROWS = ("x-q", "y-q", "q-s", "z-s", "w-m", "v-m", "s-f", "m-f", "f-out")


def solved(template_id: str, preset: str | None = None, seed: int = 0):
    return instantiate(load_bank()[template_id], rng_for(seed, 0, template_id), CTX, preset=preset)


def graph_grads_torch(p: dict) -> dict[str, float]:
    """The nine arrow gradients of f = (xy + z)·gate(w, v), by autograd in the test itself."""
    import torch

    t = {k: torch.tensor(float(p[k]), dtype=torch.float64, requires_grad=True) for k in "xyzwv"}
    q = t["x"] * t["y"]
    s = q + t["z"]
    m = (torch.maximum if p["gate"] == "max" else torch.minimum)(t["w"], t["v"])
    f = s * m
    for node in (q, s, m, f):
        node.retain_grad()
    f.backward()
    g = {k: v.grad.item() for k, v in t.items()}
    return {"x-q": g["x"], "y-q": g["y"], "q-s": q.grad.item(), "z-s": g["z"], "w-m": g["w"],
            "v-m": g["v"], "s-f": s.grad.item(), "m-f": m.grad.item(), "f-out": f.grad.item()}


def graph_grads_sympy(p: dict) -> dict[str, float]:
    """The same gradients from sympy's symbolic derivative of f in its inputs, and the chain rule."""
    import sympy

    x, y, z, w, v = sympy.symbols("x y z w v")
    gate = sympy.Max if p["gate"] == "max" else sympy.Min
    f = (x * y + z) * gate(w, v)
    at = {x: p["x"], y: p["y"], z: p["z"], w: p["w"], v: p["v"]}
    d = {str(s): float(sympy.diff(f, s).subs(at)) for s in (x, y, z, w, v)}
    m, s_val = float(gate(w, v).subs(at)), p["x"] * p["y"] + p["z"]
    return {"x-q": d["x"], "y-q": d["y"], "q-s": d["z"], "z-s": d["z"], "w-m": d["w"], "v-m": d["v"],
            "s-f": m, "m-f": s_val, "f-out": 1.0}


@pytest.mark.parametrize("seed", [None, *range(6)])
def test_ex1_arrow_gradients_agree_with_torch_and_sympy(seed: int | None) -> None:
    inst = solved("compgraph-arrows", "inf5860-2019-1" if seed is None else None, seed or 0)
    got = inst.answers["gradients"]
    assert set(got) == set(ARROWS) and len(ARROWS) * 0.5 == load_bank()["compgraph-arrows"].marks
    for ref in (graph_grads_torch(inst.params), graph_grads_sympy(inst.params)):
        assert {k: float(v) for k, v in got.items()} == ref


def test_ex2d_gradient_check_sympy_torch_and_error_term() -> None:
    import sympy
    import torch

    for seed in range(6):
        inst = solved("gradient-check", seed=seed)
        a, b, c = inst.params["coeffs"]
        theta, eps = inst.params["theta"], inst.params["epsilon"]
        t = sympy.Symbol("t")
        exact = sympy.diff(a * t**3 + b * t**2 + c * t, t).subs(t, sympy.Rational(str(theta)))
        tt = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
        (a * tt**3 + b * tt**2 + c * tt).backward()
        assert float(exact) == pytest.approx(tt.grad.item(), abs=1e-12)
        assert inst.answers["analytic"] == exact
        J = lambda u: a * u**3 + b * u**2 + c * u  # noqa: E731
        assert inst.answers["numeric"] == pytest.approx((J(theta + eps) - J(theta - eps)) / (2 * eps), abs=1e-9)
        assert inst.answers["gap"] == pytest.approx(a * eps**2, abs=1e-12)   # a cubic's centred-difference error


@pytest.mark.parametrize("seed", [None, *range(5)])
def test_ex2e_momentum_matches_torch_sgd(seed: int | None) -> None:
    import torch

    inst = solved("momentum-steps", "inf5860-2019-2e" if seed is None else None, seed or 0)
    p = inst.params
    theta = torch.tensor(p["theta0"], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=p["lr"], momentum=p["mu"])
    a, c = torch.tensor(p["curvature"], dtype=torch.float64), torch.tensor(p["centre"], dtype=torch.float64)
    for row in inst.solved.work["trace"]:
        opt.zero_grad()
        (0.5 * a * (theta - c) ** 2).sum().backward()
        opt.step()
        assert row["theta"] == pytest.approx(theta.tolist(), abs=1e-12)
    # the paper's form, v = mu v - lr g; theta += v, exactly with fractions
    th, v = [Fraction(str(x)) for x in p["theta0"]], [Fraction(0)] * 2
    for _ in range(p["steps"]):
        g = [Fraction(str(ai)) * (t - Fraction(str(ci))) for ai, t, ci in zip(p["curvature"], th, p["centre"])]
        v = [Fraction(str(p["mu"])) * vi - Fraction(str(p["lr"])) * gi for vi, gi in zip(v, g)]
        th = [t + vi for t, vi in zip(th, v)]
    assert inst.answers["theta_final"] == [float(t) for t in th]


def test_ex3_preset_reproduces_13_23_350_and_nn_conv2d_counts() -> None:
    import torch.nn as nn

    inst = solved("field-of-view", "inf5860-2019-3")
    printed = load_bank()["field-of-view"].presets["inf5860-2019-3"].paper_answers
    assert {k: inst.answers[k] for k in printed} == printed
    chans = [3, 2, 2, 2]
    convs = [nn.Conv2d(chans[i], chans[i + 1], k, bias=False) for i, k in enumerate([3, 5, 7])]
    assert sum(p.numel() for c in convs for p in c.parameters()) == printed["weights"]


@pytest.mark.parametrize("seed", range(6))
def test_ex3_drawn_fov_matches_the_formula(seed: int) -> None:
    inst = solved("field-of-view", seed=seed)
    ks, s = inst.params["kernels"], inst.params["first_stride"]
    assert inst.answers["fov_stride1"] == 1 + sum(k - 1 for k in ks)
    assert inst.answers["fov_strided"] == 1 + (ks[0] - 1) + s * sum(k - 1 for k in ks[1:])



def test_marking_points_add_up_to_each_parts_marks() -> None:
    assert marking_mismatches(SPEC) == []


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildResult, BuildResult]:
    return build_twice(SPEC, tmp_path_factory.mktemp("inf5860"))


def test_marks_follow_the_spec(built: tuple[BuildResult, BuildResult]) -> None:
    assert section_marks(built[0]) == [4.5, 14, 6, 4, 4, 3, 6]   # the paper prints points for Ex 1 only
    assert sum(section_marks(built[0])[:-1]) == load_spec(SPEC).total_marks == 35.5   # INF9860-only apart


def test_paper_builds_with_values_in_exam_and_answers_only_in_solutions(built) -> None:
    exam, solutions = exam_and_solutions(built[0])
    fov = key_entry(built[0], "field-of-view")
    kernel = f"{fov['params']['kernels'][0]} × {fov['params']['kernels'][0]}"
    assert kernel in exam and kernel in solutions
    assert f"= {fov['answers']['weights']}" in solutions and f"= {fov['answers']['weights']}" not in exam
    assert "Marking:" in solutions and "Marking:" not in exam
    assert "Forward values above the arrows" in solutions and "Forward values above" not in exam
    assert "Total: 35.5 points" in exam and "Exercise 7: 6 points, INF9860 candidates only (not in the total)" in exam


def test_two_seeds_give_different_numbers(built) -> None:
    assert drawn_params(built[0]) != drawn_params(built[1])
