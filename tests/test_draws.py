"""Degenerate or predictable draws (issue 24, item 4), each measured over 200 draws as `examgen check`
draws them (seeds 0-199): a flat max-pooling output, hard attention that returns V, momentum landing
on the centre, learning-rate epochs always in steps 1-3, a ReLU autoencoder without an inactive
unit, a pooling two answers fit, and an RNN whose verdict needs the eigenvalues of a 3x3 matrix."""
from __future__ import annotations

import random
from collections import Counter
from functools import lru_cache

from examgen.bank import load_bank
from examgen.models import Instance
from examgen.quality.check import seed_rng
from examgen.render import render_part
from examgen.sample import instantiate
from examgen.solve import make_context
from examgen.solvers import load_all

load_all()
DRAWS = 200


@lru_cache(maxsize=None)
def draws(template_id: str) -> tuple[Instance, ...]:
    template = load_bank()[template_id]
    ctx = make_context("cpu")
    return tuple(instantiate(template, seed_rng(template, seed), ctx) for seed in range(DRAWS))


def test_maxpool_output_has_three_distinct_values() -> None:
    """Was constant in 19 % of draws and two-valued in 29 %."""
    distinct = Counter(len({v for row in i.answers["output"] for v in row}) for i in draws("maxpool-by-hand"))
    assert min(distinct) >= 3, distinct


def test_hard_attention_output_is_never_v() -> None:
    """Was V itself (each query picking its own key) in 6 % of draws, 23 % of the square ones."""
    same = [i for i in draws("hard-attention") if i.answers["output"] == [[float(v) for v in r] for r in i.params["V"]]]
    assert not same


def test_momentum_never_lands_on_the_centre() -> None:
    """Both coordinates landed on the given centre in 4 % of draws, one of them in 21 %."""
    hits = [i.params for i in draws("momentum-steps")
            if any(abs(t - c) < 1e-9 for t, c in zip(i.answers["theta_final"], i.params["centre"]))]
    assert not hits


def test_lr_step_decay_epochs_spread_over_the_schedule() -> None:
    """Every draw asked steps 1, 2 and 3; now any three of steps 1-4 (the drawer itself: each set a
    quarter of the time; the family's effort band then keeps the lighter ones more often)."""
    from examgen.solvers.optimisation.lr_schedule import lr_step_epochs

    rng = random.Random(0)
    drawn = Counter(tuple(t // 10 for t in lr_step_epochs(rng, {"K": 10})) for _ in range(2000))
    assert set(drawn) == {(1, 2, 3), (1, 2, 4), (1, 3, 4), (2, 3, 4)}
    assert all(abs(c / 2000 - 0.25) < 0.04 for c in drawn.values()), drawn
    steps = Counter(tuple(sorted(t // i.params["K"] for t in i.params["epochs"])) for i in draws("lr-step-decay"))
    assert len(steps) >= 2 and steps[(1, 2, 3)] < 0.75 * DRAWS, steps


def test_relu_autoencoder_has_inactive_units_in_a_good_share() -> None:
    """No draw had an inactive ReLU (every domain was >= 0); now 40-75 % do, in the first or the third
    layer, and the worked solution says which node gives 0 and why its g' is 0."""
    insts = draws("relu-autoencoder")
    inactive = [i for i in insts if i.solved.work["inactive"]]
    assert 0.4 * DRAWS <= len(inactive) <= 0.75 * DRAWS
    assert all(n in (1, 2, 3, 5, 6, 7) for i in inactive for n in i.solved.work["inactive"])
    assert all(abs(i.answers["nodes"][n - 1]) < 1e-12 for i in inactive for n in i.solved.work["inactive"])
    third = next(i for i in inactive if any(n >= 5 for n in i.solved.work["inactive"]))
    assert r"\max(0," in render_part(third, 0, "i", 3.5).solution
    assert r"g' = 0$ at node" in render_part(third, 2, "iii", 3).solution


def test_pooling_identify_has_one_answer_among_all_windows_and_strides() -> None:
    """Two poolings fitted in 1.7 % of draws once windows that leave rows over or strides larger than
    the window (max 2x2 stride 4 beside max 3x3 stride 3) count too."""
    from examgen.solvers.cnn.pooling_id import pool

    for inst in draws("pooling-identify"):
        image, out, n = inst.params["image"], inst.params["output"], len(inst.params["image"])
        fits = [(op, k, s) for k in range(1, n + 1) for s in range(1, n + 1) if (n - k) // s + 1 == len(out)
                for op in ("max", "average") if pool(image, op, k, s) == out]
        assert len(fits) == 1, fits


def test_rnn_verdict_decidable_from_the_singular_values() -> None:
    """In 36 % of draws the largest singular value was above 1 with a spectral radius below 1, so the
    key's 'vanish' needed a 3x3 matrix's eigenvalues; now all shown singular values lie on one side of
    1 (the eigenvalue moduli lie between the smallest and the largest), and both verdicts come up."""
    verdicts = Counter()
    for inst in draws("rnn-bptt-gradients"):
        shown = inst.params["W_h"]["singular_values"]
        by_hand = "vanish" if max(shown) < 1 else "explode" if min(shown) > 1 else None
        assert by_hand == inst.answers["behaviour"], (shown, inst.answers)
        verdicts[by_hand] += 1
    assert min(verdicts.values()) >= 0.25 * DRAWS, verdicts
