"""Issue 12, the publisher: builds of one exam running at once, interrupts (Ctrl-C once or twice,
SIGTERM) and failed publishes never lose the previous output or leave a temporary folder behind."""
from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from examgen.write import publish as write
from examgen.errors import OutputError
from examgen.inputs.paths import ROOT
from safety_helpers import mini_bank, one_error_line, run, write_spec  # noqa: F401

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
        ["exam.pdf", "variant-01", "variant-01/exam.pdf"]
    assert (final / "exam.pdf").read_text() == (final / "variant-01" / "exam.pdf").read_text()  # one build's, whole


def test_a_failed_publish_is_one_line_and_keeps_the_previous_output(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    final = tmp_path / "exam-seed1"
    final.mkdir()
    (final / "exam.pdf").write_text("GOOD")

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
        final.mkdir()
        (final / "exam.pdf").write_text("OLD")
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
    (out / "busy-seed3").mkdir(parents=True)
    (out / "busy-seed3" / "exam.pdf").write_text("GOOD")
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
    assert os.listdir(out / "busy-seed3") == ["exam.pdf"] and (out / "busy-seed3" / "exam.pdf").read_text() == "GOOD"
    assert _our_pdflatex(out) == []
