"""The Transformer block diagram with some boxes left blank: which boxes, and the key naming them."""
from __future__ import annotations

import random

from .. import SolveContext, Solved, drawer, rule, solver
from ..checkers import checker
from ..effort import Work
from ...models import Params

# box id → component name, as drawn in templates (encoder then decoder, bottom to top)
BOXES = {
    "enc_embed": "Input Embedding", "enc_pos": "Positional Encoding", "enc_mha": "Multi-Head Attention",
    "enc_an1": "Add & Norm", "enc_ff": "Feed Forward", "enc_an2": "Add & Norm",
    "dec_embed": "Output Embedding", "dec_pos": "Positional Encoding",
    "dec_mmha": "Masked Multi-Head Attention", "dec_an1": "Add & Norm", "dec_mha": "Multi-Head Attention",
    "dec_an2": "Add & Norm", "dec_ff": "Feed Forward", "dec_an3": "Add & Norm", "dec_lin": "Linear",
    "dec_soft": "Softmax",
}


@drawer("transformer_blank_boxes")
def transformer_blank_boxes(rng: random.Random, params: Params, count: int = 5) -> list[str]:
    """`count` boxes to blank, each showing a different component, in diagram order."""
    names = rng.sample(sorted(set(BOXES.values())), count)
    chosen = [rng.choice([b for b, n in BOXES.items() if n == name]) for name in names]
    return [b for b in BOXES if b in chosen]


@rule("transformer_blanks_known")
def transformer_blanks_known(p: Params) -> bool:
    """Every blanked box is a box of the diagram, none twice."""
    return all(b in BOXES for b in p["blanks"]) and len(set(p["blanks"])) == len(p["blanks"])


@solver("transformer_blank_key")
def transformer_blank_key(p: Params, ctx: SolveContext) -> Solved:
    """The component each numbered blank stands for; one step (a look-up) per blank named."""
    work = Work()
    work.step(len(p["blanks"]))
    return Solved(answers={"key": [BOXES[b] for b in p["blanks"]]}, effort=work.total)


@checker("transformer_blank_key")
def check_transformer_blank_key(p: Params, solved: Solved) -> list[str]:
    """Independently: one name per blank, each a listed component other than the distractor Sigmoid."""
    listed = {"Input Embedding", "Output Embedding", "Positional Encoding", "Multi-Head Attention",
              "Masked Multi-Head Attention", "Add & Norm", "Feed Forward", "Linear", "Softmax"}
    key = solved.answers["key"]
    problems = [] if len(key) == len(p["blanks"]) else [f"{len(key)} names for {len(p['blanks'])} blanks"]
    return problems + [f"{name!r} is not a listed component" for name in key if name not in listed]
