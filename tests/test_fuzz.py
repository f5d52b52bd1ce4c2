"""Issue 12: hypothesis feeds mutated bank files, specs and `--set` values to the loaders and to
`solve` (and specs through pick, sample, solve and render). Under a time and memory limit, every
example ends in a result or one `examgen: error:` line: never a traceback, a hang, or a read of a
file outside the bank, the package and Python's own files. Derandomised under CI (conftest)."""
from __future__ import annotations

import os
import random
import resource
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examgen.bank import load_bank
from examgen.build import Quiet, sample_variants
from examgen.errors import ExamgenError
from examgen.inputs.paths import ROOT
from examgen.solve import make_context
from examgen.spec import load_spec
from safety_helpers import KEPT, mini_bank, run  # noqa: F401

FUZZ = settings(max_examples=int(os.environ.get("EXAMGEN_FUZZ_EXAMPLES", "50")), deadline=None, suppress_health_check=list(HealthCheck))
LIMIT_S = 30             # one example may take this long before it counts as a hang
LIMIT_GROWTH_KB = 1_500_000  # and grow the process's peak memory by at most this much

HOSTILE = ["&a ", "*a ", "!!python/object/apply:os.system ['id']", "[" * 80, "{" * 80, "%", "50% off",
           "<< 1/0 >>", "<% include 'x' %>", "<< 'A' * 10**10 >>", "<% for i in range(10**5) %><% for j in range(10**5) %>",
           r"\input{$HOME/.bashrc}", "<< x.__class__ >>", "\x00", "\udcff", ": ", "\n  - ", "\n", "- ", "'", '"',
           "min: 5\n    max: 1", "size: 1000000000", "step: 0", "choices: []", "marks: -1", "marks: .nan",
           "draw: 0", "draw: -1", "id: ../../x", "  ", "null", "~", "1e999", "-.inf", "<<: *a"]
SET_VALUES = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["[*a]", "&a [1]", "!!python/name:os.system", "5x0", "-5x3", "1000000000x1000000000",
                     "[[1, 2], [3]]", "[" * 100 + "]" * 100, "true", "null", "hello", ".nan", "1e999", "[]",
                     "{a: 1, a: 2}", "[1, 2, 3, 4, 5, 6, 7, 8, 9]", "[[.nan]]", "\udcff"]),
    st.text(max_size=30),
)


@contextmanager
def limited() -> Iterator[list[str]]:
    """Time limit (SIGALRM), memory-growth limit, and a record of every file opened meanwhile."""
    opened: list[str] = []
    _Watch.current = opened

    def hang(*_: object) -> None:
        raise TimeoutError(f"no result within {LIMIT_S}s: a hang")

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(LIMIT_S)
    try:
        yield opened
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        _Watch.current = None
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < LIMIT_GROWTH_KB


class _Watch:
    """An audit hook (they cannot be removed, so it records only while a `limited` block runs)."""

    current: list[str] | None = None

    @staticmethod
    def hook(event: str, args: tuple) -> None:
        if _Watch.current is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
            _Watch.current.append(str(args[0] if not isinstance(args[0], bytes) else args[0].decode(errors="replace")))


sys.addaudithook(_Watch.hook)


def assert_reads_inside(opened: list[str], bank: Path) -> None:
    allowed = [str(bank), str(ROOT), sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr/lib", "/usr/share",
               "/proc/", "/dev/", "/sys/", "/etc/localtime", "/tmp/"]
    for path in opened:
        full = str(Path(path).resolve()) if not path.startswith(("/proc", "/dev")) else path
        assert any(full.startswith(root) for root in allowed), path  # relative paths resolved above
        assert ".bashrc" not in path and "passwd" not in path, path


def one_line_or_success(result) -> None:
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert result.exit_code == 1, result.output  # usage errors too (cli.OneLineUsageErrors)
        assert len(lines) == 1 and lines[0].startswith("examgen: error: "), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def mutate(text: str, rng: random.Random, edits: int) -> str:
    """Insert hostile fragments, delete spans, duplicate lines."""
    for _ in range(edits):
        at = rng.randrange(len(text) + 1)
        how = rng.random()
        if how < 0.6:
            text = text[:at] + rng.choice(HOSTILE) + text[at:]
        elif how < 0.8:
            text = text[:at] + text[at + rng.randrange(1, 40):]
        else:
            lines = text.splitlines(keepends=True) or [""]
            i = rng.randrange(len(lines))
            text = "".join(lines[:i + 1] + [lines[i]] + lines[i + 1:])
    return text


@FUZZ
@given(which=st.sampled_from(KEPT), seed=st.integers(0, 2**32), edits=st.integers(1, 6))
def test_mutated_bank_files_give_a_result_or_one_line(mini_bank: Path, which: str, seed: int, edits: int) -> None:
    path = mini_bank / which
    original = (ROOT / "bank" / which).read_text(encoding="utf-8")
    path.write_bytes(mutate(original, random.Random(seed), edits).encode("utf-8", errors="surrogateescape"))
    load_bank.cache_clear()
    try:
        with limited() as opened:
            one_line_or_success(run("list"))
            one_line_or_success(run("solve", Path(which).stem, "--seed", str(seed % 1000)))
        assert_reads_inside(opened, mini_bank)
    finally:
        path.write_text(original, encoding="utf-8")
        load_bank.cache_clear()


@FUZZ
@given(seed=st.integers(0, 2**32), edits=st.integers(1, 6))
def test_mutated_specs_are_loaded_picked_and_rendered_or_refused_in_one_line(mini_bank: Path, seed: int,
                                                                              edits: int) -> None:
    spec_text = ("id: fuzz\ntitle: T\ncourse: C\ntotal_marks: 20\nsections:\n  - title: S\n    intro: Hi\n"
                 "    questions:\n      - conv2d-params\n      - {template: conv2d-by-hand, marks: 4}\n"
                 "  - title: U\n    shuffle: true\n    questions:\n      - {pool: [momentum-steps, batchnorm-add-code], draw: 1}\n")
    path = mini_bank / "exams" / "fuzz.yaml"
    path.write_bytes(mutate(spec_text, random.Random(seed), edits).encode("utf-8", errors="surrogateescape"))
    with limited() as opened:
        try:
            spec = load_spec(path)
            sample_variants(spec, load_bank(), seed % 1000, 2, make_context("cpu"), Quiet())
        except ExamgenError as err:
            assert "\n" not in str(err)
    assert_reads_inside(opened, mini_bank)


@FUZZ
@given(data=st.data())
def test_set_values_give_a_result_or_one_line(mini_bank: Path, data: st.DataObject) -> None:
    template = data.draw(st.sampled_from(sorted(load_bank())))
    names = sorted(load_bank()[template].params) + ["nope"]
    sets = data.draw(st.lists(st.tuples(st.sampled_from(names), SET_VALUES), min_size=1, max_size=3))
    args = [a for name, value in sets for a in ("--set", f"{name}={value}")]
    with limited() as opened:
        one_line_or_success(run("solve", template, *args))
    assert_reads_inside(opened, mini_bank)


@pytest.mark.parametrize("value", ["in_channels=[*a]", "kernel=1000000000x1000000000", "in_channels=1e999"])
def test_known_hostile_set_values(mini_bank: Path, value: str) -> None:
    with limited():
        result = run("solve", "conv2d-params", "--set", value)
    assert result.exit_code == 1
    one_line_or_success(result)
