"""The layout gate: every spec in bank/exams/, three variants each in one build (FAST also as
printed), read back from the PDFs and TeX logs. And the gate itself can fail."""
from __future__ import annotations

from pathlib import Path

import pytest

from examgen.bank import load_bank
from examgen.build import BuildOptions, build
from examgen.compile import Job, compile_tex
from examgen.layout import check_folder, unnatural_ids
from examgen.paths import ROOT

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
