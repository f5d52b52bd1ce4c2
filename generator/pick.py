"""The pick stage: which templates fill each section of an exam, for one variant."""
from __future__ import annotations


from .bank import get_template
from .errors import BankError, SpecError
from .models import ExamSpec, ItemSpec, Pick, Template
from .seeding import rng_for


def candidates(item: ItemSpec, bank: dict[str, Template], spec: ExamSpec) -> list[Template]:
    """The templates an item may draw from."""
    if item.template:
        return [_known(item.template, bank, spec)]
    if item.pool:
        return [_known(t, bank, spec) for t in item.pool]
    found = [t for t in bank.values()
             if (item.topic is None or item.topic in t.topics) and (item.kind is None or t.kind == item.kind)]
    if not found:
        raise SpecError(f"{spec.path}: no template has topic={item.topic!r} kind={item.kind!r}")
    return sorted(found, key=lambda t: t.id)


def _known(template_id: str, bank: dict[str, Template], spec: ExamSpec) -> Template:
    try:
        return get_template(template_id, bank)
    except BankError as err:
        raise SpecError(f"{spec.path}: {err}") from None


def _check_item(item: ItemSpec, template: Template, spec: ExamSpec) -> None:
    if item.preset and item.preset not in template.presets:
        raise SpecError(f"{spec.path}: template {template.id} has no preset {item.preset!r} "
                        f"(presets: {', '.join(template.presets) or 'none'})")
    labels = {p.label for p in template.parts}
    missing = [p for p in item.parts if p not in labels]
    if missing:
        raise SpecError(f"{spec.path}: template {template.id} has no part(s) {', '.join(missing)}")
    if item.as_choice and not template.mistakes:
        raise SpecError(f"{spec.path}: template {template.id} declares no mistakes, so it cannot be "
                        f"asked as: multiple-choice")


def check_draws(spec: ExamSpec, bank: dict[str, Template]) -> None:
    """Each item of the spec as written that draws several templates has that many to draw from.

    Checked before any picking, against the items as written (spec.LoadedSpec.written): a section
    prints each draw as a question of its own, and after that split a topic of one template would
    be drawn again for every one of them (`draw: 1000` made 1000 copies, and TeX ran out of
    memory). The templates the spec names elsewhere are not drawn again, as in pick_section."""
    named = {item.template for sec in spec.sections for item in sec.items if item.template}
    for where, item in getattr(spec, "written", ()):
        if item.draw <= 1:
            continue
        pool = candidates(item, bank, spec)
        fresh = [t for t in pool if t.id not in named] if len(pool) > 1 and not item.template else pool
        if item.draw > len(fresh):
            source = ("its template" if item.template else "its pool" if item.pool else
                      " and ".join(f"{k} {v!r}" for k, v in (("topic", item.topic), ("kind", item.kind)) if v))
            left = f"{len(fresh)} template{'s' if len(fresh) != 1 else ''}"
            raise SpecError(f"{spec.path}: {where}.draw: draws {item.draw} templates, but {source} has "
                            f"{left} to draw from" + (" not named elsewhere in the spec" if len(fresh) < len(pool) else ""))


def printed_preset(template: Template, spec: ExamSpec) -> str | None:
    """The template's first preset holding this spec's paper's own values, if it has one."""
    if not spec.preset_prefix:
        raise SpecError(f"{spec.path}: preset_prefix: needed to build the paper as printed")
    return next((name for name in template.presets if name.startswith(spec.preset_prefix)), None)


def pick_section(spec: ExamSpec, index: int, bank: dict[str, Template], seed: int, variant: int,
                 taken: set[str], as_printed: bool = False) -> list[Pick]:
    """The picks of one section; draws avoid templates already used elsewhere in the exam."""
    rng = rng_for("pick", seed, variant, spec.id, index)
    picks: list[Pick] = []
    for n, item in enumerate(spec.sections[index].items):
        pool = candidates(item, bank, spec)
        fresh = [t for t in pool if t.id not in taken] if len(pool) > 1 else pool
        if len(fresh) < item.draw:
            raise SpecError(f"{spec.path}: sections[{index}].questions[{n}]: asks for {item.draw} "
                            f"templates but only {len(fresh)} are left to draw from")
        chosen = fresh if item.template else rng.sample(fresh, item.draw)
        for k, template in enumerate(chosen):
            _check_item(item, template, spec)
            taken.add(template.id)
            preset = item.preset or (printed_preset(template, spec) if as_printed else None)
            picks.append(Pick(template, k, preset, item.marks, item.parts, item.as_choice))
    if spec.sections[index].shuffle:
        rng.shuffle(picks)
    return picks


def pick_questions(spec: ExamSpec, bank: dict[str, Template], seed: int, variant: int,
                   as_printed: bool = False) -> list[list[Pick]]:
    """Every section's picks for this variant (pools and shuffles depend on seed and variant).

    `as_printed` takes each template's preset for the spec's paper, so the paper comes out with its
    own numbers (and our worked solutions and corrected answers); templates without one are drawn."""
    check_draws(spec, bank)
    taken = {item.template for sec in spec.sections for item in sec.items if item.template}
    return [pick_section(spec, i, bank, seed, variant, taken, as_printed) for i in range(len(spec.sections))]
