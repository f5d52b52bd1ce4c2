"""Plain data passed between the pipeline stages: spec → pick → sample → solve → render → compile → write."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Params = dict[str, Any]


@dataclass(frozen=True)
class Student:
    """A roster row: `id` names the student's files (a slug), `name` is printed on the cover."""

    id: str
    name: str
    name_page: int = 0   # the number n of its own examgen-names-<n>.pdf (0: pdflatex sets the name)


@dataclass(frozen=True)
class Source:
    """The seed paper and question a template is encoded from."""

    paper: str
    question: str

    def __str__(self) -> str:
        return f"{self.paper} Q{self.question}"


@dataclass(frozen=True)
class Preset:
    """Named fixed values; `paper_answers` is what the paper prints, `erratum` why it differs (if it does)."""

    name: str
    params: Params
    paper_answers: dict[str, Any] = field(default_factory=dict)
    erratum: str | None = None


@dataclass(frozen=True)
class Option:
    """One multiple-choice option; `why` justifies it in the solutions."""

    text: str
    correct: bool
    why: str = ""


@dataclass(frozen=True)
class MarkingPoint:
    """One point of a marking guide: its share of the part's marks and what earns it (LaTeX)."""

    points: float
    text: str


RESPONSE_KINDS = ("number", "values", "shape", "matrix", "choice", "expression", "prose")


@dataclass(frozen=True)
class Response:
    """What a student gives for a part and how it is graded, the same in the key, the solutions,
    every export and `examgen grade` (issue 23). Numbers are graded within half a unit of the last
    of `decimals` places (whole numbers exactly); prose, and `manual` marks, by hand."""

    kind: str = "prose"                  # one of RESPONSE_KINDS
    answers: tuple[str, ...] = ()        # the solver answers it is graded against, in order
    labels: tuple[str, ...] = ()         # what each value is (a layer's name, a matrix entry)
    decimals: int | None = None          # the stated precision of a non-integer answer
    expression: bool = False             # an exact expression (ln(20/7)) is accepted as well
    unit: str = ""                       # printed after the value ("parameters")
    manual: float = 0.0                  # marks of the part a grader awards by hand (a reason)
    notation: tuple[str, ...] = ()       # how the printed key writes each label, in LaTeX maths

    @property
    def graded(self) -> bool:
        """Whether software can grade (some of) it: everything but prose and free expressions."""
        return self.kind in ("number", "values", "shape", "matrix", "choice")


@dataclass(frozen=True)
class Part:
    """One answerable part of a question: its marks, text, worked solution and key entry."""

    label: str | None
    marks: float
    question: str
    solution: str
    answer: str
    options: tuple[Option, ...] = ()
    draw: int | None = None          # draw this many options from the pool per variant
    shuffle: bool = True
    multiple: bool = False           # several options may be correct
    space: str | None = None         # answer space floor in the exam (default: by marks, document.py)
    when: str | None = None          # a parameter that must be truthy for the part to be asked
    marking: tuple[MarkingPoint, ...] = ()  # the guide; its points add up to `marks` and rescale with them
    response: Response = Response()      # what the student gives and how it is graded
    depends: dict[str, Any] | None = None   # {part, answer, credit}: computed from an earlier part's answer


@dataclass(frozen=True)
class Template:
    """A question family as loaded from bank/<topic>/<id>.yaml."""

    id: str
    title: str
    topics: tuple[str, ...]
    kind: str
    source: Source
    params: dict[str, dict[str, Any]]
    rules: tuple[str, ...]
    solver: str | None
    presets: dict[str, Preset]
    stem: str
    parts: tuple[Part, ...]
    path: Path
    sources: tuple[Source, ...] = ()
    stem_solution: str = ""
    answer_exprs: dict[str, str] = field(default_factory=dict)  # `answers:` name -> expression
    degenerate: Any = ()                                        # degenerate.py: checks that apply
    balance: dict[str, Any] = field(default_factory=dict)       # balance.py: outcomes, exemptions
    mistakes: dict[str, dict[str, Any]] = field(default_factory=dict)  # part label → mistake distractors
    effort: float | None = None      # the family's median effort; draws stay within ±25 % of it
    alt: tuple[str, ...] = ()        # what each figure of the question shows, in text order (plain text, Jinja)

    @property
    def marks(self) -> float:
        return sum(p.marks for p in self.parts)


