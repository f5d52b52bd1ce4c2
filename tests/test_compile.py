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
