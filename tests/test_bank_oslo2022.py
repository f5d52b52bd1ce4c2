"""Oslo IN5400/IN9400 2022: presets against the paper, independent checks (torch, sympy, brute force),
and the whole paper built with pdflatex and read back."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from conftest import pdf_text
from examgen.bank import load_bank
from examgen.build import BuildOptions, BuildResult, build
from examgen.inputs.paths import ROOT
from examgen.render import plain
from examgen.sample import instantiate
from examgen.seeding import rng_for
from examgen.solve import make_context
from examgen.solvers.common import read_printed
from examgen.solvers import SolveContext
from examgen.solvers.backprop import pathsum
from examgen.solvers.cnn import conv_bounds, pooling_id, receptive
from examgen.solvers.generative import wasserstein
from examgen.solvers.normalisation import bn_model
from examgen.solvers.optimisation import lr_schedule, momentum_weight, rmsprop
from examgen.spec import load_spec

CTX = make_context("cpu")
SPEC = ROOT / "bank" / "exams" / "oslo-in5400-2022.yaml"
SEEDS = range(6)


def solved(template_id: str, preset: str | None = None, seed: int = 0):
    return instantiate(load_bank()[template_id], rng_for(seed, "oslo2022", template_id), CTX, preset=preset)


def printed(template_id: str, preset: str) -> dict:
    return load_bank()[template_id].presets[preset].paper_answers


@pytest.mark.parametrize("template_id,preset,keys", [
    ("conv-input-size-bounds", "oslo-2022-3b", ["lower", "upper"]),
    ("pooling-identify", "oslo-2022-3a", ["found_operation", "found_window", "found_stride"]),
    ("conv2d-params", "oslo-2022-3c", ["total"]),
    ("receptive-field-stack", "oslo-2022-3d", ["field"]),
    ("rmsprop-update", "oslo-2022-6a", ["ema", "denominators"]),
    ("one-hidden-layer-sketch", "oslo-2022-1ab", ["parameters"]),
    ("batchnorm-add-code", "oslo-2022-4a", ["output_shape"]),
])
def test_preset_reproduces_the_paper(template_id: str, preset: str, keys: list[str]) -> None:
    answers = plain(solved(template_id, preset).answers)
    for key in keys:
        assert answers[key] == printed(template_id, preset)[key], key


def test_2a_matches_the_hint_and_2b_corrects_the_garbled_hint() -> None:
    import sympy

    inst = solved("pathsum-gradients", "oslo-2022-2ab")
    paper = printed("pathsum-gradients", "oslo-2022-2ab")
    assert sympy.expand(inst.answers["grad_x2"] - pathsum.parse_printed(paper["grad_x2"])) == 0
    assert sympy.expand(inst.answers["grad_x1"] - pathsum.parse_printed(paper["grad_x1"])) != 0
    assert load_bank()["pathsum-gradients"].presets["oslo-2022-2ab"].erratum
    graph = inst.params["graph"]
    assert pathsum.best_cut(graph, "x1") == ["c", "d"]  # the hint's grouping: through c and through d


def test_a_term_too_wide_for_a_line_is_multiplied_out_into_narrower_terms_with_the_same_sum() -> None:
    import sympy

    graphs = [solved("pathsum-gradients", None, seed).params["graph"] for seed in range(300)]
    wide = [(g, x) for g in graphs for x in ("x1", "x2")
            if max(pathsum.width(t) for t in pathsum.fit(pathsum.factored(g, x), 1e9)) > pathsum.LINE_UNITS]
    assert wide, "no draw in 300 seeds needs more than one line: the test shows nothing"
    for graph, x in wide:
        whole, lines = pathsum.factored(graph, x), pathsum.fit(pathsum.factored(graph, x))
        assert all(pathsum.width(t) <= pathsum.LINE_UNITS for t in lines)
        assert sympy.expand(sum(map(pathsum.to_sympy, lines)) - pathsum.to_sympy(whole)) == 0
    paper = solved("pathsum-gradients", "oslo-2022-2ab").params["graph"]   # the paper's grouping stays as it is
    assert all(pathsum.fit(pathsum.factored(paper, x)) == pathsum.fit(pathsum.factored(paper, x), 1e9) for x in ("x1", "x2"))


@pytest.mark.parametrize("seed", [None, *SEEDS])
def test_path_sums_equal_autograd_and_the_expanded_sum(seed: int | None) -> None:
    import sympy

    inst = solved("pathsum-gradients", "oslo-2022-2ab" if seed is None else None, seed or 0)
    graph = inst.params["graph"]
    for x in ("x1", "x2"):
        expr = inst.answers[f"grad_{x}"]
        assert sympy.expand(expr - pathsum.to_sympy(pathsum.expanded(graph, x))) == 0
        auto, mine = pathsum.autograd_check(graph, expr, x, seed=seed or 0)
        assert auto == pytest.approx(mine, rel=1e-10, abs=1e-14)


def test_printed_expressions_are_parsed_only_when_they_are_path_sums() -> None:
    with pytest.raises(ValueError):
        pathsum.parse_printed("__import__('os')")


@pytest.mark.parametrize("seed", SEEDS)
def test_pooling_match_is_unique_and_is_the_hidden_one(seed: int) -> None:
    p = solved("pooling-identify", seed=seed).params
    found = pooling_id.matches(p["image"], p["output"])
    assert found == [{"operation": p["operation"], "window": p["window"], "stride": p["stride"]}]


@pytest.mark.parametrize("seed", SEEDS)
def test_input_bounds_match_a_search_over_input_sizes(seed: int) -> None:
    inst = solved("conv-input-size-bounds", seed=seed)
    p = inst.params
    for axis in range(2):
        lo, hi = conv_bounds.brute_force_bounds(p["output"][axis], p["kernel"][axis], p["stride"])
        assert [inst.answers["lower"][axis], inst.answers["upper"][axis]] == [lo, hi]


@pytest.mark.parametrize("seed", [None, *SEEDS])
def test_receptive_field_recursion_equals_autograd(seed: int | None) -> None:
    inst = solved("receptive-field-stack", "oslo-2022-3d" if seed is None else None, seed or 0)
    assert receptive.autograd_field(inst.params["layers"]) == inst.answers["field"]


def test_3d_hint_numbers_are_right() -> None:
    layers = solved("receptive-field-stack", "oslo-2022-3d").params["layers"]
    hint = load_bank()["receptive-field-stack"].presets["oslo-2022-3d"].paper_answers
    assert [s["field"] for s in receptive.field_steps(layers, 0)] == hint["steps_h"]
    assert [s["field"] for s in receptive.field_steps(layers, 1)] == hint["steps_w"]


def test_rmsprop_paper_value_is_g2_over_root_36_006() -> None:
    import sympy

    update = solved("rmsprop-update", "oslo-2022-6a").answers["update"]
    root = sympy.sqrt(sympy.Rational(36006, 1000))
    assert sympy.simplify(update[0] + sympy.sqrt(40) / root) == 0
    assert sympy.simplify(update[1] - sympy.sqrt(14) / root) == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_rmsprop_per_coordinate_matches_torch_optimizer(seed: int) -> None:
    """With eps = 0 (torch adds it outside the root, we inside) the step equals torch.optim.RMSprop's."""
    import torch

    p = dict(solved("rmsprop-update", seed=seed).params, mode="coordinate", epsilon=0)
    p["gradients"] = rmsprop.rmsprop_gradients(rng_for(seed, "coord"), p)
    ours = [float(u) for u in rmsprop.rmsprop_update(p, SolveContext()).answers["update"]]
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.RMSprop([w], lr=1.0, alpha=p["alpha"], eps=0.0)
    grads = [[s * sq ** 0.5 for s, sq in map(rmsprop.parse_entry, g)] for g in p["gradients"]]
    for g in grads:
        before = w.detach().clone()
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    assert (before - w.detach()).tolist() == pytest.approx(ours, rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_rmsprop_drawn_ema_is_a_whole_square(seed: int) -> None:
    ema = solved("rmsprop-update", seed=seed).answers["ema"]
    assert all(e.is_Integer and int(e) ** 0.5 == int(int(e) ** 0.5) for e in ema)


def test_5b_erratum_smaller_momentum_weighs_recent_gradients_more() -> None:
    inst = solved("sgd-momentum", "oslo-2022-5ab")
    assert printed("sgd-momentum", "oslo-2022-5ab")["direction"] == "increase"
    assert inst.answers["direction"] == "decrease"
    high, low = momentum_weight.past_weights(0.9, 10), momentum_weight.past_weights(0.5, 10)
    assert low[10] / sum(low) < high[10] / sum(high)  # an old gradient's share shrinks with beta
    assert "decrease" in load_bank()["sgd-momentum"].presets["oslo-2022-5ab"].erratum


@pytest.mark.parametrize("seed", [None, *SEEDS])
def test_wasserstein_closed_form_equals_search_over_couplings(seed: int | None) -> None:
    inst = solved("wasserstein-two-point", "oslo-2022-11a" if seed is None else None, seed or 0)
    p = inst.params
    best = wasserstein.brute_force_distance(Fraction(str(p["P_a"])), Fraction(str(p["Q_a"])), p["distance"])
    assert inst.answers["W"] == best

    paper = read_printed(printed("wasserstein-two-point", "oslo-2022-11a")["integral"], ["R_ab", "R_ba"])
    if p["distance"] == 1:
        assert inst.answers["integral"] == paper


@pytest.mark.parametrize("seed", [None, *SEEDS])
def test_step_decay_matches_torch_steplr(seed: int | None) -> None:
    inst = solved("lr-step-decay", "oslo-2022-12b" if seed is None else None, seed or 0)
    p = inst.params
    rates = lr_schedule.torch_rates(p["eta0"], p["c"], p["K"], max(p["epochs"]) + 1)   # epochs reach step 4
    assert inst.answers["rates"] == pytest.approx([rates[t] for t in p["epochs"]], rel=1e-12)


def test_torch_optimiser_comparisons_are_checkers_for_examgen_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """StepLR and SGD are run by `examgen check` (a build skips them: torch.optim imports torch._dynamo);
    a formula that drifts from torch is reported there."""
    from examgen.solvers import load_all
    from examgen.solvers.optimisation import momentum
    from examgen.solvers.checkers import CHECKERS

    load_all()
    decay, sgd = solved("lr-step-decay"), instantiate(load_bank()["momentum-steps"], rng_for(0, "momentum"), CTX)
    assert CHECKERS["lr_step_decay"](decay.params, decay.solved) == []
    assert CHECKERS["momentum_quadratic"](sgd.params, sgd.solved) == []
    rate = lr_schedule.step_rate
    monkeypatch.setattr(lr_schedule, "step_rate", lambda *a: rate(*a) * 2)
    assert any("torch StepLR" in p for p in CHECKERS["lr_step_decay"](decay.params, decay.solved))
    steps = momentum.momentum_steps
    monkeypatch.setattr(momentum, "momentum_steps", lambda p: [{**r, "theta": [t + 1 for t in r["theta"]]} for r in steps(p)])
    assert any("torch SGD" in p for p in CHECKERS["momentum_quadratic"](sgd.params, sgd.solved))


@pytest.mark.parametrize("seed", [None, *SEEDS])
def test_batchnorm_model_answer_code_runs_and_matches_the_built_module(seed: int | None) -> None:
    """The code text comes from the solver (never from bank text); run it and compare with build_model."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    inst = solved("batchnorm-add-code", "oslo-2022-4a" if seed is None else None, seed or 0)
    code = inst.solved.work["code"]
    assert code == bn_model.answer_code(inst.params)
    namespace: dict = {"nn": nn, "F": F, "torch": torch}
    exec(compile(code, "<bn_model.answer_code>", "exec"), namespace)  # noqa: S102 - project-generated text
    model = namespace["Model"]().double().train()
    p = inst.params
    out = model(torch.randn(2, p["in_channels"], p["image_size"], p["image_size"], dtype=torch.float64))
    assert list(out.shape) == inst.answers["output_shape"] == [2, p["classes"]]
    assert sum(m.numel() for m in model.parameters()) == sum(m.numel() for m in bn_model.build_model(p).parameters())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 4


def test_spec_marks_add_up() -> None:
    spec = load_spec(SPEC)
    bank = load_bank()
    total = sum(bank[item.template].marks for s in spec.sections for item in s.items if not s.optional)
    optional = sum(bank[item.template].marks for s in spec.sections for item in s.items if s.optional)
    assert (total, optional) == (spec.total_marks, 5) == (59, 5)   # the PhD-only exercise is not in the total
    assert [s.optional for s in spec.sections] == [""] * 11 + ["PhD (IN9400) candidates only"]
    assert len(spec.sections) == 12


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildResult, BuildResult]:
    out = tmp_path_factory.mktemp("oslo2022")
    return tuple(build(BuildOptions(spec=SPEC, seed=s, out=out, jobs=4)) for s in (7, 8))


def _texts(result: BuildResult) -> tuple[str, str]:
    return pdf_text(result.folder / "exam.pdf"), pdf_text(result.folder / "solutions.pdf")


def _key(result: BuildResult) -> dict[str, dict]:
    data = json.loads((result.folder / "answer-key.json").read_text())
    text = json.dumps(data)
    instances = {}
    for name in ("receptive-field-stack", "conv-input-size-bounds", "lr-step-decay"):
        assert name in text
    for inst in (i for section in result.variants[0].instances for i in section):
        instances[inst.template.id] = {"params": inst.params, "answers": plain(inst.answers)}
    return instances


def test_values_in_exam_and_solution_text_only_in_solutions(built) -> None:
    for result in built:
        exam, solutions = _texts(result)
        key = _key(result)
        bounds = key["conv-input-size-bounds"]
        shown = f"{bounds['params']['output'][0]} × {bounds['params']['output'][1]}"
        assert shown in exam and shown in solutions
        field = key["receptive-field-stack"]["answers"]["field"]
        region = f"a {field[0]} × {field[1]} region"
        assert region in solutions and region not in exam
        assert "Solution." in solutions and "Solution." not in exam
        assert "grows layer by layer" in solutions and "grows layer by layer" not in exam
        assert f"{key['sgd-momentum']['params']['beta']}" in exam
        flat = " ".join(exam.split())
        assert "Total: 59 marks" in flat and "Exercise 12: 5 marks, PhD (IN9400) candidates only (not in the total)" in flat
        assert "Exercise 12 Learning-rate schedules [5 marks, PhD (IN9400) candidates only]" in flat
        assert "Question" not in flat             # the paper's word is Exercise, everywhere


def test_two_seeds_give_different_numbers(built) -> None:
    first, second = (_key(r) for r in built)
    for name in ("pathsum-gradients", "pooling-identify", "rmsprop-update", "receptive-field-stack"):
        assert first[name]["params"] != second[name]["params"], name
    assert _texts(built[0])[0] != _texts(built[1])[0]
