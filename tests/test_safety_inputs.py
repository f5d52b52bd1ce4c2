"""Issue 22 (items 4, 5, 11, 14, 18): untrusted bank files, exam specs and rosters. A `nonzero`
domain with no non-zero value, a `draw` of a billion questions, a student name TeX cannot print, a
FIFO or a symbolic link where a file is read, a terminal escape in a title: each is one line
naming the file and the field (or the roster line), found before any expensive work, and nothing
hangs (every test that once hung runs under an alarm, so a regression fails instead)."""
from __future__ import annotations

import csv
import io
import os
import random
import shutil
import signal
import subprocess
import tempfile
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examgen.bank import load_bank
from examgen.errors import BankError, ExamgenError, SamplingError, SpecError
from examgen.inputs.domains import draw_value
from examgen.inputs.paths import ROOT
from examgen.inputs.roster import ENCODINGS, MAX_NAME, load_roster, name_problem, printable_chars
from examgen.models import Student
from examgen.pick import pick_questions
from examgen.safety.yamlsafe import read_yaml, yaml_text
from examgen.spec import MAX_QUESTIONS, load_spec, parse_spec
from safety_helpers import SHORT, mini_bank, one_error_line, run, write_spec, write_template  # noqa: F401

HANG_S = 10   # a hang guard, not a speed test: each of these answers at once, or hung for ever before
DEMO = ROOT / "bank" / "exams" / "demo.yaml"
FUZZ = settings(max_examples=int(os.environ.get("EXAMGEN_FUZZ_EXAMPLES", "50")), deadline=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture
def bank(mini_bank: Path) -> Path:  # noqa: F811 - safety_helpers' scratch bank, under a name of this file's
    return mini_bank


@contextmanager
def no_hang(seconds: int = HANG_S) -> Iterator[None]:
    """Fail (TimeoutError) instead of hanging: SIGALRM interrupts a loop or a blocked open()."""
    def hang(*_: object) -> None:
        raise TimeoutError(f"no result within {seconds}s: a hang")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- item 4: a `nonzero` domain must have a non-zero value ----------------------------------

NO_NONZERO = [
    ({"type": "int", "min": 0, "max": 0, "nonzero": True}, "min 0 to max 0 gives only 0"),
    ({"type": "int", "min": 0, "max": 3, "step": 5, "nonzero": True}, "in steps of 5 gives only 0"),
    ({"type": "float", "min": 0.001, "max": 0.004, "decimals": 2, "nonzero": True},
     "min 0.001 to max 0.004 at 2 decimal places gives only 0"),
    ({"type": "vector", "size": 3, "min": 0, "max": 0, "nonzero": True}, "gives only 0"),
    ({"type": "matrix", "rows": 2, "cols": 2, "min": -0.2, "max": 0.3, "nonzero": True}, "at 0 decimal places gives only 0"),
    ({"type": "int", "choices": [0], "nonzero": True}, "choices [0] gives only 0"),
]


@pytest.mark.parametrize("domain, message", [
    *NO_NONZERO,
    ({"type": "int", "min": -3, "max": 3, "nonzero": "no"}, "expected true or false, got 'no'"),
])
def test_a_nonzero_domain_without_a_nonzero_value_is_refused_when_the_bank_loads(
        bank: Path, domain: dict, message: str) -> None:
    write_template(bank, "nz", params={"x": domain})
    with no_hang():
        line = one_error_line(run("list"))
    assert "nz.yaml: params.x.nonzero: " in line and message in line, line


@pytest.mark.parametrize("domain", [d for d, _ in NO_NONZERO])
def test_drawing_a_domain_without_a_nonzero_value_raises_instead_of_looping(domain: dict) -> None:
    with no_hang(5), pytest.raises(SamplingError, match="has no non-zero value"):
        draw_value(domain, random.Random(3), {"n": 2})


class Zeros(random.Random):
    """A generator whose every draw is 0 where 0 can be drawn: redrawing a zero never ends."""

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            return 0
        return 0 if 0 in range(start, stop, step) else start


@pytest.mark.parametrize("domain", [
    {"type": "int", "min": -3, "max": 3, "nonzero": True},
    {"type": "int", "min": -4, "max": 4, "step": 2, "nonzero": True},
    {"type": "float", "min": -1, "max": 1, "decimals": 1, "nonzero": True},
    {"type": "vector", "size": 4, "min": -2, "max": 2, "nonzero": True},
])
def test_a_nonzero_draw_ends_even_when_every_draw_is_zero(domain: dict) -> None:
    with no_hang(5):
        value = draw_value(domain, Zeros(), {})
    values = value if isinstance(value, list) else [value]
    assert values and all(v != 0 and domain["min"] <= v <= domain["max"] for v in values), value


def test_nonzero_int_choices_never_give_zero() -> None:
    rng = random.Random(1)
    assert {draw_value({"type": "int", "choices": [0, 3], "nonzero": True}, rng, {}) for _ in range(50)} == {3}


def _old_nonzero_int(rng: random.Random, lo: int, hi: int) -> int:
    while True:   # the draw as it was: redraw a zero (ends: -4..4 has other values)
        value = rng.randrange(lo, hi + 1)
        if value:
            return value


def test_nonzero_draws_keep_their_random_numbers() -> None:
    """Bounding the redraws changes no sampled paper: the same seeds give the same values."""
    for seed in range(30):
        new, old = random.Random(seed), random.Random(seed)
        drawn = [draw_value({"type": "int", "min": -4, "max": 4, "nonzero": True}, new, {}) for _ in range(20)]
        assert drawn == [_old_nonzero_int(old, -4, 4) for _ in range(20)]


@pytest.mark.parametrize("domain", [
    {"type": "float", "min": -1e308, "max": 1e308, "decimals": 6},
    {"type": "float", "min": 10**400, "max": 10**401},
])
def test_a_float_grid_past_the_largest_float_is_refused_at_load(bank: Path, domain: dict) -> None:
    write_template(bank, "huge", params={"x": domain})
    line = one_error_line(run("list"))
    assert "huge.yaml: params.x: min and max must stay finite" in line, line


# --- item 5: `draw` is checked before a section is split into its draws ----------------------

def test_a_huge_draw_is_refused_before_the_section_is_split() -> None:
    data = {"title": "T", "sections": [{"title": "A", "questions": ["conv2d-params", {"topic": "cnn", "draw": 10**9}]}]}
    with no_hang(), pytest.raises(SpecError, match=r"^exam\.yaml: sections\[0\]\.questions\[1\]\.draw: "
                                                   r"1000000000 templates: an exam has at most 200 questions"):
        parse_spec(Path("exam.yaml"), data)


def test_a_huge_draw_in_a_spec_file_is_one_line_from_build(bank: Path, tmp_path: Path) -> None:
    spec = write_spec(bank, "huge", "title: T\nsections:\n  - title: A\n    questions:\n"
                                         "      - {topic: cnn, draw: 1000000000}\n")
    with no_hang():
        line = one_error_line(run("build", spec, "--seed", "1", "--out", tmp_path / "out"))
    assert f"{spec}: sections[0].questions[0].draw: 1000000000 templates" in line, line


def test_an_exam_of_more_questions_than_the_cap_is_refused() -> None:
    data = {"title": "T", "sections": [{"title": "A", "questions": ["conv2d-params"] * 150},
                                       {"title": "B", "questions": [{"kind": "numeric", "draw": 51}]}]}
    with pytest.raises(SpecError, match=rf"sections: 201 questions in all \(each draw counted\): an exam has at "
                                        rf"most {MAX_QUESTIONS}"):
        parse_spec(Path("exam.yaml"), data)


def _rare_spec(bank: Path) -> Path:
    write_template(bank, "lonely", topics=["rare"])
    return write_spec(bank, "rare", "title: T\nsections:\n  - title: A\n    questions:\n      - conv2d-params\n"
                                    "  - title: B\n    questions:\n      - {topic: rare, draw: 30}\n")


def test_a_draw_larger_than_its_topic_is_refused_naming_the_field(bank: Path) -> None:
    spec = _rare_spec(bank)
    with pytest.raises(SpecError, match=r"rare\.yaml: sections\[1\]\.questions\[0\]\.draw: draws 30 templates, "
                                        r"but topic 'rare' has 1 template to draw from$"):
        pick_questions(load_spec(spec), load_bank(), 1, 1)   # (it drew 'lonely' 30 times: TeX ran out of memory)


def test_a_draw_larger_than_its_topic_stops_build_with_one_line(bank: Path, tmp_path: Path) -> None:
    spec = _rare_spec(bank)
    line = one_error_line(run("build", spec, "--seed", "1", "--out", tmp_path / "out"))
    assert "sections[1].questions[0].draw: draws 30 templates, but topic 'rare' has 1 template" in line, line
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_draw_counts_only_templates_not_named_elsewhere(bank: Path) -> None:
    spec = parse_spec(Path("e.yaml"), {"title": "T", "sections": [
        {"title": "A", "questions": ["conv2d-params"]}, {"title": "B", "questions": [{"topic": "cnn", "draw": 3}]}]})
    assert sum("cnn" in t.topics for t in load_bank().values()) == 3
    with pytest.raises(SpecError, match=r"sections\[1\]\.questions\[0\]\.draw: draws 3 templates, but topic 'cnn' "
                                        r"has 2 templates to draw from not named elsewhere in the spec"):
        pick_questions(spec, load_bank(), 1, 1)


# --- item 11: a roster name is accepted only if the documents can print it -------------------

def write_roster(folder: Path, students: list[tuple[str, str]], name: str = "roster.csv") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([("id", "name"), *students])
    path = folder / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


UNPRINTABLE = [
    ("Ada \U0001F600", "character '\U0001F600' (U+1F600) cannot be printed: no installed font for names holds it"),
    ("Ada \uE000", r"character '\ue000' (U+E000) cannot be printed: no installed font for names holds it"),
    ("Ada\x1b[2JLovelace", "control character U+001B"),
    ("Ada\nLovelace", "control character U+000A"),
    ("a" * 130_000, f"130000 characters, at most {MAX_NAME}"),
]


@pytest.mark.parametrize("name, message", UNPRINTABLE)
def test_a_name_tex_cannot_print_is_refused_with_its_roster_line(tmp_path: Path, name: str, message: str) -> None:
    roster = write_roster(tmp_path, [("s1", "José Müller"), ("s2", name)])
    with no_hang(), pytest.raises(SpecError) as err:
        load_roster(roster)
    text = str(err.value)
    assert text.startswith(f"{roster}: roster line 3: name '") and message in text, text
    assert "\n" not in text and "\x1b" not in text and len(text) < 300


def test_the_brief_s_example_message(tmp_path: Path) -> None:
    roster = write_roster(tmp_path, [("s1", "Ada"), ("s2", "Bo"), ("s3", "Иван \U0001F600")])
    with pytest.raises(SpecError) as err:
        load_roster(roster)
    assert str(err.value) == (f"{roster}: roster line 4: name 'Иван \U0001F600': character '\U0001F600' (U+1F600) "
                              "cannot be printed: no installed font for names holds it")


@pytest.mark.parametrize("name, message", UNPRINTABLE[:3])
def test_a_build_with_an_unprintable_name_stops_before_any_tex_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   name: str, message: str) -> None:
    def no_tex() -> str:
        raise RuntimeError("pdflatex was reached: the roster was checked too late")

    monkeypatch.setattr("examgen.build.pdflatex", no_tex)
    roster = write_roster(tmp_path, [("s1", "Ada"), ("s2", name)])
    line = one_error_line(run("build", DEMO, "--seed", "1", "--roster", roster, "--out", tmp_path / "out"))
    assert "roster line 3" in line and message in line and "LaTeX" not in line, line


