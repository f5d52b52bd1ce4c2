"""Sampling: explicit seeding, validity rules, bounded rejection, given values checked."""
from __future__ import annotations

import pytest

from examgen.bank import load_bank
from examgen.build import sample_variants, Quiet
from examgen.errors import ParamError, SamplingError
from examgen.sample import fingerprint, instantiate, broken_rule
from examgen.seeding import derive_seed, rng_for
from examgen.solve import make_context
from examgen.spec import parse_spec

CTX = make_context("cpu")


def draw(template_id: str, seed: int, **kw):
    return instantiate(load_bank()[template_id], rng_for(seed, 1, template_id, 0), CTX, **kw)


def test_derived_seeds_are_stable_and_distinct() -> None:
    assert derive_seed(7, 1, "conv2d-params") == derive_seed(7, 1, "conv2d-params")
    assert len({derive_seed(7, v, "conv2d-params") for v in range(100)}) == 100


def test_same_seed_same_instance_different_seed_differs() -> None:
    for tid in load_bank():
        a, b = draw(tid, 11), draw(tid, 11)
        assert a.params == b.params and a.answers == b.answers
    different = [tid for tid in ("conv2d-params", "conv2d-by-hand", "maxpool-by-hand",
                                 "cross-entropy", "self-attention", "layer-output-shapes")
                 if draw(tid, 1).params != draw(tid, 2).params]
    assert len(different) == 6


@pytest.mark.parametrize("tid", ["conv2d-by-hand", "maxpool-by-hand", "self-attention", "layer-output-shapes"])
def test_drawn_instances_keep_their_rules(tid: str) -> None:
    template = load_bank()[tid]
    for seed in range(25):
        assert broken_rule(template, draw(tid, seed).params) is None


def test_attention_draws_are_not_saturated() -> None:
    for seed in range(25):
        weights = draw("self-attention", seed).solved.work["weights"]
        assert max(max(row) for row in weights) <= 0.95


def test_layer_stacks_divide_evenly() -> None:
    for seed in range(25):
        inst = draw("layer-output-shapes", seed)
        size = inst.params["input"][2]
        for layer in inst.params["layers"]:
            if layer["layer"] == "Conv2d":
                assert (size + 2 * layer["padding"] - layer["kernel"]) % layer["stride"] == 0
                size = (size + 2 * layer["padding"] - layer["kernel"]) // layer["stride"] + 1


def _spec(items: list) -> object:
    data = {"title": "t", "sections": [{"title": "s", "questions": items}]}
    from pathlib import Path
    return parse_spec(Path("x.yaml"), data)


def test_adding_a_question_does_not_change_the_others() -> None:
    bank = load_bank()
    small = sample_variants(_spec(["conv2d-params", "self-attention"]), bank, 5, 2, CTX, Quiet())
    large = sample_variants(_spec(["maxpool-by-hand", "conv2d-params", "cross-entropy", "self-attention"]),
                            bank, 5, 2, CTX, Quiet())
    for v_small, v_large in zip(small, large):
        kept = {i.template.id: i.params for i in v_small.instances[0]}
        grown = {i.template.id: i.params for i in v_large.instances[0]}
        assert all(grown[k] == p for k, p in kept.items())


def test_variants_get_different_instances() -> None:
    variants = sample_variants(_spec(["conv2d-params"]), load_bank(), 3, 30, CTX, Quiet())
    assert len({fingerprint(v.instances[0][0].params) for v in variants}) == 30


def test_set_value_is_validated_like_a_drawn_one() -> None:
    inst = draw("conv2d-params", 3, overrides={"in_channels": 64, "kernel": [5, 9]})
    assert inst.params["in_channels"] == 64 and inst.answers["total"] == inst.params["out_channels"] * (64 * 45 + 1)
    with pytest.raises(ParamError, match="in_channels='many'"):
        draw("conv2d-params", 3, overrides={"in_channels": "many"})
    with pytest.raises(ParamError, match="unknown parameter 'channels'"):
        draw("conv2d-params", 3, overrides={"channels": 3})
    with pytest.raises(ParamError, match="no preset 'nope'"):
        draw("conv2d-params", 3, preset="nope")


def test_unsatisfiable_rule_names_template_and_rule() -> None:
    # an all-zero kernel (inside its domain) breaks kernel_not_trivial in every instance
    tiny = {"kernel_rows": 2, "kernel_cols": 2, "kernel": [[0, 0], [0, 0]]}
    with pytest.raises(SamplingError, match=r"conv2d-by-hand.*kernel_not_trivial"):
        draw("conv2d-by-hand", 1, overrides=tiny)