@dataclass
class Solved:
    """What a solver returns: final answers (for the key) and intermediate values (for the worked solution)."""

    answers: dict[str, Any]
    work: dict[str, Any] = field(default_factory=dict)
    effort: float | None = None      # the worked solution's hand work (solvers/effort.py)


@dataclass
class Instance:
    """One template with drawn values, solved: everything rendering needs."""

    template: Template
    params: Params
    solved: Solved
    choices: dict[int, list[Option]] = field(default_factory=dict)  # part index → options in shown order
    preset: str | None = None
    tries: int = 1

    @property
    def answers(self) -> dict[str, Any]:
        return self.solved.answers


@dataclass(frozen=True)
class ItemSpec:
    """One entry of an exam section: a template by id, by topic, or drawn from a pool."""

    template: str | None = None
    topic: str | None = None
    kind: str | None = None
    pool: tuple[str, ...] = ()
    draw: int = 1
    preset: str | None = None
    marks: float | None = None
    parts: tuple[str, ...] = ()
    as_choice: bool = False          # `as: multiple-choice`: numeric parts with mistake distractors


@dataclass(frozen=True)
class SectionSpec:
    title: str
    items: tuple[ItemSpec, ...]
    shuffle: bool = False
    intro: str = ""
    optional: str = ""               # why the section is optional ("PhD candidates only"); not in the total


@dataclass(frozen=True)
class ExamSpec:
    """An exam as loaded from bank/exams/<id>.yaml."""

    id: str
    title: str
    institution: str
    course: str
    date: str
    duration: str
    instructions: tuple[str, ...]
    sections: tuple[SectionSpec, ...]
    path: Path
    marks_unit: str = "marks"
    total_marks: float | None = None
    preset_prefix: str = ""          # names of this paper's presets start with it (e.g. oslo-2022)
    question_word: str = "Question"  # what the paper calls a question ("Exercise")
    session: str = ""                # "Summer examinations"; like institution, course and date, printed only when given


@dataclass(frozen=True)
class Pick:
    """A template chosen for the exam, with the spec's overrides; `draw` is its place among the
    templates its spec item draws (0 for one named by id), part of its generator's seed."""

    template: Template
    draw: int = 0
    preset: str | None = None
    marks: float | None = None
    parts: tuple[str, ...] = ()
    as_choice: bool = False


@dataclass(frozen=True)
class RenderedOption:
    """A multiple-choice option as shown (rendered LaTeX), with its verdict and reason for exports."""

    text: str
    correct: bool
    why: str = ""


@dataclass
class RenderedPart:
    label: str
    marks: float
    question: str
    solution: str
    answer: str
    space: str | None = None
    choice: bool = False             # a multiple-choice part (its answer box is small)
    index: int = 0                                    # the template part it renders
    prompt: str = ""                                  # the question without its options (exports)
    options: list[RenderedOption] = field(default_factory=list)
    work: str = ""                                    # the solution without the options' verdicts
    keep: bool = False                                # text measured to stay with its answer (document.py)
    written: float = 0.0                              # marks of a written reason beside a choice (its room)


@dataclass
class RenderedQuestion:
    template_id: str
    title: str
    source: str
    stem: str
    stem_solution: str
    parts: list[RenderedPart]

    @property
    def marks(self) -> float:
        return sum(p.marks for p in self.parts)


@dataclass
class RenderedSection:
    title: str
    intro: str
    questions: list[RenderedQuestion]

    @property
    def marks(self) -> float:
        return sum(q.marks for q in self.questions)


def variant_digits(number: int, count: int) -> str:
    """A variant's number with as many digits as the largest of the build's `count` (at least two),
    so that names list in order: 001 … 200."""
    return f"{number:0{max(2, len(str(count)))}d}"


def variant_name(number: int, count: int) -> str:
    """variant-NN: what names a variant's folder and files."""
    return f"variant-{variant_digits(number, count)}"


@dataclass
class Variant:
    """One student's paper: its instances in exam order and their rendered text."""

    number: int
    instances: list[list[Instance]]
    sections: list[RenderedSection] = field(default_factory=list)
    code: str = ""                       # printed on every page instead of the seed (codes.exam_code)
    student: Student | None = None     # from --roster: printed on the cover, names the files