def test_names_are_taken_in_composed_form(tmp_path: Path) -> None:
    """A name typed on a Mac may arrive decomposed (e + U+0308): it is the same name, and prints."""
    roster = write_roster(tmp_path, [("s1", unicodedata.normalize("NFD", "Zoë Ångström"))])
    assert load_roster(roster) == [Student("s1", "Zoë Ångström")]


@pytest.mark.skipif(shutil.which("pdflatex") is None and not os.environ.get("CI"), reason="needs TeX (CI never skips)")
def test_latin_names_with_diacritics_build_and_print(tmp_path: Path) -> None:
    from examgen.build import BuildOptions, build
    from examgen.quality.layout import pdf_pages_text

    names = [("s1", "José Müller"), ("s2", "Zoë Ångström"), ("s3", "Łukasz Żółć"),
             ("s4", unicodedata.normalize("NFD", "Chloë Brontë"))]
    roster = write_roster(tmp_path, names)
    folder = build(BuildOptions(spec=DEMO, seed=7, out=tmp_path / "out", roster=roster)).folder
    for sid, name in names:
        cover = unicodedata.normalize("NFC", pdf_pages_text(folder / "students" / sid / "exam.pdf")[0])
        assert unicodedata.normalize("NFC", name) in cover, cover


@pytest.mark.skipif(shutil.which("pdflatex") is None and not os.environ.get("CI"), reason="needs TeX (CI never skips)")
def test_the_printable_set_is_what_this_tex_setup_prints(tmp_path: Path) -> None:
    """TeX itself decides: the documents' preamble loads exactly ENCODINGS (\\cdp@list), every
    character of printable_chars() typesets in it without an error, and one outside does not."""
    from examgen.render import render_document
    from examgen.tex.latexfmt import tex

    preamble = render_document("partials/preamble.tex.j2")
    listing = r"\makeatletter\def\cdp@elt#1#2#3#4{\typeout{ENCODING=#1}}\cdp@list\makeatother"

    def compile_body(body: str) -> tuple[int, str]:
        (tmp_path / "t.tex").write_text(f"{preamble}\n{listing}\n\\begin{{document}}\n{body}\n\\end{{document}}\n",
                                        encoding="utf-8")
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=tmp_path,
                              capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        return done.returncode, (tmp_path / "t.log").read_text(encoding="latin-1")

    chars = sorted(printable_chars())
    assert len(chars) > 300 and {ord(c) for c in "éüÅŁżőœßÇ€"} <= set(chars)
    code, log = compile_body("\n".join(rf"\textbf{{{tex(chr(c))}}} {tex(chr(c))}\par" for c in chars))
    assert code == 0 and "\n! " not in log, [line for line in log.splitlines() if line.startswith("!")][:3]
    assert tuple(line.split("=", 1)[1] for line in log.splitlines() if line.startswith("ENCODING=")) == ENCODINGS
    code, log = compile_body(r"\textbf{Иван}")
    assert code != 0 and "not set up for use with LaTeX" in log


