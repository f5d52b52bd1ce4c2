"""The first six families: each preset reproduces the answer its paper prints."""
from __future__ import annotations

import math

import pytest

from examgen.bank import load_bank
from examgen.render import plain
from examgen.sample import instantiate
from examgen.seeding import rng_for
from examgen.solve import make_context
from examgen.solvers.common import read_printed

CTX = make_context("cpu")


def preset_answers(template_id: str, preset: str) -> dict:
    template = load_bank()[template_id]
    instance = instantiate(template, rng_for(0), CTX, preset=preset)
    return plain(instance.answers)


@pytest.mark.parametrize("template_id,preset,key", [
    ("conv2d-params", "oslo-2022-3c", "total"),
    ("conv2d-params", "fast-cs4045-2b", "total"),
    ("maxpool-by-hand", "oslo-2022-3a", "output"),
    ("conv2d-by-hand", "fast-cs4045-2c-i", "output"),
    ("layer-output-shapes", "glasgow-2023-1d-model2", "final_shape"),
    ("layer-output-shapes", "glasgow-2023-1d-model1", "final_shape"),
])
def test_preset_matches_paper(template_id: str, preset: str, key: str) -> None:
    printed = load_bank()[template_id].presets[preset].paper_answers[key]
    assert preset_answers(template_id, preset)[key] == printed


def test_cross_entropy_is_minus_log_of_true_class() -> None:
    import sympy

    template = load_bank()["cross-entropy"]
    params = template.presets["imperial-2023-1g-ii"].params
    loss = instantiate(template, rng_for(0), CTX, preset="imperial-2023-1g-ii").answers["loss"]
    assert sympy.simplify(loss + sympy.log(sympy.Rational(str(params["probs"][params["true_class"]])))) == 0
    printed = read_printed(template.presets["imperial-2023-1g-ii"].paper_answers["loss"])  # "-log(0.3)"
    assert math.isclose(float(loss), float(printed), rel_tol=1e-12)


def test_self_attention_saturates_to_last_value_row() -> None:
    printed = load_bank()["self-attention"].presets["fast-cs4045-7"].paper_answers["output"]
    out = preset_answers("self-attention", "fast-cs4045-7")["output"]
    assert out == printed


def test_glasgow_conv_then_pool_follow_each_other() -> None:
    answers = preset_answers("conv2d-by-hand", "glasgow-2023-2ab")
    out = answers["output"]
    assert len(out) == 2 and len(out[0]) == 3          # 3x5 image, 2x3 kernel, no padding
    pooled = [[max(out[i][j], out[i][j + 1], out[i + 1][j], out[i + 1][j + 1]) for j in range(2)] for i in range(1)]
    assert answers["pooled"] == pooled


def test_every_preset_of_the_core_families_solves() -> None:
    for tid in ("conv2d-params", "layer-output-shapes", "conv2d-by-hand", "maxpool-by-hand",
                "cross-entropy", "self-attention"):
        for name in load_bank()[tid].presets:
            assert preset_answers(tid, name)


@pytest.mark.parametrize("text", ['__import__("os").system("true")', "os.getcwd()", "log(0.3); 1", "x + 1", "(lambda: 1)()"])
def test_printed_answers_are_read_not_evaluated(text: str) -> None:
    with pytest.raises(ValueError, match="not a printed answer"):
        read_printed(text)
