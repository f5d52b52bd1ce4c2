"""Issue 12, the publisher: builds of one exam running at once, interrupts (Ctrl-C once or twice,
SIGTERM) and failed publishes never lose the previous output or leave a temporary folder behind."""
from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from examgen.build import BuildOptions, build
from examgen.write import publish as write
from examgen.write.publish import MARKER, MARKER_TEXT
from examgen.errors import OutputError
from examgen.inputs.paths import ROOT
from safety_helpers import mini_bank, one_error_line, run, write_spec, write_template  # noqa: F401

PUBLISHER = """
import sys
from pathlib import Path
from examgen.write.publish import staging
out, tag, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(rounds):
    with staging(out / "exam-seed1") as stage:
        (stage / "exam.pdf").write_text(f"{tag}-{i}")
        (stage / "variant-01").mkdir()
        (stage / "variant-01" / "exam.pdf").write_text(f"{tag}-{i}")
        (stage / "exam.aux").write_text("aux")
"""


def test_eight_builds_publishing_one_exam_at_once_all_succeed_and_leave_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-c", PUBLISHER, str(out), f"p{n}", "40"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(8)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in results]
    assert sorted(os.listdir(out)) == ["exam-seed1"]  # no .partial-*, .old-* or lock left
    final = out / "exam-seed1"
    assert sorted(p.relative_to(final).as_posix() for p in final.rglob("*")) == \
        [MARKER, "exam.pdf", "variant-01", "variant-01/exam.pdf"]
    assert (final / "exam.pdf").read_text() == (final / "variant-01" / "exam.pdf").read_text()  # one build's, whole


def test_a_failed_publish_is_one_line_and_keeps_the_previous_output(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    final = tmp_path / "exam-seed1"
    _previous_output(final)

    def denied(src: Path, dst: Path, flags: int) -> bool:
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(write, "_renameat2", denied)
    with pytest.raises(OutputError, match=r"--out .*: cannot publish exam-seed1 \(Permission denied\)"):
        with write.staging(final) as stage:
            (stage / "exam.pdf").write_text("NEW")
    assert (final / "exam.pdf").read_text() == "GOOD" and os.listdir(tmp_path) == ["exam-seed1"]


@pytest.mark.parametrize("published_before", [False, True])
def test_without_renameat2_the_build_is_still_published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         published_before: bool) -> None:
    """A file system without renameat2's flags (NFS, CIFS, not Linux): the locked two-rename path."""
    final = tmp_path / "exam-seed1"
    if published_before:
        _previous_output(final)
    def unsupported(src: Path, dst: Path, flags: int) -> bool:
        if flags == write._RENAME_EXCHANGE and not dst.exists():
            raise FileNotFoundError(2, "No such file or directory", str(dst))  # the lookup fails first
        return False                                                           # then the flags do

    monkeypatch.setattr(write, "_renameat2", unsupported)
    with write.staging(final) as stage:
        (stage / "exam.pdf").write_text("NEW")
    assert (final / "exam.pdf").read_text() == "NEW"
    assert [p for p in os.listdir(tmp_path) if not p.endswith(".lock")] == ["exam-seed1"]


def test_an_output_folder_is_a_plain_name_inside_out(tmp_path: Path) -> None:
    for name in ("..", "a/../../b", ".hidden stuff"):
        with pytest.raises(OutputError, match="a plain name inside --out"):
            with write.staging(tmp_path / name):
                pass


