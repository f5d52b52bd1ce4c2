"""The render stage: one sandboxed Jinja environment turns instances and exam specs into LaTeX."""
from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from typing import Any, Iterator

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import RenderError
from .grading.printed import NUMERIC, hand_marked, key_text, precision_sentence
from .tex.latexfmt import FILTERS, roman, tex
from .models import Instance, Part, Pick, RenderedOption, RenderedPart, RenderedQuestion, RenderedSection
from .inputs.paths import templates_dir
from .safety.texguard import check_bank_tex
from .safety.sandbox import MAX_DOCUMENT, MAX_TEXT, BoundedSandbox, SandboxLimit, render_bounded, stream_bounded


@lru_cache(maxsize=4)
def environment(folder: str | None = None) -> SandboxedEnvironment:
    """The one Jinja environment: LaTeX-safe delimiters, StrictUndefined, sandboxed with bounded work."""
    env = BoundedSandbox(
        block_start_string="<%", block_end_string="%>",
        variable_start_string="<<", variable_end_string=">>",
        comment_start_string="<#", comment_end_string="#>",
        undefined=jinja2.StrictUndefined, autoescape=False,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        loader=jinja2.FileSystemLoader(folder or str(templates_dir())),
        auto_reload=False,  # the templates do not change during a run: no stat of each on every use
    )
    env.add_filters(FILTERS)
    return env


@lru_cache(maxsize=4096)
def _compiled(text: str) -> jinja2.Template:
    return environment().from_string(text)


_STARTS = ("<<", "<%", "<#")  # the environment's variable, block and comment start strings


def _plain(text: str) -> bool:
    """True when Jinja would give the text back as it is (no tag, no newline to normalise), so
    compiling it is wasted work: most options and short answers in the bank are such text."""
    return len(text) <= MAX_TEXT and "\r" not in text and not any(s in text for s in _STARTS)


def render_text(text: str, context: dict[str, Any], where: str) -> str:
    """Render one piece of a bank file, checked against what bank LaTeX may ask of TeX
    (safety/texguard.py); errors name the file, field and template."""
    return check_bank_tex(_render(text, context, where), where)


def _render(text: str, context: dict[str, Any], where: str) -> str:
    if _plain(text):
        return text.strip()
    try:
        return render_bounded(_compiled(text), context, MAX_TEXT).strip()
    except jinja2.TemplateSyntaxError as err:
        raise RenderError(f"{where}: line {err.lineno}: {err.message}") from None
    except jinja2.UndefinedError as err:
        raise RenderError(f"{where}: {err.message}") from None
    except jinja2.exceptions.SecurityError as err:
        raise RenderError(f"{where}: not allowed in a template: {err}") from None
    except TEMPLATE_FAILURES as err:
        raise RenderError(f"{where}: {_failure(err)}") from None


# What bank text can cause while rendering: a user error with one line, not a traceback.
TEMPLATE_FAILURES = (jinja2.TemplateError, SandboxLimit, ArithmeticError, ValueError, TypeError,
                     LookupError, RecursionError, MemoryError)


def _failure(err: BaseException) -> str:
    if isinstance(err, jinja2.TemplateNotFound):
        return f"no template {err.name!r} to include"
    if isinstance(err, SandboxLimit):
        return f"too much work for a template: {err}"
    text = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
    return f"{type(err).__name__}{': ' + text if text else ''}"


def option_records(instance: Instance, index: int) -> list[dict[str, Any]]:
    """The options of part `index` in shown order, labelled i), ii), ..."""
    return [{"label": roman(i), "text": o.text, "correct": o.correct, "why": o.why}
            for i, o in enumerate(instance.choices.get(index, []))]


def correct_labels(instance: Instance, index: int) -> str:
    """The key for a multiple-choice part: the labels of its correct options, or 'none'."""
    labels = [o["label"] for o in option_records(instance, index) if o["correct"]]
    return ", ".join(labels) if labels else "none"


