"""`examgen solve`: one instance of one template, as a plain record."""
from __future__ import annotations

from typing import Any

from ..bank import Banks, get_template, load_bank
from ..models import Pick
from ..render import asked_parts, plain, render_question
from ..sample import instantiate
from ..seeding import rng_for
from ..solve import make_context


def solve_one(template_id: str, seed: int, preset: str | None, overrides: dict[str, Any],
              device: str = "cpu", banks: Banks | None = None) -> dict[str, Any]:
    """Draw (or take) values, solve, render; the record `solve --json` prints."""
    template = get_template(template_id, load_bank(banks))
    rng = rng_for(seed, 1, template.id, 0)
    instance = instantiate(template, rng, make_context(device), preset=preset, overrides=overrides)
    pick = Pick(template)
    labels = iter([""] if len(asked_parts(instance, pick)) == 1 else "abcdefghijklmnopqrstuvwxyz")
    question = render_question(instance, pick, labels)
    parts = question.parts
    record: dict[str, Any] = {
        "id": template.id, "seed": seed, "preset": preset, "source": question.source,
        "params": plain(instance.params), "answers": plain(instance.answers),
        "question": _joined(question.stem, [(p.label, p.question) for p in parts]),
        "solution": _joined(question.stem_solution, [(p.label, p.solution) for p in parts]),
        "answer": _joined("", [(p.label, p.answer) for p in parts]),
    }
    if preset:
        record["paper"] = _paper_check(template.presets[preset])
    return record


def _joined(stem: str, parts: list[tuple[str, str]]) -> str:
    pieces = [stem] if stem else []
    pieces += [f"({label}) {text}" if label else text for label, text in parts]
    return "\n\n".join(pieces)


def _paper_check(preset: Any) -> dict[str, Any]:
    """What the paper printed beside what the solver says, with the erratum if there is one."""
    return {"printed": preset.paper_answers, "erratum": preset.erratum}
