"""Bank LaTeX may typeset, never read, write, stop or redefine (issue 22: items 1, 6, 9, 16).

The whitelist (safety/texguard.py) is checked on every rendered piece of bank text, so `build` and
every export refuse the same text with one line naming the template and field, and what examgen
publishes as LaTeX is safe to compile with TeX Live's defaults (`openin_any=a`, a normal HOME) and
with auto-multiple-choice's own run."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import pdf_text
from examgen.compile import tex_tree
from examgen.errors import RenderError
from examgen.safety.texguard import check_bank_tex, tex_problem
from safety_helpers import mini_bank, one_error_line, run, write_spec, write_template  # noqa: F401

SECRET = "TOPSECRETWORD"
HOSTILE = [
    r"\input{$HOME/secret}",
    r"{\catcode`\~=12 \input{~/secret}}",
    r"\input{^^24HOME/secret}",
    r"^^5cinput{secret}",
    r"\makeatletter\@@input secret \makeatother",
    r"\newread\r \openin\r=secret.tex \read\r to\x \x",
    r"\newwrite\f\immediate\openout\f=answer-key.json \immediate\write\f{forged}",
    r"\AtEndDocument{\input{secret}}",
    r"\stop",
    r"\csname @@end\endcsname",
    r"\makeatletter\@@end",
    r"\let\x\input \x{secret}",
    r"\expandafter\input\string{secret}",
    r"\includegraphics{/etc/hostname}",
    r"\lstinputlisting{/etc/passwd}",
    r"\begin{filecontents}{stray.html}<script>alert(1)</script>\end{filecontents}",
    r"\begin{lstlisting}[escapechar=|]|\input{secret}|\end{lstlisting}",
    r"\begin{tikzpicture}\begin{axis}\addplot table {/etc/passwd};\end{axis}\end{tikzpicture}",
    r"\begin{tikzpicture}\draw plot file {secret.dat};\end{tikzpicture}",
    r"$\style{position:fixed;background:url(http://example.invalid/x)}{x}$",
    r"50 % of the marks",
    r"50<< '%' >> of the marks",
    r"\special{sh rm -rf ~}",
    "x" * 10_001,
]
FINE = [
    r"$\frac{\partial L}{\partial w} = \sigma(z)\,(1 - \sigma(z))$ and 50\% of $\mathbf{x}$",
    r"\begin{lstlisting}" "\n" r"print('\input{secret}' % 3)  # verbatim, not TeX" "\n" r"\end{lstlisting}",
    r"\begin{tikzpicture}\foreach \n/\yy in {x/1, y/2} \node (\n) at (0, \yy) {$\n$};\end{tikzpicture}",
    r"\begin{tabular}{|l|r|}\hline a & b \\ \hline\end{tabular} \textbf{Bold} \emph{it} caf\'e",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_whitelist_refuses_every_way_to_reach_outside_typesetting(text: str) -> None:
    rendered = text.replace("<< '%' >>", "%")        # what Jinja makes of it
    with pytest.raises(RenderError, match=r"^bank.yaml \(template t\) question: .*(not allowed|comment|read a file|line of)"):
        check_bank_tex(rendered, "bank.yaml (template t) question")


@pytest.mark.parametrize("text", FINE)
def test_typesetting_passes(text: str) -> None:
    assert tex_problem(text) is None


def test_a_foreach_variable_cannot_shadow_a_primitive() -> None:
    assert tex_problem(r"\foreach \x in {1} {$\x$}") is None
    assert "not allowed" in tex_problem(r"\foreach \def in {1} {\def}")
    assert "not allowed" in tex_problem(r"\foreach \input in {1} {} \input{secret}")


def _spec(bank: Path, name: str = "leak") -> Path:
    return write_spec(bank, "leak", f"title: T\ncourse: C\nsections:\n  - title: S\n    questions: [{name}]\n")


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("command", ["build", "amc", "html"])
def test_build_and_exports_refuse_it_naming_the_template_and_field(mini_bank: Path, tmp_path: Path,
                                                                   text: str, command: str) -> None:
    figures = {"alt": ["a figure"]} if "tikzpicture" in text else {}   # the loader wants each figure described
    write_template(mini_bank, "leak", question=f"Read: {text} done.", **figures)
    out = tmp_path / "out"
    args = ("build",) if command == "build" else ("export", "--format", command)
    line = one_error_line(run(*args, _spec(mini_bank), "--seed", "1", "--out", out))
    assert "leak" in line and "question" in line, line
    assert any(w in line for w in ("not allowed", "comment", "read a file", "line of")), line   # refused, not failed in TeX
    assert not out.exists() or not any(out.rglob("*.*")), sorted(out.rglob("*"))


@pytest.mark.parametrize("field", ["solution", "answer", "options", "marking"])
def test_every_field_is_checked(mini_bank: Path, tmp_path: Path, field: str) -> None:
    hostile = r"\input{secret}"
    fields = {"solution": {"solution": hostile},
              "answer": {"answer": hostile},
              "options": {"kind": "multiple-choice", "answer": None,
                          "options": [{"text": hostile, "correct": True}, {"text": "no", "correct": False}]},
              "marking": {"marking": [{"points": 1, "text": hostile}]}}[field]
    write_template(mini_bank, "leak", **{k: v for k, v in fields.items() if v is not None})
    if field == "options":
        import yaml
        path = mini_bank / "extra" / "leak.yaml"
        data = yaml.safe_load(path.read_text())
        data.pop("answer")
        path.write_text(yaml.safe_dump(data))
    line = one_error_line(run("build", _spec(mini_bank), "--seed", "1", "--out", tmp_path / "out"))
    assert "(template leak)" in line and field in line and r"\input is not allowed" in line, line


@pytest.fixture
def home_secret(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name in ("secret.tex", "secret", "secret.dat"):
        (home / name).write_text(f"{SECRET}\n", encoding="utf-8")
    return home


def _default_tex_env(home: Path) -> dict[str, str]:
    """TeX Live's defaults as a colleague has them: a normal HOME, openin_any=a, no examgen settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("openin", "openout", "TEXMF", "EXAMGEN"))}
    return {**env, "HOME": str(home)}


