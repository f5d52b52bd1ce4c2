"""What the quick commands import: start-up stays short because torch, sympy and jinja2 load only
where a command needs them (times themselves are measured in benchmarks/startup.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from examgen.cli import main
sys.argv = ["examgen", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as exit:
    code = exit.code or 0
print(f"exit {code}", file=sys.stderr)
print(" ".join(m for m in ("torch", "sympy", "jinja2", "rich") if m in sys.modules), file=sys.stderr)
"""


def heavy_imports(*args: str) -> set[str]:
    """The heavy modules a command loaded; the command itself must have succeeded."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    lines = done.stderr.splitlines()
    assert "exit 0" in lines, done.stderr  # a command that failed early proves nothing about imports
    return set(lines[-1].split()) if lines and lines[-1] != "exit 0" else set()


@pytest.mark.parametrize("args, allowed", [
    (("--help",), set()),
    (("list", "--json"), set()),
    (("list",), {"rich"}),
    (("solve", "threshold-rnn-latch", "--seed", "3"), {"jinja2", "rich"}),
])
def test_quick_commands_leave_heavy_libraries_alone(args: tuple[str, ...], allowed: set[str]) -> None:
    assert heavy_imports(*args) <= allowed


def test_layer_shapes_leave_torch_dynamo_alone() -> None:
    """Meta addmm (a Linear with its bias) imports torch._dynamo, about a second of a build;
    the shape trace runs a Linear's weight alone (shapes.forward)."""
    probe = ("import sys\nfrom examgen.solvers.cnn.shapes import trace\n"
             "rows, failure = trace([2, 8], [{'name': 'fc', 'layer': 'Linear', 'in': 8, 'out': 4}])\n"
             "assert failure is None and rows[0]['shape'] == [2, 4] and rows[0]['params'] == 8 * 4 + 4\n"
             "print('torch._dynamo' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_build_of_by_hand_questions_never_loads_torch(tmp_path) -> None:
    """The demo's families are hand arithmetic (convolution, pooling, counts, shapes, a log, a
    softmax): their solvers work in plain Python and sympy, and torch only checks them
    (`examgen check`), so a build skips torch's import, the largest part of its start-up."""
    loaded = heavy_imports("build", "bank/exams/demo.yaml", "--seed", "7", "--variants", "2",
                           "--out", str(tmp_path))
    assert "torch" not in loaded and loaded, loaded
