"""Issue 12, with real pdflatex: no file outside the build folder and TeX's own tree reaches a PDF,
whatever the spelling, in a question or in a spec's strings; nothing but the outputs is published;
a looping document is stopped in proportion and named."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import pdf_text
from examgen import compile as compiler
from examgen.build import BuildOptions, build
from examgen.errors import LatexError
from safety_helpers import mini_bank, one_error_line, run, write_spec, write_template  # noqa: F401

SECRET = "TOPSECRETWORD"
SPELLINGS = [
    r"\input{$HOME/secret}",
    r"\input{${HOME}/secret}",
    r"{\catcode`\~=12 \input{~/secret}}",
    r"\input{^^24HOME/secret}",
    r"\makeatletter\@@input $HOME/secret \makeatother",
    r"\newread\r \openin\r=$HOME/secret.tex \read\r to\x \x",
    r"\input{HOMEDIR/secret}",  # the absolute path itself
]


@pytest.fixture
def without_texguard(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second wall alone: bank LaTeX reaches pdflatex unchecked, as if the whitelist in
    safety/texguard.py had a hole (test_safety_texguard.py tests the whitelist itself)."""
    import examgen.render

    monkeypatch.setattr(examgen.render, "check_bank_tex", lambda text, where: text)


@pytest.fixture
def home_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME holding secret.tex, the way a colleague's machine holds private files."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "secret.tex").write_text(f"{SECRET}\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TEXMFHOME", str(home))
    return home


def _spec(bank: Path, questions: str, section: str = "title: S") -> Path:
    return write_spec(bank, "leak", f"title: T\ncourse: C\nsections:\n  - {section}\n    questions: [{questions}]\n")


def _no_secret_anywhere(folder: Path) -> None:
    pdfs = list(folder.rglob("*.pdf"))
    assert pdfs, "the build succeeded but published no PDF"
    for pdf in pdfs:
        assert SECRET not in pdf_text(pdf), pdf
    for path in folder.rglob("*"):
        assert not path.is_file() or SECRET.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_question_cannot_read_the_home_folder(mini_bank: Path, home_secret: Path, tmp_path: Path,
                                                spelling: str, without_texguard: None) -> None:
    write_template(mini_bank, "leak", question=f"Read: {spelling.replace('HOMEDIR', str(home_secret))} done.")
    out = tmp_path / "out"
    result = run("build", _spec(mini_bank, "leak"), "--seed", "1", "--out", out, "--jobs", "1")
    if result.exit_code == 0:  # the name did not resolve to anything: TeX read nothing
        _no_secret_anywhere(out)
    else:
        line = one_error_line(result)
        assert "LaTeX error in question leak" in line or "outside the build folder" in line, line
        assert not out.exists() or not any(out.iterdir())


def test_spec_strings_are_text_so_no_spelling_reads_a_file(mini_bank: Path, home_secret: Path, tmp_path: Path) -> None:
    sections = "".join(f"  - title: '{s}'\n    intro: '{s}'\n    questions: [{q}]\n"
                       for s, q in zip(SPELLINGS[:6], ["conv2d-params", "conv2d-by-hand", "momentum-steps"] * 2))
    spec = write_spec(mini_bank, "titles", f"title: '{SPELLINGS[0]}'\ncourse: C\nsections:\n{sections}")
    result = build(BuildOptions(spec=spec, seed=1, out=tmp_path / "out", jobs=1, variants=1))
    text = pdf_text(result.folder / "exam.pdf")
    assert SECRET not in text
    assert r"\input{${HOME}/secret}" in text and "24HOME/secret" in text and "@@input $HOME" in text
    _no_secret_anywhere(result.folder)


def test_only_the_outputs_are_published(mini_bank: Path, tmp_path: Path, without_texguard: None) -> None:
    write_template(mini_bank, "stray", question=r"\newwrite\f\immediate\openout\f=stray.sh "
                                                r"\immediate\write\f{rm -rf ~}\immediate\closeout\f Hello.")
    result = build(BuildOptions(spec=_spec(mini_bank, "stray"), seed=1, out=tmp_path / "out", jobs=1))
    published = sorted(p.relative_to(result.folder).as_posix() for p in result.folder.rglob("*"))
    assert "stray.sh" not in published and "exam.pdf" in published
    assert all(Path(p).suffix in {".pdf", ".tex", ".json"} for p in published if p != ".examgen-output"), published
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["leak-seed1"]


