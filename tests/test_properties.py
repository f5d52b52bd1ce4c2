"""Property-based tests over seeds (hypothesis): every drawn instance keeps its rules, agrees with the
independent checker and renders; shapes, parameter counts and gradients hold for random inputs."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examgen.bank import load_bank
from examgen.quality.check import seed_rng
from examgen.quality.sanity import (agreement_problems, altered, domain_problems, nonfinite, render_problems,
                            unchecked_answers)
from examgen.errors import SamplingError
from examgen.inputs.layers import module
from examgen.models import Instance
from examgen.sample import broken_rule, instantiate
from examgen.solve import make_context
from examgen.solvers import load_all
from examgen.solvers.checkers import CHECKERS
from examgen.solvers.handwork import layer_params, layer_shape
from examgen.solvers.checkers import GRADIENT_SOLVERS, central_difference

CTX = make_context("cpu")
SEEDS = st.integers(min_value=0, max_value=2**31)
FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=60, deadline=None)

load_all()
BANK_IDS = sorted(load_bank())
CHECKED_IDS = [t for t in BANK_IDS if load_bank()[t].solver in CHECKERS]


def draw(template_id: str, seed: int) -> Instance:
    template = load_bank()[template_id]
    try:
        return instantiate(template, seed_rng(template, seed), CTX)
    except SamplingError as err:  # examgen check reports these; here they are a plain failure
        pytest.fail(f"seed {seed}: {err}")


def drawn(solver: str) -> list[str]:
    return [t for t in BANK_IDS if load_bank()[t].solver == solver]


@pytest.mark.parametrize("template_id", BANK_IDS)
@FEW
@given(seed=SEEDS)
def test_instances_are_valid_finite_and_render(template_id: str, seed: int) -> None:
    inst = draw(template_id, seed)
    assert broken_rule(inst.template, inst.params) is None
    assert domain_problems(inst.template, inst.params) == []
    assert nonfinite(inst.solved.answers, "answers") == []
    assert render_problems(inst) == []


@pytest.mark.parametrize("template_id", CHECKED_IDS)
@FEW
@given(seed=SEEDS)
def test_solvers_agree_with_independent_checkers(template_id: str, seed: int) -> None:
    assert agreement_problems(draw(template_id, seed)) == []


@pytest.mark.parametrize("template_id", CHECKED_IDS)
def test_checkers_notice_a_wrong_answer(template_id: str) -> None:
    """Altering one answer at a time, the checker notices at least one (it is not vacuous)."""
    inst = draw(template_id, 0)
    keys = [k for k in inst.answers if altered(inst.answers[k])[1]]
    assert keys, "nothing in the answers to alter"
    assert set(unchecked_answers(inst)) < set(keys)


# --- family invariants on random layers --------------------------------------------------------

conv_layers = st.builds(
    lambda cin, cout, kh, kw, s, pad, bias: {"name": "c", "layer": "Conv2d", "in": cin, "out": cout,
                                             "kernel": [kh, kw], "stride": s, "padding": pad, "bias": bias},
    st.integers(1, 8), st.integers(1, 8), st.integers(1, 7), st.integers(1, 7), st.integers(1, 4),
    st.integers(0, 3), st.booleans())
pool_layers = st.builds(lambda kind, k, s: {"name": "p", "layer": kind, "kernel": k, "stride": s},
                        st.sampled_from(["MaxPool2d", "AvgPool2d"]), st.integers(1, 4), st.integers(1, 4))


@MANY
@given(layer=st.one_of(conv_layers, pool_layers), size=st.integers(8, 40), batch=st.integers(1, 4))
def test_floor_formula_gives_torch_shapes(layer: dict, size: int, batch: int) -> None:
    import torch

    channels = layer.get("in", 3)
    x = torch.empty(batch, channels, size, size + 3, device="meta")
    assert layer_shape(layer, list(x.shape)) == list(module(layer)(x).shape)


any_layers = st.one_of(
    st.builds(lambda cin, cout, k, s, pad: {"name": "c", "layer": "Conv2d", "in": cin, "out": cout,
                                            "kernel": k, "stride": s, "padding": pad},
              st.integers(1, 4), st.integers(1, 4), st.integers(1, 6), st.integers(1, 3), st.integers(0, 2)),
    st.builds(lambda kind, k, s, pad: {"name": "p", "layer": kind, "kernel": k, "stride": s, "padding": pad},
              st.sampled_from(["MaxPool2d", "AvgPool2d"]), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2)),
    st.builds(lambda cin, out: {"name": "fc", "layer": "Linear", "in": cin, "out": out},
              st.integers(1, 40), st.integers(1, 8)),
    st.sampled_from([{"name": "f", "layer": "Flatten"}, {"name": "r", "layer": "ReLU"}]))


@MANY
@given(layers=st.lists(any_layers, min_size=1, max_size=4), channels=st.integers(1, 4),
       size=st.integers(1, 9), batch=st.integers(1, 3))
def test_formula_trace_takes_and_refuses_what_torch_does(layers: list, channels: int, size: int,
                                                         batch: int) -> None:
    """The layer_shapes solver traces by formula; torch's trace (its checker) must agree on every
    shape and count, and on the layer where an input is refused (channels, kernel larger than the
    padded input, pooling padding over half the kernel, Linear features)."""
    from examgen.solvers.cnn.shapes import formula_trace, trace

    layers = [{**layer, "name": f"{layer['name']}{i}"} for i, layer in enumerate(layers)]
    by_formula, why = formula_trace([batch, channels, size, size], layers)
    by_torch, refused = trace([batch, channels, size, size], layers)
    assert by_formula == by_torch
    assert (why is None) == (refused is None), (why, refused)


def test_a_linear_layer_refuses_a_0d_input_as_torch_does() -> None:
    from examgen.solvers.cnn.shapes import formula_trace, trace

    layers = [{"name": "fc", "layer": "Linear", "in": 3, "out": 2}]
    assert formula_trace([], layers)[1] and trace([], layers)[1]


@MANY
@given(layer=conv_layers)
def test_parameter_formula_equals_numel(layer: dict) -> None:
    assert layer_params(layer) == sum(p.numel() for p in module(layer).parameters())


@MANY
@given(cin=st.integers(1, 64), out=st.integers(1, 64), bias=st.booleans())
def test_linear_parameter_formula_equals_numel(cin: int, out: int, bias: bool) -> None:
    layer = {"name": "fc", "layer": "Linear", "in": cin, "out": out, "bias": bias}
    assert layer_params(layer) == sum(p.numel() for p in module(layer).parameters())


@pytest.mark.parametrize("template_id", drawn("layer_shapes"))
@FEW
@given(seed=SEEDS)
def test_drawn_stacks_formula_shapes_and_counts(template_id: str, seed: int) -> None:
    inst = draw(template_id, seed)
    trace = inst.solved.work["trace"]
    assert [row["shape"] for row in trace] == inst.answers["shapes"]
    assert [row["params"] for row in trace] == [layer_params(l) for l in inst.params["layers"]]


@pytest.mark.parametrize("template_id", drawn("conv2d_params"))
@FEW
@given(seed=SEEDS)
def test_conv2d_params_equal_module_numel(template_id: str, seed: int) -> None:
    import torch.nn as nn

    p = draw(template_id, seed).params
    layer = nn.Conv2d(p["in_channels"], p["out_channels"], tuple(p["kernel"]), bias=p["bias"], device="meta")
    assert draw(template_id, seed).answers["total"] == sum(t.numel() for t in layer.parameters())


# --- gradients against finite differences ------------------------------------------------------

GRADIENT_IDS = [t for s in GRADIENT_SOLVERS for t in drawn(s)]


@pytest.mark.parametrize("template_id", GRADIENT_IDS)
@FEW
@given(seed=SEEDS)
def test_gradients_match_finite_differences(template_id: str, seed: int) -> None:
    """The gradient checkers difference a plain-Python forward pass; every gradient must match."""
    inst = draw(template_id, seed)
    assert CHECKERS[inst.template.solver](inst.params, inst.solved) == []


def test_central_difference_is_second_order() -> None:
    assert math.isclose(central_difference(lambda t: t ** 3, 2.0), 12.0, rel_tol=1e-7)


@pytest.mark.parametrize("template_id", drawn("cross_entropy"))
@FEW
@given(seed=SEEDS)
def test_cross_entropy_matches_torch_on_logits(template_id: str, seed: int) -> None:
    """softmax(log p) = p, so torch's cross_entropy on log p as logits gives the same loss."""
    import torch
    import torch.nn.functional as F

    p = draw(template_id, seed).params
    logits = torch.tensor([p["probs"]], dtype=torch.float64).log()
    loss = F.cross_entropy(logits, torch.tensor([p["true_class"]])).item()
    assert math.isclose(float(draw(template_id, seed).answers["loss"]), loss, rel_tol=1e-12)


@MANY
@given(batch=st.integers(1, 4), cin=st.integers(1, 32), out=st.integers(1, 32), bias=st.booleans(),
       given_in=st.integers(1, 32))
def test_linear_shapes_on_meta_agree_with_the_real_module(batch: int, cin: int, out: int, bias: bool,
                                                          given_in: int) -> None:
    """The trace runs a Linear without its bias (shapes.forward); the real module, bias and all,
    gives the same shape, or fails exactly where the trace does."""
    import torch

    from examgen.solvers.cnn.shapes import trace

    layer = {"name": "fc", "layer": "Linear", "in": cin, "out": out, "bias": bias}
    rows, failure = trace([batch, given_in], [layer])
    real = module(layer, device="cpu")
    try:
        shape = list(real(torch.zeros(batch, given_in)).shape)
    except RuntimeError:
        assert failure is not None and rows == []
    else:
        assert failure is None and rows[0]["shape"] == shape and rows[0]["params"] == layer_params(layer)
