"""A one-unit RNN with a threshold hidden unit that latches: output 0 until the first 1, then 1 forever."""
from __future__ import annotations

import random

from .. import SolveContext, Solved, drawer, rule, solver
from ..checkers import checker
from ..effort import Work
from ...models import Params


def latch_constraints(w: dict[str, float]) -> list[tuple[str, bool]]:
    """The five conditions a solution with y_t = h_t must meet, each with whether it holds."""
    return [("b_3 = 0", w["b3"] == 0), ("w_3 + b_3 = 1", w["w3"] + w["b3"] == 1),
            ("b_2 < 0", w["b2"] < 0), ("w_2 + b_2 \\ge 0", w["w2"] + w["b2"] >= 0),
            ("w_1 + b_2 \\ge 0", w["w1"] + w["b2"] >= 0)]


def simulate(bits: str, w: dict[str, float]) -> list[tuple[int, int, float]]:
    """(x_t, h_t, y_t) for each step: h_t = step(w1 x_t + w2 h_{t-1} + b2), y_t = w3 h_t + b3, h_0 = 0."""
    h, rows = 0, []
    for ch in bits:
        x = int(ch)
        h = 1 if w["w1"] * x + w["w2"] * h + w["b2"] >= 0 else 0
        rows.append((x, h, w["w3"] * h + w["b3"]))
    return rows


@drawer("latch_input_bits")
def latch_input_bits(rng: random.Random, params: Params, length: int = 8) -> str:
    """A bit string that starts with 0, has its first 1 inside, and has a 0 after that 1."""
    first = rng.randint(1, length - 3)
    tail = [rng.choice("01") for _ in range(length - first - 1)]
    tail[rng.randrange(len(tail))] = "0"
    return "0" * first + "1" + "".join(tail)


@drawer("latch_weights")
def latch_weights(rng: random.Random, params: Params) -> dict[str, float]:
    """One valid weight set (the model answer): b2 < 0, w1 and w2 at least −b2, w3 = 1, b3 = 0."""
    b2 = rng.choice([-1, -0.5, -2])
    return {"w1": -b2 + rng.choice([0, 0.5, 1]), "w2": -b2 + rng.choice([0, 0.5, 1]), "b2": b2,
            "w3": 1, "b3": 0}


@rule("latch_weights_valid")
def latch_weights_valid(p: Params) -> bool:
    """The model-answer weights satisfy every latch constraint."""
    return all(ok for _, ok in latch_constraints(p["weights"]))


@solver("threshold_rnn_latch")
def threshold_rnn_latch(p: Params, ctx: SolveContext) -> Solved:
    """Check the weights against the constraints and run them on the input string."""
    rows = simulate(p["bits"], p["weights"])
    expected = "".join("1" if "1" in p["bits"][: i + 1] else "0" for i in range(len(p["bits"])))
    produced = "".join(str(int(y)) for _, _, y in rows)
    if produced != expected:
        raise AssertionError(f"weights {p['weights']} give {produced}, the latch needs {expected}")
    return Solved(answers={"output": produced},
                  work={"trace": [{"x": x, "h": h, "y": int(y)} for x, h, y in rows],
                        "constraints": [text for text, _ in latch_constraints(p["weights"])]},
                  effort=latch_effort(p["weights"], len(rows)))


def latch_effort(w: dict[str, float], steps: int) -> float:
    """The hand work of the worked solution: each condition checked on the chosen weights (its sum,
    then a comparison), and one step per unit update of the trace (its h_t and y_t)."""
    work = Work()
    work.add(w["w3"], w["b3"])
    work.add(w["w2"], w["b2"])
    work.add(w["w1"], w["b2"])
    work.compare(len(latch_constraints(w)))
    work.step(steps)
    return work.total


@checker("threshold_rnn_latch")
def check_threshold_rnn_latch(p: Params, solved: Solved) -> list[str]:
    """Independently: the output is 0 before the first 1 and 1 from it on, and the weights meet the constraints."""
    bits = p["bits"]
    first = bits.find("1")
    want = "0" * len(bits) if first < 0 else "0" * first + "1" * (len(bits) - first)
    problems = [] if solved.answers["output"] == want else [f"output {solved.answers['output']} != {want}"]
    return problems + [f"weights break {text}" for text, ok in latch_constraints(p["weights"]) if not ok]