def _reads(fls: Path, folder: Path) -> list[str]:
    """Files a TeX run read outside its folder and TeX's own tree (from -recorder)."""
    roots = [str(folder.resolve()), *tex_tree(), "/usr/share/texlive", "/usr/share/texmf", "/var/lib/texmf",
             "/etc/texmf", "/usr/share/fonts"]
    lines = [line.split(" ", 1)[1] for line in fls.read_text().splitlines() if line.startswith("INPUT ")]
    paths = [str((folder / p).resolve()) if not p.startswith("/") else p for p in lines]
    return sorted({p for p in paths if not any(p.startswith(r) for r in roots)})


def test_published_sources_compile_with_texs_defaults_reading_nothing_outside(
        mini_bank: Path, tmp_path: Path, home_secret: Path) -> None:
    """What a build publishes as .tex, recompiled with plain pdflatex as anyone would (default
    settings, HOME holding secrets), reads only its folder and TeX's tree, and prints no secret."""
    write_template(mini_bank, "tricky", question=FINE[1] + "\n\n" + FINE[2], solution=FINE[0], answer="Fine.",
                   alt=["Two labelled points, x and y, one above the other."])
    out = tmp_path / "out"
    result = run("build", write_spec(mini_bank, "tricky", "title: T\ncourse: C\nsections:\n  - title: S\n"
                                     "    questions: [tricky, conv2d-by-hand]\n"), "--seed", "1", "--out", out)
    assert result.exit_code == 0, result.output
    sources = sorted(out.rglob("*.tex"))
    assert sources
    for tex in sources:
        work = tmp_path / "recompile" / tex.stem
        work.mkdir(parents=True)
        shutil.copy(tex, work / tex.name)
        done = subprocess.run(["pdflatex", "-interaction=batchmode", "-recorder", tex.name], cwd=work,
                              env=_default_tex_env(home_secret), capture_output=True, timeout=300)
        assert done.returncode == 0, (work / f"{tex.stem}.log").read_text()[-2000:]
        assert _reads(work / f"{tex.stem}.fls", work) == []
        assert SECRET not in pdf_text(work / f"{tex.stem}.pdf")


AMC = shutil.which("auto-multiple-choice")


@pytest.mark.skipif(AMC is None and not os.environ.get("CI"), reason="auto-multiple-choice is not installed")
def test_the_amc_export_prepared_by_amc_prints_no_home_file(mini_bank: Path, tmp_path: Path, home_secret: Path) -> None:
    """auto-multiple-choice's own prepare (its TeX settings, a HOME holding secrets) on the export:
    the sheets and the corrected copy carry no secret, and TeX read nothing outside."""
    write_template(mini_bank, "tricky", question=FINE[1], answer="Fine.")
    out = tmp_path / "out"
    spec = write_spec(mini_bank, "tricky", "title: T\ncourse: C\nsections:\n  - title: S\n"
                      "    questions: [tricky, conv2d-params]\n")
    assert run("export", spec, "--seed", "1", "--format", "amc", "--out", out).exit_code == 0
    source = next(out.rglob("*-amc.tex"))
    project = source.parent / "project"
    (project / "data").mkdir(parents=True)
    done = subprocess.run([AMC, "prepare", "--mode", "s", "--prefix", f"{project}/", "--data", str(project / "data"),
                           "--with", "pdflatex", "--epoch", "0", source.name], cwd=source.parent,
                          env=_default_tex_env(home_secret), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    pdfs = list(project.rglob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        assert SECRET not in pdf_text(pdf), pdf


def test_a_latex_error_in_a_students_line_names_the_roster_not_a_question(mini_bank: Path, tmp_path: Path) -> None:
    """Issue 22 item 17: the answer key's and the cover's student lines belong to the roster (the
    key's previous variant ended with a question, which the error used to name)."""
    from examgen.compile import owner_of_line

    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns1,Ada Lovelace\ns2,Alan Turing\n", encoding="utf-8")
    spec = write_spec(mini_bank, "two", "title: T\ncourse: C\nsections: [{title: S, questions: [conv2d-params]}]\n")
    done = run("build", spec, "--seed", "1", "--roster", roster, "--out", tmp_path / "out")
    assert done.exit_code == 0, done.output
    folder = tmp_path / "out" / "two-seed1"
    for name in ("answer-key.tex", "all-exams.tex"):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        numbers = [i for i, line in enumerate(lines, start=1) if "Alan Turing" in line]
        assert numbers, name
        assert owner_of_line(folder / name, numbers[0]) == "the roster's student s2 (name or id)", name
