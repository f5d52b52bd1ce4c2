"""Documents typeset while their variants are sampled (feed.py): pdflatex runs before sampling ends,
receives every variant, and a failure at any point is the failure that caused it, with nothing
left behind (no pipe, no pdflatex, no half-published folder)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import examgen.build as build_module
from examgen.build import BuildOptions, build
from examgen.compile import Job, compile_tex
from examgen.errors import LatexError, RenderError, SamplingError
from examgen.tex.fmtcache import cached_format
from examgen.render import render_document
from examgen.inputs.paths import ROOT

DEMO = ROOT / "bank" / "exams" / "demo.yaml"


def pdflatex_running(folder: Path) -> list[str]:
    """Command lines of the pdflatex processes working in `folder`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"pdflatex") and Path(cwd) == folder:
            found.append(" ".join(part.decode() for part in cmd))
    return found


def wait_for_feeds(stage: Path, limit_s: float = 60) -> list[str]:
    """The pdflatex runs reading feeds in `stage`, once there are two (or what there is at the limit)."""
    end = time.monotonic() + limit_s
    while True:
        running = [cmd for cmd in pdflatex_running(stage) if ".feed.tex" in cmd]
        if len(running) >= 2 or time.monotonic() > end:
            return running
        time.sleep(0.05)


def test_pdflatex_runs_while_the_variants_are_sampled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    real = build_module.sample_each

    def watched(*args, **kwargs):
        for variant in real(*args, **kwargs):
            if variant.number == 4:   # the last: pdflatex must start on the first three (once the
                stage = next(tmp_path.glob(".demo-seed3.partial-*"))   # preamble format is ready)
                seen.append(wait_for_feeds(stage))
            yield variant

    monkeypatch.setattr(build_module, "sample_each", watched)
    result = build(BuildOptions(DEMO, seed=3, variants=4, out=tmp_path))
    assert any("all-exams.feed.tex" in cmd for cmd in seen[0]), seen
    assert any("all-solutions.feed.tex" in cmd for cmd in seen[0]), seen
    assert not list(result.folder.rglob("*.feed.tex"))


def test_a_fed_document_is_the_whole_document(tmp_path: Path) -> None:
    """The PDF made through the pipe equals the published .tex compiled again from the file."""
    folder = build(BuildOptions(DEMO, seed=5, variants=3, out=tmp_path)).folder
    again = tmp_path / "again"
    again.mkdir()
    fmt = cached_format(render_document("partials/preamble.tex.j2"), again)   # the build's format
    for name in ("all-exams", "all-solutions", "answer-key"):
        (again / f"{name}.tex").write_text((folder / f"{name}.tex").read_text())
        pdf = compile_tex(Job(again / f"{name}.tex", name, fmt=fmt))
        assert pdf.read_bytes() == (folder / f"{name}.pdf").read_bytes(), name


def test_one_document_at_a_time_still_builds_the_same(tmp_path: Path) -> None:
    """--jobs 1: the solutions and key wait for the exams' run; their variants wait in their feeds."""
    one = build(BuildOptions(DEMO, seed=5, variants=3, out=tmp_path / "one", jobs=1))
    every = build(BuildOptions(DEMO, seed=5, variants=3, out=tmp_path / "all"))
    for a, b in zip(one.documents, every.documents):
        assert a.read_bytes() == b.read_bytes(), a.name


def left_behind(tmp_path: Path) -> list[str]:
    return [p.name for p in tmp_path.rglob("*") if ".partial-" in str(p) or p.name.endswith(".feed.tex")]


