"""Glasgow COMPSCI5103 2023: presets against the paper, torch/sympy agreement, the whole paper built."""
from __future__ import annotations


import pytest

from paper_checks import build_twice, drawn_params, exam_and_solutions, key_entry
from examgen.bank import load_bank
from examgen.build import BuildResult
from examgen.inputs.layers import module
from examgen.render import plain
from examgen.sample import instantiate
from examgen.seeding import rng_for
from examgen.solve import make_context
from examgen.spec import load_spec
from examgen.inputs.paths import ROOT

CTX = make_context("cpu")
SPEC = ROOT / "bank" / "exams" / "glasgow-compsci5103-2023.yaml"


def solved(template_id: str, preset: str | None = None, seed: int = 0):
    return instantiate(load_bank()[template_id], rng_for(seed), CTX, preset=preset)


def test_q1_preset_matches_the_paper_and_real_modules() -> None:
    import torch
    import torch.nn as nn

    inst = solved("two-models-shapes-params", "glasgow-2023-1")
    printed = load_bank()["two-models-shapes-params"].presets["glasgow-2023-1"].paper_answers
    assert inst.answers["model1_shapes"] == printed["model1_shapes"]
    for name in ("model1", "model2"):   # counted again on CPU modules, independently of the solver
        net = nn.Sequential(*[module(layer, device="cpu") for layer in inst.params[name]])
        assert inst.answers[f"{name}_params"] == sum(t.numel() for t in net.parameters())
        out = net(torch.zeros(3, 1, 224, 224))
        assert list(out.shape) == inst.answers[f"{name}_shapes"][-1]
    model1 = nn.Sequential(*[module(layer, device="cpu") for layer in inst.params["model1"]])
    with pytest.raises(RuntimeError):       # 1f: model1 cannot take a 28x28 image
        model1(torch.zeros(3, 1, 28, 28))
    model2 = nn.Sequential(*[module(layer, device="cpu") for layer in inst.params["model2"]])
    assert inst.answers["model1_new"] is None
    assert inst.answers["model2_new"] == list(model2(torch.zeros(3, 1, 28, 28)).shape)
    assert "fc1" in inst.solved.work["new1"]["failed_layer"]


@pytest.mark.parametrize("seed", range(6))
def test_q1_drawn_models_agree_and_model1_matches_model2(seed: int) -> None:
    inst = solved("two-models-shapes-params", seed=seed)
    assert inst.answers["model1_shapes"][-1] == inst.answers["model2_shapes"][-1]
    assert inst.answers["model1_new"] is None           # the new size never fits the linear layer
    assert inst.params["new_size"] != inst.params["size"]


def test_q2_symbolic_gradient_is_the_backprop_pattern() -> None:
    import sympy

    ans = solved("sigmoid-net-backprop", "glasgow-2023-2c-g").answers
    a, c, e, f, h1, h2 = sympy.symbols("a c e f h_1 h_2")
    assert sympy.simplify(ans["dy_dx1"] - (a * e * h1 * (1 - h1) + c * f * h2 * (1 - h2))) == 0
    assert plain(ans["grad_h"]) == [[{"exact": "e", "latex": "e"}], [{"exact": "f", "latex": "f"}]]


@pytest.mark.parametrize("seed", range(5))
def test_q2_symbolic_and_numeric_agree_with_torch_autograd(seed: int) -> None:
    import sympy
    import torch

    inst = solved("sigmoid-net-numeric", seed=seed)
    M, N, x = (inst.params[k] for k in ("M", "N", "x"))
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(N, dtype=torch.float64) @ torch.sigmoid(torch.tensor(M, dtype=torch.float64) @ xt)
    y.backward()
    assert inst.answers["dy_dx1"] == pytest.approx(xt.grad[0].item(), abs=1e-4)
    assert inst.answers["y"] == pytest.approx(y.item(), abs=1e-4)
    # the symbolic family's answer, with these numbers substituted, gives the same value
    weights = {"M": [["a", "b"], ["c", "d"]], "N": ["e", "f"]}
    sym = instantiate(load_bank()["sigmoid-net-backprop"], rng_for(0), CTX,
                      overrides={"weights": weights}).answers["dy_dx1"]
    h = [1 / (1 + sympy.exp(-sum(sympy.Rational(str(m)) * sympy.Rational(str(v)) for m, v in zip(row, x))))
         for row in M]
    values = dict(zip(sympy.symbols("a b c d e f"), [sympy.Rational(str(v)) for v in (*M[0], *M[1], *N)]))
    values.update(dict(zip(sympy.symbols("h_1 h_2"), h)))
    assert float(sym.subs(values)) == pytest.approx(xt.grad[0].item(), abs=1e-12)


def test_marks_add_up_to_the_paper() -> None:
    spec = load_spec(SPEC)
    bank = load_bank()
    marks = [sum(bank[item.template].marks for item in section.items) for section in spec.sections]
    assert marks == [20, 20, 20] and spec.total_marks == 60


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildResult, BuildResult]:
    return build_twice(SPEC, tmp_path_factory.mktemp("glasgow"))


def test_paper_builds_with_values_in_exam_and_answers_only_in_solutions(built) -> None:
    exam, solutions = exam_and_solutions(built[0])
    q1 = key_entry(built[0], "two-models-shapes-params")
    shape = f"[{q1['params']['batch']}, {q1['params']['channels']}, {q1['params']['size']}, {q1['params']['size']}]"
    assert shape in exam and shape in solutions
    total = str(q1["answers"]["model1_params"])
    assert total in solutions and total not in exam
    assert "Marking:" in solutions and "Marking:" not in exam
    assert "Total: 60 marks" in exam


def test_two_seeds_give_different_numbers(built) -> None:
    assert drawn_params(built[0]) != drawn_params(built[1])


def test_standalone_q1_families_agree_with_the_composite() -> None:
    whole = solved("two-models-shapes-params", "glasgow-2023-1").answers
    assert solved("linear-model-params", "glasgow-2023-1b").answers["total"] == whole["model1_params"]
    assert solved("conv-stack-params", "glasgow-2023-1c").answers["total"] == whole["model2_params"]
    assert solved("model-new-input", "glasgow-2023-1f-model1").answers["other_outcome"] == "fails at fc1"
    assert solved("model-new-input", "glasgow-2023-1f-model2").answers["other_outcome"] == whole["model2_new"]


@pytest.mark.parametrize("template_id", ["model-new-input", "linear-model-params", "conv-stack-params",
                                         "tensor-dimensions", "sigmoid-net-backprop"])
def test_standalone_families_solve_under_many_seeds(template_id: str) -> None:
    for seed in range(15):
        solved(template_id, seed=seed)
