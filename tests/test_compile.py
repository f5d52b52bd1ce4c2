"""pdflatex runs confined: no shell escape, no reading or writing outside the build folder."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import pdf_text
from examgen.compile import Job, compile_all, compile_tex
from examgen.errors import LatexError

DOC = r"""\documentclass{article}
\begin{document}
%s
\end{document}
"""


def tex(folder: Path, body: str, name: str = "doc") -> Job:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.tex"
    path.write_text(DOC % body)
    return Job(path, name)


def test_compiles_and_reads_back(tmp_path: Path) -> None:
    pdf = compile_tex(tex(tmp_path / "build", "Hello examgen."))
    assert "Hello examgen." in pdf_text(pdf)


def test_no_shell_escape(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    compile_tex(tex(tmp_path / "build", r"\immediate\write18{touch %s}ok" % marker))
    assert not marker.exists()


def test_cannot_read_files_outside_the_build_folder(tmp_path: Path) -> None:
    secret = tmp_path / "secret.tex"
    secret.write_text("TOPSECRET")
    with pytest.raises(LatexError, match="secret.tex"):
        compile_tex(tex(tmp_path / "build", r"\input{%s}" % secret))


def test_cannot_write_outside_the_build_folder(tmp_path: Path) -> None:
    body = r"\newwrite\f\immediate\openout\f=../escaped.txt\immediate\write\f{x}\immediate\closeout\f ok"
    try:
        compile_tex(tex(tmp_path / "build", body))
    except LatexError:
        pass
    assert not (tmp_path / "escaped.txt").exists()


def test_parallel_compile_reports_the_failing_document(tmp_path: Path) -> None:
    jobs = [tex(tmp_path / "b", "fine", "good"), tex(tmp_path / "b", r"\oops", "bad")]
    with pytest.raises(LatexError, match=r"^bad: LaTeX error.*Undefined control sequence"):
        compile_all(jobs, workers=2)


def runs_of(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The .tex names of every real pdflatex run from here on (the runner itself still runs)."""
    from examgen import compile as compile_module
    seen: list[str] = []
    real = compile_module._run

    def counting(job: Job, cmd: list[str]) -> int:
        seen.append(job.tex.name)
        return real(job, cmd)

    monkeypatch.setattr(compile_module, "_run", counting)
    return seen


def test_one_pass_when_nothing_refers_to_a_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = runs_of(monkeypatch)
    compile_tex(tex(tmp_path / "build", r"\section{A}\label{a} No reference to it."))
    assert runs == ["doc.tex"]


def test_text_with_its_own_references_gets_the_rerun_it_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = runs_of(monkeypatch)
    pdf = compile_tex(tex(tmp_path / "build", r"See page \pageref{b}. \newpage Here\label{b}."))
    assert runs == ["doc.tex", "doc.tex"]
    assert "See page 2." in pdf_text(pdf)


def test_a_build_compiles_each_document_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One run per document, "Page x of N" included, here with N of two digits (Oslo 2022)."""
    from examgen.build import BuildOptions, build
    from examgen.inputs.paths import bank_dir
    runs = runs_of(monkeypatch)
    result = build(BuildOptions(bank_dir() / "exams" / "oslo-in5400-2022.yaml", seed=3, out=tmp_path))
    assert sorted(runs) == ["answer-key.tex", "exam.tex", "solutions.tex"]
    for name in ("exam.pdf", "solutions.pdf"):
        pages = [p for p in pdf_text(result.folder / name).split("\f") if p.strip()]
        assert len(pages) >= 10
        assert all(f"Page {i} of {len(pages)}" in " ".join(p.split()) for i, p in enumerate(pages, 1))
