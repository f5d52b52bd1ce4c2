"""The layout gate: every spec in bank/exams/, three variants each in one build (FAST also as
printed), read back from the PDFs and TeX logs. And the gate itself can fail."""
from __future__ import annotations

from pathlib import Path

import pytest

from examgen.bank import load_bank
from examgen.build import BuildOptions, build
from examgen.compile import Job, compile_tex
from examgen.quality.layout import Problem, check_folder, unnatural_ids
from examgen.inputs.paths import ROOT

SPECS = sorted((ROOT / "bank" / "exams").glob("*.yaml"))


def bank_ids() -> list[str]:
    bank = load_bank()
    return unnatural_ids([*bank, *(p for t in bank.values() for p in t.presets)])


@pytest.mark.parametrize("spec, printed", [*((s, False) for s in SPECS), (ROOT / "bank" / "exams" / "fast-cs4045.yaml", True)],
                         ids=[*(s.stem for s in SPECS), "fast-cs4045-as-printed"])
def test_every_spec_passes_the_layout_gate(spec: Path, printed: bool, tmp_path: Path) -> None:
    result = build(BuildOptions(spec=spec, seed=7, variants=1 if printed else 3, out=tmp_path, as_printed=printed))
    problems = check_folder(result.folder, bank_ids(), result.logs)
    assert not problems, "\n".join(map(str, problems))


BAD = r"""\documentclass{article}
\usepackage[paperheight=12cm,paperwidth=12cm,margin=1.5cm]{geometry}
\begin{document}
See Question~\ref{nowhere}; the value is None and 2 * 3.
\hbox{\vrule width 12cm height 1pt}

First line.

Second line.

Third line.
\vfill
Question 2 Momentum
\newpage
(a) What is it?

(b) And this, with no room at all?

(c) Next.
\end{document}
"""


def test_the_gate_finds_each_kind_of_problem(tmp_path: Path) -> None:
    folder = tmp_path / "build"
    folder.mkdir()
    tex = folder / "exam.tex"
    tex.write_text(BAD)
    compile_tex(Job(tex, "bad"))
    log = tex.with_suffix(".log").read_text(encoding="latin-1")
    kinds = {p.kind.split(" '")[0] for p in check_folder(folder, ["conv2d-params"], {"exam.tex": log})}
    assert kinds == {"overfull line", "forbidden text", "heading at the foot of the page", "part without answer space"}


def gate(tmp_path: Path, name: str, tex: str) -> list[Problem]:
    """What the gate finds in a build folder holding one compiled document."""
    folder = tmp_path / "build"
    folder.mkdir()
    (folder / name).write_text(tex)
    compile_tex(Job(folder / name, Path(name).stem))
    return check_folder(folder)


APART = r"""\documentclass{article}
\usepackage[paperheight=12cm,paperwidth=12cm,margin=1.5cm]{geometry}
\pagestyle{myheadings}\markright{Course header}
\begin{document}
Question 5 Which are true?

i) One. ii) Two.
\newpage
\vspace*{3cm}
Question 6 The next one.
\newpage
iv) An option that ran over from the page before.
\newpage
Question 7 A page as it should start.

ii) is fine inside a page.
\end{document}
"""


def test_the_gate_finds_a_question_apart_from_its_box_or_options(tmp_path: Path) -> None:
    found = [(p.page, p.kind) for p in gate(tmp_path, "exam.tex", APART)]
    assert found == [(2, "answer box apart from its question"), (3, "options apart from their question")]


def test_parts_with_options_figures_or_code_are_measured_to_stay_with_their_box() -> None:
    from examgen.tex.document import size_answer_space
    from examgen.models import RenderedPart, RenderedQuestion, RenderedSection

    texts = {"plain": ("Explain why.", False), "options": ("Which?\n\\begin{itemize}\n\\item[i)] A\n\\end{itemize}", False),
             "figure": ("Name the boxes.\n\\begin{tikzpicture}\\node{x};\\end{tikzpicture}", False),
             "code": ("Find the bug.\n\\begin{lstlisting}\nx = 1\n\\end{lstlisting}", False),
             "choice": ("Pick one (i) or (ii).", True)}
    parts = [RenderedPart(name, 2, text, "", "", choice=choice) for name, (text, choice) in texts.items()]
    size_answer_space([RenderedSection("s", "", [RenderedQuestion("t", "", "", "", "", parts)])], "marks")
    assert {p.label: p.keep for p in parts} == {"plain": False, "options": True, "figure": True, "code": True,
                                                "choice": True}


def test_the_gate_finds_a_solution_title_alone_at_the_foot_of_a_page(tmp_path: Path) -> None:
    body = "\n\n".join(f"Line {i} of the worked solution before." for i in range(4))
    tex = (APART.split(r"\begin{document}")[0] + "\\begin{document}\n" + body + "\n\\vfill\nSolution.\n\\newpage\n"
           + "i) The first verdict.\n\\end{document}\n")
    assert [(p.page, p.kind, p.detail) for p in gate(tmp_path, "solutions.tex", tex)] == [(1, "heading at the foot of the page", "Solution.")]