# --- item 14: files are read without following links or waiting on FIFOs -------------------

def test_a_fifo_in_the_bank_is_refused_not_waited_on(bank: Path) -> None:
    os.mkfifo(bank / "cnn" / "x.yaml")
    load_bank.cache_clear()
    with no_hang():
        line = one_error_line(run("list"))
    assert f"{bank / 'cnn' / 'x.yaml'}: is not a regular file" in line, line


def test_a_symlink_in_the_bank_is_refused_without_quoting_its_target(bank: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-7f3a: hunter2\nroot:$6$SECRET-MARKER-hash:19000:0:99999:7:::\n")
    (bank / "cnn" / "shadow.yaml").symlink_to(secret)
    load_bank.cache_clear()
    result = run("list")
    line = one_error_line(result)
    assert "shadow.yaml: is a symbolic link" in line and "SECRET-MARKER" not in result.output, line


def test_a_symlinked_folder_in_the_bank_is_refused(bank: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "far.yaml").write_text(yaml.safe_dump({"id": "far", **SHORT}), encoding="utf-8")
    (bank / "linked").symlink_to(outside, target_is_directory=True)
    load_bank.cache_clear()
    line = one_error_line(run("list"))
    assert f"{bank / 'linked'}: is a symbolic link" in line, line


def test_other_symlinks_in_a_bank_are_not_bank_files_and_are_passed_over(bank: Path) -> None:
    (bank / "README.md").symlink_to("/etc/passwd")
    (bank / "dangling.txt").symlink_to(bank / "nowhere")
    load_bank.cache_clear()
    assert run("list").exit_code == 0


def test_read_yaml_refuses_links_fifos_and_devices(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("a: 1\n")
    (tmp_path / "link.yaml").symlink_to(real)
    os.mkfifo(tmp_path / "fifo.yaml")
    assert read_yaml(real) == {"a": 1}
    with pytest.raises(BankError, match=r"link\.yaml: is a symbolic link"):
        read_yaml(tmp_path / "link.yaml")
    with no_hang(), pytest.raises(BankError, match=r"fifo\.yaml: is not a regular file"):
        read_yaml(tmp_path / "fifo.yaml")
    with no_hang(), pytest.raises(BankError, match=r"zero: is not a regular file"):
        read_yaml(Path("/dev/zero"))


def test_a_spec_or_roster_is_read_only_as_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").symlink_to(DEMO)
    with pytest.raises(SpecError, match=r"spec\.yaml: is a symbolic link"):
        load_spec(tmp_path / "spec.yaml")
    os.mkfifo(tmp_path / "fifo.yaml")
    with no_hang(), pytest.raises(SpecError, match=r"fifo\.yaml: is not a regular file"):
        load_spec(tmp_path / "fifo.yaml")
    roster = write_roster(tmp_path, [("s1", "Ada")])
    (tmp_path / "link.csv").symlink_to(roster)
    with pytest.raises(SpecError, match=r"link\.csv: roster: is a symbolic link"):
        load_roster(tmp_path / "link.csv")
    os.mkfifo(tmp_path / "fifo.csv")
    with no_hang(), pytest.raises(SpecError, match=r"fifo\.csv: roster: is not a regular file"):
        load_roster(tmp_path / "fifo.csv")


def test_a_fifo_roster_stops_build_with_one_line(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.csv")
    with no_hang():
        line = one_error_line(run("build", DEMO, "--seed", "1", "--roster", tmp_path / "fifo.csv",
                                  "--out", tmp_path / "out"))
    assert "fifo.csv: roster: is not a regular file" in line, line


# --- item 18: no control character in any string of a YAML file ------------------------------

@pytest.mark.parametrize("escape, code", [
    (r"\e]0;pwned\a", "U+001B"), (r"\e[2J", "U+001B"), (r"\x9b2J", "U+009B"), (r"\0", "U+0000"),
    (r"\r", "U+000D"), (r"\x7f", "U+007F"), (r"\N", "U+0085"), (r"\b", "U+0008"),
])
def test_control_characters_in_yaml_strings_are_refused_with_file_and_line(escape: str, code: str) -> None:
    text = f'id: x\nquestion: fine\ntitle: "Conv {escape} nets"\n'
    with pytest.raises(BankError, match=rf"^bank/x\.yaml: line 3: a string holds control character {code.replace('+', '[+]')} "):
        yaml_text(text, "bank/x.yaml")


def test_control_characters_in_keys_and_nested_strings_are_refused() -> None:
    with pytest.raises(BankError, match=r"line 2: a string holds control character U\+001B"):
        yaml_text('a: 1\n"b\\e": 2\n', "x.yaml")
    with pytest.raises(BankError, match=r"line 3: a string holds control character U\+0007"):
        yaml_text('a:\n  - ok\n  - {k: "\\a"}\n', "x.yaml")


def test_newline_and_tab_stay_allowed() -> None:
    assert yaml_text('a: "one\\ttwo\\nthree"\nb: |\n  x\ty\n  z\n', "x.yaml") == {"a": "one\ttwo\nthree", "b": "x\ty\nz\n"}


def test_list_refuses_a_title_with_a_terminal_escape(bank: Path) -> None:
    write_template(bank, "esc", title="\x1b]0;pwned\x07Conv nets\x1b[2J")
    result = run("list")
    line = one_error_line(result)
    assert "esc.yaml: line 2: a string holds control character U+001B" in line, line
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_a_raw_control_byte_is_named_not_echoed(bank: Path) -> None:
    path = write_template(bank, "raw")
    path.write_bytes(path.read_bytes().replace(b"title: t", b"title: t\x1b[2J"))
    load_bank.cache_clear()
    result = run("list")
    line = one_error_line(result)
    assert "raw.yaml: line " in line and "\\x1b" in line and "\x1b" not in result.output, line


# --- fuzzing: roster rows -------------------------------------------------------------------

TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.text(st.characters(max_codepoint=0x17F, blacklist_categories=("Cs",)), max_size=40),
    st.builds(lambda c, n: c * n, st.characters(blacklist_categories=("Cs",)), st.integers(0, 140_000)),
    st.sampled_from(["s1", "S1", "ab-12", "../x", "", " ", "José Müller", "Łukasz Żółć", "\ufeff", "a\u0308"]),
)


def _check_roster(path: Path) -> None:
    """A list of students whose names all print, or one ExamgenError line; nothing else."""
    with no_hang(30):
        try:
            students = load_roster(path)
        except ExamgenError as err:
            message = str(err)
            assert "\n" not in message and not any(unicodedata.category(c) == "Cc" for c in message), message
            assert len(message) < 1000
            return
    assert isinstance(students, list) and students
    assert all(s.name and name_problem(s.name) is None and len(s.name) <= MAX_NAME for s in students)


@FUZZ
@given(rows=st.lists(st.lists(TEXT, min_size=1, max_size=3), max_size=6),
       header=st.sampled_from([["id", "name"], ["name", "id", "email"], ["ID ", " Name"], ["id"]]))
def test_fuzzed_roster_rows_give_students_or_one_line(rows: list[list[str]], header: list[str]) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        _check_roster(path)


@FUZZ
@given(data=st.binary(max_size=400))
def test_fuzzed_roster_bytes_give_students_or_one_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_bytes(b"id,name\n" + data)
        _check_roster(path)