def test_a_sampling_error_midway_is_the_error_and_stops_pdflatex(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real = build_module._instance

    def fails_on_the_third(pick, seed, variant, ctx, seen):
        if variant == 3:
            raise SamplingError(f"template {pick.template.id}: no valid values (made up for the test)")
        return real(pick, seed, variant, ctx, seen)

    old = build(BuildOptions(DEMO, seed=9, variants=2, out=tmp_path)).folder
    before = {p.name: p.read_bytes() for p in old.rglob("*") if p.is_file()}
    monkeypatch.setattr(build_module, "_instance", fails_on_the_third)
    with pytest.raises(SamplingError, match="made up for the test"):
        build(BuildOptions(DEMO, seed=9, variants=4, out=tmp_path))
    assert {p.name: p.read_bytes() for p in old.rglob("*") if p.is_file()} == before
    assert left_behind(tmp_path) == [] and pdflatex_running(tmp_path) == []


def test_a_document_that_fails_to_render_midway_is_a_render_error(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = build_module.page_for

    def broken_second(spec, variant):
        page = real(spec, variant)
        if variant.number == 2:
            page.sections = None   # the paper template cannot loop over it
        return page

    monkeypatch.setattr(build_module, "page_for", broken_second)
    with pytest.raises(RenderError, match="templates/paper.tex.j2"):
        build(BuildOptions(DEMO, seed=9, variants=3, out=tmp_path))
    assert left_behind(tmp_path) == []


def test_a_latex_error_in_the_middle_of_a_fed_document_names_its_question(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Variant 2 of 3 breaks: pdflatex stops on it while variant 3 may still be on its way; the
    error quotes the line from the .tex (written ahead of the pipe) and names the question."""
    inject(monkeypatch, 2, r"\notamacro ")
    with pytest.raises(LatexError) as err:
        build(BuildOptions(DEMO, seed=9, variants=3, out=tmp_path))
    message = str(err.value)
    assert "Undefined control sequence" in message and "question conv2d-params" in message
    assert "\\notamacro" in message and "\n" not in message
    assert left_behind(tmp_path) == [] and pdflatex_running(tmp_path) == []


def test_without_named_pipes_the_build_samples_first_and_prints_the_same(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Some file systems (FAT, some network mounts) cannot hold a pipe: the documents are then
    written whole and compiled after sampling, with the same result."""
    fed = build(BuildOptions(DEMO, seed=5, variants=3, out=tmp_path / "fed"))

    def no_pipes(path, mode=0o666):
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(os, "mkfifo", no_pipes)
    whole = build(BuildOptions(DEMO, seed=5, variants=3, out=tmp_path / "whole"))
    for a, b in zip(fed.documents, whole.documents):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert len(fed.documents) == len(whole.documents) == 9


def inject(monkeypatch: pytest.MonkeyPatch, number: int, text: str) -> None:
    """Variant `number`'s first question starts with `text` (LaTeX, as it reaches the document)."""
    real = build_module.page_for

    def patched(spec, variant):
        page = real(spec, variant)
        if variant.number == number:
            part = page.sections[0].questions[0].parts[0]
            part.question = text + part.question
        return page

    monkeypatch.setattr(build_module, "page_for", patched)


def slow_sampling(monkeypatch: pytest.MonkeyPatch, seconds: float = 0.2) -> list[int]:
    """Each variant after the first takes `seconds` more to sample; the numbers sampled so far."""
    real, sampled = build_module.sample_each, []

    def slow(*args, **kwargs):
        for variant in real(*args, **kwargs):
            sampled.append(variant.number)
            if variant.number > 1:
                time.sleep(seconds)
            yield variant

    monkeypatch.setattr(build_module, "sample_each", slow)
    return sampled


def test_a_latex_error_in_the_first_variant_stops_the_build_before_sampling_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The failing run stops the others and the sampling loop at once, rather than after every
    variant has been solved (sampling is slowed to 0.2 s a variant here: 6 s for 30)."""
    inject(monkeypatch, 1, r"\notamacro ")
    sampled = slow_sampling(monkeypatch)
    with pytest.raises(LatexError, match="Undefined control sequence"):
        build(BuildOptions(DEMO, seed=9, variants=30, out=tmp_path))
    assert len(sampled) < 30, sampled
    assert left_behind(tmp_path) == [] and pdflatex_running(tmp_path) == []


def test_a_document_that_ends_early_without_an_error_is_still_a_failure(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """TeX's own \\end in a question's text ends the run cleanly: the build must not publish the
    variants that were never typeset."""
    inject(monkeypatch, 1, r"\csname @@end\endcsname ")
    slow_sampling(monkeypatch)
    with pytest.raises(LatexError, match="ended after variant|recorded no pages for variant"):
        build(BuildOptions(DEMO, seed=9, variants=20, out=tmp_path))
    assert left_behind(tmp_path) == [] and not (tmp_path / "demo-seed9").exists()