def test_a_looping_document_is_stopped_in_proportion_and_the_question_named(
        mini_bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, without_texguard: None) -> None:
    monkeypatch.setattr(compiler, "TIMEOUT_BASE_S", 3)
    write_template(mini_bank, "loopy", question=r"Hello \def\x{\x}\x")
    start = time.monotonic()
    with pytest.raises(LatexError, match=r"pdflatex still running after \d+s in question loopy"):
        build(BuildOptions(spec=_spec(mini_bank, "conv2d-params, loopy"), seed=1, out=tmp_path / "out", jobs=2))
    assert time.monotonic() - start < 30
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_timeouts_grow_with_the_source_but_stay_bounded(tmp_path: Path) -> None:
    small, big = tmp_path / "small.tex", tmp_path / "big.tex"
    small.write_text("x" * 20_000)
    big.touch()
    os.truncate(big, 50_000_000)  # its size is what counts: no need to write 50 MB
    assert compiler.timeout_for(small) == compiler.TIMEOUT_BASE_S + 20_000 / 10_000
    assert compiler.timeout_for(small) < compiler.timeout_for(big) == compiler.TIMEOUT_MAX_S


def test_pdflatex_gets_no_user_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMGEN_TEST_TOKEN", "s3cret")
    env = compiler._env(tmp_path)
    assert "EXAMGEN_TEST_TOKEN" not in env and env["HOME"] == str(tmp_path)
    assert env["openin_any"] == env["openout_any"] == "p" and env["shell_escape"] == "f"
    assert set(env) <= {"PATH", "LC_ALL", "HOME", "TEXMFHOME", "TEXMFVAR", "TEXMFCONFIG", "TEXMFOUTPUT",
                        "openout_any", "openin_any", "shell_escape", "SOURCE_DATE_EPOCH", "FORCE_SOURCE_DATE"}


def test_tex_tree_holds_the_files_tex_reads_and_not_the_users_own_tree(tmp_path: Path) -> None:
    # the one kpsewhich call gives the trees of both TEXMF (packages) and TEXMFCNF (texmf.cnf)
    import subprocess

    env = compiler._env(tmp_path)
    tree = compiler.tex_tree()
    for name in ("texmf.cnf", "article.cls", "exam.cls"):
        found = subprocess.run(["kpsewhich", name], env=env, capture_output=True, text=True).stdout.strip()
        assert found and any(os.path.realpath(found).startswith(root + "/") for root in tree), (name, found)
    # kpathsea puts $HOME/texmf in TEXMF: under the minimal environment that is a scratch folder,
    # never the user's own tree (this fails if _env passes the real HOME through)
    assert os.path.realpath(os.path.expanduser("~/texmf")) not in tree


def test_reads_outside_the_build_folder_are_caught_from_the_recorder(tmp_path: Path) -> None:
    tex = tmp_path / "exam.tex"
    tex.write_text("")
    tree = compiler.tex_tree()[0]
    tex.with_suffix(".fls").write_text(f"PWD {tmp_path}\nINPUT exam.tex\nINPUT ./exam.aux\nINPUT {tree}/x.sty\n"
                                       "INPUT /etc/passwd\nINPUT ../elsewhere.tex\n")
    assert compiler.reads_outside(tex) == ["/etc/passwd", str((tmp_path / "../elsewhere.tex").resolve())]


def test_the_read_check_alone_stops_a_leak(mini_bank: Path, home_secret: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, without_texguard: None) -> None:
    # second line of defence: even with the user's environment (the old behaviour), a read of
    # $HOME/secret fails the build from pdflatex's -recorder list, and nothing is published
    import os

    compiler.tex_tree()  # TeX's own tree, as the minimal environment sees it
    leaky = lambda folder: {**os.environ, "openin_any": "p", "openout_any": "p"}  # noqa: E731
    monkeypatch.setattr(compiler, "_env", leaky)
    write_template(mini_bank, "leak", question=r"Read: \input{$HOME/secret} done.")
    with pytest.raises(LatexError, match=r"tried to read .*home/secret\.tex, outside the build folder"):
        build(BuildOptions(spec=_spec(mini_bank, "leak"), seed=1, out=tmp_path / "out", jobs=1))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