def _contexts(instance: Instance, index: int, labels: dict[str, str] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the question may see (parameters only) and what the solution may see (everything).

    `labels` maps a part's own label to the one printed, so text can say "your result from (<< labels.a >>)"."""
    shown = {"options": option_records(instance, index), "labels": labels or {}}
    question = {**instance.params, **shown}
    solution = {**question, **instance.solved.work, **instance.solved.answers,
                "correct": correct_labels(instance, index)}
    return question, solution


def _options_tex(options: list[RenderedOption], with_key: bool) -> str:
    """The options as the paper lists them, i) ii) ...; with the key, each one's verdict and why."""
    items = []
    for i, o in enumerate(options):
        text = o.text
        if with_key:
            verdict = r"\textbf{true}" if o.correct else "false"
            text += f"\\examgenright[{verdict}]" + (f"\\\\ \\emph{{{o.why}}}" if o.why else "")
        items.append(f"\\item[{roman(i)})] {text}")
    return "\n\\begin{itemize}\n" + "\n".join(items) + "\n\\end{itemize}"


ONE_OPTION = "Give the label of the one correct option."


def render_part(instance: Instance, index: int, label: str, marks: float,
                labels: dict[str, str] | None = None) -> RenderedPart:
    part: Part = instance.template.parts[index]
    where = f"{instance.template.path} (template {instance.template.id}) parts[{index}]"
    q_ctx, s_ctx = _contexts(instance, index, labels)
    question = render_text(part.question, q_ctx, f"{where}.question")
    note = precision_sentence(part.response)
    if note and not q_ctx["options"]:   # how to give the answer
        question += r"\par " + note
    if q_ctx["options"] and not part.options:  # asked as multiple choice (mistakes): its text cannot say how many
        question += r"\par " + ONE_OPTION
    solution = render_text(part.solution, s_ctx, f"{where}.solution") if part.solution else ""
    prompt, work = question, solution
    options = q_ctx["options"]
    shown = [RenderedOption(render_text(o["text"], q_ctx, f"{where}.options"), o["correct"],
                            render_text(o["why"], s_ctx, f"{where}.options") if o["why"] else "") for o in options]
    if shown:
        question += _options_tex(shown, False)
        solution = _options_tex(shown, True) + "\n\n" + solution
    if part.marking:
        solution += "\n\n" + marking_guide(part, marks, s_ctx, where)
    answer = render_text(part.answer, s_ctx, f"{where}.answer")
    if options and not part.options:  # a numeric part asked as multiple choice: the key gives the label
        answer = f"{s_ctx['correct']}) {answer}"
    elif part.response.kind in NUMERIC:   # the key prints what is graded: each value rounded once
        answer = check_bank_tex(_graded(part, instance.solved.answers, answer, marks), f"{where}.response")  # notation is bank TeX
    return RenderedPart(label, marks, question, solution.strip(), answer, part.space, bool(options),
                        index, prompt, shown, work, written=hand_marks(part, marks) if options else 0.0)


def hand_marks(part: Part, marks: float) -> float:
    """The part's `response.manual` marks (a reason, a formula) rescaled to the marks this exam gives
    it, on the half-mark grid."""
    manual = part.response.manual
    if manual and part.marks and marks != part.marks:
        return round(manual * marks / part.marks * 2) / 2
    return manual


def _graded(part: Part, answers: dict[str, Any], answer: str, marks: float) -> str:
    """The key's line for the declared response (the bank's answer if it does not fit); its marks by
    hand rescaled, as the marking guide and the exports rescale them, when the spec gives the part
    other marks."""
    response = replace(part.response, manual=hand_marks(part, marks))
    try:
        graded = key_text(replace(response, manual=0.0), answers)
        return key_text(response, answers, hand_marked(answer, graded) if response.manual else "")
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return answer       # `examgen check` names the response that does not fit


def scaled_points(points: list[float], total: float, step: float | None = None) -> list[float]:
    """Shares rescaled to add up to `total`, on the half-mark grid (quarter marks only when `total` is
    under one mark; issue 25) unless `step` is given; the largest share absorbs the rounding. A grid
    too coarse to give every share something falls back to quarter marks, then exact proportions."""
    own = sum(points)
    if own == 0 or abs(own - total) < 1e-9:
        return list(points)
    for grid in ([step] if step else [0.25] if total < 1 else [0.5, 0.25]):
        scaled = [round(p * total / own / grid) * grid for p in points]
        largest = max(range(len(points)), key=lambda i: points[i])
        scaled[largest] += total - sum(scaled)
        if min(scaled) > 0:
            return scaled
    return [p * total / own for p in points]  # too many shares for any grid: keep exact proportions


def marking_guide(part: Part, marks: float, ctx: dict[str, Any], where: str) -> str:
    """The part's marking guide for the marks this exam gives it, from templates/partials/marking.tex.j2."""
    shares = scaled_points([m.points for m in part.marking], marks)
    points = [{"points": s, "text": render_text(m.text, ctx, f"{where}.marking[{i}].text")}
              for i, (s, m) in enumerate(zip(shares, part.marking))]
    return render_document("partials/marking.tex.j2", points=points).strip()


def _part_marks(pick: Pick, parts: list[int]) -> list[float]:
    """Each part's marks, scaled when the spec overrides the question's total."""
    own = [pick.template.parts[i].marks for i in parts]
    if pick.marks is None or sum(own) == 0:
        return own
    scale = pick.marks / sum(own)
    return [round(m * scale * 2) / 2 for m in own[:-1]] + [pick.marks - sum(round(m * scale * 2) / 2 for m in own[:-1])]


def asked_parts(instance: Instance, pick: Pick) -> list[int]:
    """Indices of the parts this exam asks: those the spec names, whose `when` parameter holds."""
    return [i for i, p in enumerate(instance.template.parts)
            if (not pick.parts or p.label in pick.parts) and (p.when is None or instance.params.get(p.when))]


def render_question(instance: Instance, pick: Pick, labels: Iterator[str]) -> RenderedQuestion:
    t = instance.template
    chosen = asked_parts(instance, pick)
    marks = _part_marks(pick, chosen)
    shown = {t.parts[i].label or "": next(labels) for i in chosen}
    parts = [render_part(instance, i, shown[t.parts[i].label or ""], m, shown) for i, m in zip(chosen, marks)]
    q_ctx, s_ctx = _contexts(instance, -1, shown)
    stem = render_text(t.stem, q_ctx, f"{t.path} (template {t.id}) question") if t.stem else ""
    stem_sol = render_text(t.stem_solution, s_ctx, f"{t.path} (template {t.id}) solution") if t.stem_solution else ""
    sources = ", ".join(str(s) for s in (t.source, *t.sources))
    return RenderedQuestion(t.id, t.title, sources, stem, stem_sol, parts)  # errata: document.errata


def _labels(count: int) -> Iterator[str]:
    if count == 1:
        yield ""
        return
    for i in range(count):
        yield part_label(i)


def part_label(i: int) -> str:
    """The i-th part's letter (from 0): a ... z, then aa, ab, ..., as the paper's \thepartno
    prints it (setup.tex.j2)."""
    return chr(ord("a") + i) if i < 26 else chr(ord("a") + i // 26 - 1) + chr(ord("a") + i % 26)


def render_section(title: str, intro: str, instances: list[Instance], picks: list[Pick]) -> RenderedSection:
    """A section's questions, parts lettered (a), (b), ... across the section; the spec's own title
    and intro are plain text (escaped), never LaTeX a spec could run."""
    count = sum(len(asked_parts(inst, pk)) for inst, pk in zip(instances, picks))
    labels = _labels(count)
    questions = [render_question(inst, pk, labels) for inst, pk in zip(instances, picks)]
    return RenderedSection(tex(title), tex(intro), questions)


def render_document(name: str, **context: Any) -> str:
    """A whole LaTeX document from templates/<name>."""
    return "".join(stream_document(name, **context))


def stream_document(name: str, **context: Any) -> Iterator[str]:
    """render_document a piece at a time, as the template produces it (a document's variants
    may be an iterable that is still being sampled)."""
    try:
        yield from stream_bounded(environment().get_template(name), context, MAX_DOCUMENT, steps=math.inf)
    except jinja2.TemplateError as err:
        where = getattr(err, "filename", None) or name
        line = getattr(err, "lineno", None)
        raise RenderError(f"templates/{name}: {where}{f' line {line}' if line else ''}: {err}") from None
    except TEMPLATE_FAILURES as err:
        raise RenderError(f"templates/{name}: {_failure(err)}") from None


def plain(value: Any) -> Any:
    """JSON-ready data: sympy numbers become {exact, latex, value}, tensors become lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    module = type(value).__module__
    if module.startswith("torch") or module.startswith("numpy"):
        return plain(value.tolist())
    if isinstance(value, Fraction):
        return {"exact": str(value), "value": float(value)}
    if module.startswith("sympy"):
        return _plain_sympy(value)
    return str(value)


def _plain_sympy(x: Any) -> Any:
    import sympy

    if isinstance(x, sympy.MatrixBase):
        return [[_plain_sympy(c) for c in row] for row in x.tolist()]
    if x.is_Integer:
        return int(x)
    if x.is_number and x.is_real:
        return {"exact": str(x), "latex": sympy.latex(x, ln_notation=True), "value": float(x)}
    return {"exact": str(x), "latex": sympy.latex(x, ln_notation=True)}