def test_out_that_cannot_be_written_is_one_line(mini_bank: Path, tmp_path: Path) -> None:
    spec = write_spec(mini_bank, "one", "title: T\ncourse: C\nsections: [{title: S, questions: [conv2d-params]}]\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    line = one_error_line(run("build", spec, "--seed", "1", "--out", blocker / "out"))
    assert "cannot write there" in line


@pytest.fixture
def busy_spec(mini_bank: Path) -> Path:
    """An exam with enough documents that a build is still compiling when the signal comes."""
    questions = "[conv2d-params, conv2d-by-hand, momentum-steps, batchnorm-add-code]"
    return write_spec(mini_bank, "busy", f"title: T\ncourse: C\nsections: [{{title: S, questions: {questions}}}]\n")


def _our_pdflatex(out: Path) -> list[int]:
    """pdflatex processes still working inside `out`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if "pdflatex" in Path(f"/proc/{pid}/cmdline").read_text() and \
                    os.readlink(f"/proc/{pid}/cwd").startswith(str(out)):
                found.append(int(pid))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("signals", [[signal.SIGINT], [signal.SIGINT, signal.SIGINT], [signal.SIGTERM]],
                         ids=["ctrl-c", "ctrl-c-twice", "sigterm"])
def test_an_interrupted_build_stops_and_keeps_the_previous_output(
        mini_bank: Path, busy_spec: Path, tmp_path: Path, signals: list[signal.Signals]) -> None:
    out = tmp_path / "out"
    _previous_output(out / "busy-seed3")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    proc = subprocess.Popen([sys.executable, "-m", "examgen", "build", str(busy_spec), "--seed", "3",
                             "--variants", "6", "--out", str(out), "--jobs", "2"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not glob.glob(str(out / ".busy-seed3.partial-*" / "**" / "*.log"), recursive=True):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(0.2)
    _, err = proc.communicate(timeout=30)  # a hang guard; how fast it stops is not a test's business
    assert proc.returncode == 128 + signals[0], err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("examgen: error: interrupted by "), err
    assert sorted(os.listdir(out)) == ["busy-seed3"], [(r, f) for r, d, f in os.walk(out)]
    assert sorted(os.listdir(out / "busy-seed3")) == [MARKER, "exam.pdf"]
    assert (out / "busy-seed3" / "exam.pdf").read_text() == "GOOD"
    assert _our_pdflatex(out) == []


def _previous_output(folder: Path) -> None:
    """What an earlier examgen build left: its marker and a PDF."""
    folder.mkdir(parents=True)
    (folder / "exam.pdf").write_text("GOOD")
    (folder / MARKER).write_text(MARKER_TEXT)


def _start(args: list[str], out: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    return subprocess.Popen([sys.executable, "-m", "examgen", *args, "--out", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(pattern: str, proc: subprocess.Popen, limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    while not glob.glob(pattern, recursive=True):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)


def test_an_interrupted_export_removes_its_staging_folder(mini_bank: Path, busy_spec: Path, tmp_path: Path) -> None:
    """Issue 22 item 12: SIGTERM during `examgen export` is one line, and no hidden folder stays."""
    out = tmp_path / "out"
    proc = _start(["export", str(busy_spec), "--seed", "3", "--variants", "60", "--format", "html"], out)
    _wait_for(str(out / ".busy-seed3-html.partial-*"), proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip().startswith("examgen: error: interrupted by SIGTERM") and len(err.strip().splitlines()) == 1, err
    assert os.listdir(out) == [], os.listdir(out)


def test_a_killed_build_leaves_no_pdflatex_and_the_next_build_clears_its_folder(
        mini_bank: Path, busy_spec: Path, tmp_path: Path) -> None:
    """Issue 22 item 13: `kill -9` of a build: its pdflatex processes end with it (none waits on a
    feed for ever), and the next build of the exam removes the hidden staging folder it left."""
    out = tmp_path / "out"
    proc = _start(["build", str(busy_spec), "--seed", "3", "--variants", "6", "--jobs", "2"], out)
    _wait_for(str(out / ".busy-seed3.partial-*" / "**" / "*.log"), proc)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while _our_pdflatex(out) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _our_pdflatex(out) == []
    assert glob.glob(str(out / ".busy-seed3.partial-*"))        # what kill -9 leaves
    done = build(BuildOptions(spec=busy_spec, seed=3, out=out, jobs=2))
    assert sorted(os.listdir(out)) == ["busy-seed3"], os.listdir(out)
    assert (done.folder / "exam.pdf").is_file()


def test_a_folder_examgen_did_not_write_is_never_replaced(mini_bank: Path, busy_spec: Path, tmp_path: Path) -> None:
    """Issue 22 item 21: OUT/<id>-seed<N> that holds someone's files is refused, one line, untouched;
    --force replaces it; examgen's own folders are replaced as before."""
    out = tmp_path / "out"
    (out / "busy-seed3").mkdir(parents=True)
    (out / "busy-seed3" / "thesis.docx").write_text("MINE")
    line = one_error_line(run("build", busy_spec, "--seed", "3", "--out", out))
    assert "busy-seed3" in line and "not written by examgen" in line and "--force" in line, line
    assert os.listdir(out / "busy-seed3") == ["thesis.docx"]
    assert run("export", busy_spec, "--seed", "3", "--format", "csv", "--out", out).exit_code == 0  # its own folder
    (out / "busy-seed3-csv" / "notes.txt").write_text("x")
    assert run("export", busy_spec, "--seed", "3", "--format", "csv", "--out", out).exit_code == 0  # marked: replaced
    assert run("build", busy_spec, "--seed", "3", "--out", out, "--force").exit_code == 0
    assert "thesis.docx" not in os.listdir(out / "busy-seed3") and MARKER in os.listdir(out / "busy-seed3")
    assert run("build", busy_spec, "--seed", "3", "--out", out).exit_code == 0          # now examgen's: replaced


def test_only_the_files_the_build_made_are_published_and_the_key_is_its_own(
        mini_bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22 item 6, second wall (the LaTeX whitelist is the first, switched off here): a document
    that writes answer-key.json and stray.html at its end publishes neither its key nor its page."""
    import examgen.render

    monkeypatch.setattr(examgen.render, "check_bank_tex", lambda text, where: text)
    forge = (r"\AtEndDocument{\newwrite\f\immediate\openout\f=answer-key.json\immediate\write\f{FORGED}"
             r"\immediate\closeout\f\newwrite\g\immediate\openout\g=stray.html"
             r"\immediate\write\g{<script>alert(1)</script>}\immediate\closeout\g} Hello.")
    write_template(mini_bank, "forge", question=forge)
    spec = write_spec(mini_bank, "forge", "title: T\ncourse: C\nsections: [{title: S, questions: [forge]}]\n")
    done = build(BuildOptions(spec=spec, seed=1, out=tmp_path / "out", jobs=1))
    published = sorted(p.relative_to(done.folder).as_posix() for p in done.folder.rglob("*"))
    assert "stray.html" not in published
    key = json.loads((done.folder / "answer-key.json").read_text())
    assert key["exam"] == "forge" and "FORGED" not in (done.folder / "answer-key.json").read_text()


def test_trust_names_the_folder_whose_code_may_run(tmp_path: Path) -> None:
    """Issue 22 item 20: --trust-bank-code DIR trusts that --bank folder only."""
    code = "from examgen.solvers import Solved, solver\n\n\n@solver('{name}')\ndef f(p, ctx):\n    return Solved({{'total': 1}}, {{}})\n"
    folders = []
    for name in ("alpha", "beta"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "solvers.py").write_text(code.format(name=f"trust_{name}"))
        (folder / f"trust-{name}.yaml").write_text(
            f"id: trust-{name}\ntitle: t\ntopics: [x]\nkind: numeric\nsource: {{paper: original, question: '1'}}\n"
            f"solver: trust_{name}\nparams: {{}}\nmarks: 1\nquestion: Q.\nanswer: << total >>\n")
        folders.append(folder)
    alpha, beta = folders
    line = one_error_line(run("list", "--bank", alpha, "--bank", beta, "--trust-bank-code", alpha))
    assert str(beta / "solvers.py") in line and "--trust-bank-code" in line, line
    line = one_error_line(run("list", "--bank", alpha, "--trust-bank-code", beta))
    assert "not one of the --bank folders" in line, line