MARGIN = r"""\documentclass{exam}
\pagestyle{headandfoot}\header{Course}{}{Exam code X}\footer{}{Page \thepage\ of 2}{}
\qformat{Question \thequestion\hfill}
\begin{document}
A cover page, at the margin like any cover.
\newpage
\begin{questions}
\titledquestion{Stems} Question text at the question's indent.
\begin{parts}\part A part at its own indent.\end{parts}
\end{questions}
Given data that lost its indent.
\end{document}
"""


def test_the_gate_finds_text_inside_a_question_at_the_margin(tmp_path: Path) -> None:
    assert [(p.page, p.kind, p.detail) for p in gate(tmp_path, "exam.tex", MARGIN)] == [
        (2, "text at the margin", "Given data that lost its indent.")]


def test_the_layout_sweep_builds_and_gates_each_spec(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("layout_sweep", ROOT / "scripts" / "layout_sweep.py")
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    assert sweep.main(["--seeds", "7,8", "--variants", "2", str(ROOT / "bank" / "exams" / "demo.yaml")]) == 0
    assert capsys.readouterr().out.splitlines() == ["demo seed 7: 0 problem(s)", "demo seed 8: 0 problem(s)"]


HEADED = APART.split(r"\begin{document}")[0]


def test_the_gate_finds_a_blank_first_page_and_unmarked_blank_pages(tmp_path: Path) -> None:
    tex = (HEADED + "\\begin{document}\n\\mbox{}\n\\newpage\nQuestion 1 The first page's content.\n\\newpage\n"
           "\\thispagestyle{empty}\\mbox{}\n\\newpage\n\\thispagestyle{empty}This page is intentionally left blank\n"
           "\\newpage\nQuestion 2 More.\n\\end{document}\n")
    assert [(p.page, p.kind) for p in gate(tmp_path, "solutions.tex", tex)] == [(1, "blank first page"), (3, "blank page")]


def test_the_gate_finds_a_last_page_holding_only_its_closing_line_or_nothing(tmp_path: Path) -> None:
    tex = (HEADED + "\\begin{document}\nQuestion 1 The paper.\n\\newpage\n\\begin{center}--- End of solutions ---\\end{center}\n"
           "\\newpage\n\\thispagestyle{empty}This page is intentionally left blank\n"
           "\\newpage\nQuestion 1 The next variant.\n\\newpage\n\\mbox{}\n\\end{document}\n")
    found = [(p.page, p.kind, p.detail) for p in gate(tmp_path, "solutions.tex", tex)]
    assert found == [(2, "closing page", "— End of solutions —"), (5, "closing page", "nothing on it")]


KEY = HEADED + r"""\begin{document}
Answer key: A course

\begin{tabular}{lll}
\multicolumn{3}{l}{\textbf{Code AB1-CD2} Variant 01 seed 3}\\
Exercise & Marks & Answer \\
1a & 2 & yes \\
\end{tabular}
\newpage
\begin{tabular}{lll}
2a & 2 & a row that lost its header on the page it continues on \\
\end{tabular}
\newpage
\begin{tabular}{lll}
\multicolumn{3}{l}{\textbf{Code AB1-CD2} Variant 01 (continued)}\\
Exercise & Marks & Answer \\
3a & 2 & a continued row as it should be \\
\end{tabular}
\newpage
Answer key: A course

\newpage
\end{document}
"""


def test_the_gate_finds_a_key_page_without_its_header_row_or_first_variant(tmp_path: Path) -> None:
    found = [(p.page, p.kind) for p in gate(tmp_path, "answer-key.tex", KEY)]
    assert found == [(2, "key table continued without its header row"), (4, "key table continued without its header row")]
    first = KEY.replace(r"\textbf{Code AB1-CD2} Variant 01 seed 3", "Notes")
    (tmp_path / "first").mkdir()
    assert (1, "blank first page") in [(p.page, p.kind) for p in gate(tmp_path / "first", "answer-key.tex", first)]


@pytest.mark.parametrize("variants", [1, 3])
def test_a_long_key_starts_on_page_1_and_repeats_its_header_row(variants: int, tmp_path: Path) -> None:
    """Oslo INF5860 2019's variant is about a page long: the first starts under the heading, and a
    page it runs on to starts with its code and the header row; bundles' blank versos say so."""
    from examgen.quality.layout import pdf_pages_text

    spec = ROOT / "bank" / "exams" / "oslo-inf5860-2019.yaml"
    result = build(BuildOptions(spec=spec, seed=8, variants=variants, out=tmp_path))
    pages = pdf_pages_text(result.folder / "answer-key.pdf")
    assert "Variant 01" in pages[0] and "(continued)" in pages[1] and "Exercise" in pages[1]
    problems = check_folder(result.folder, bank_ids(), result.logs)
    assert not problems, "\n".join(map(str, problems))
