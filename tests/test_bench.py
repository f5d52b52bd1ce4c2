"""The benchmark harness (benchmarks/): its parsing, medians, .tex discovery and report writing.
Nothing here is timed; the one AMC test checks that the reference source really makes N copies."""
from __future__ import annotations

import os
import shutil
import sys
import types
from pathlib import Path

import pytest

from examgen.inputs.paths import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import amc  # noqa: E402
import floor  # noqa: E402
import measure  # noqa: E402
import pywork  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
import split  # noqa: E402

Sample = measure.Sample


def test_counts_default_to_the_issues_class_sizes() -> None:
    assert run.counts("1,10, 40") == [1, 10, 40]
    with pytest.raises(Exception):
        run.counts("0,3")
    args = run.parse_args(["--variants", "1,10", "--runs", "1"])
    assert args.variants == [1, 10] and args.runs == 1
    assert run.parse_args([]).variants == [1, 10, 40, 200]


def test_median_is_taken_per_field() -> None:
    samples = [Sample(3.0, 1.0, 100.0), Sample(1.0, 9.0, 300.0), Sample(2.0, 5.0, 200.0, failed=1)]
    assert measure.median_sample(samples) == Sample(2.0, 5.0, 200.0, failed=1)
    assert measure.median_sample([Sample(1.0, 2.0, 3.0), Sample(3.0, 4.0, 5.0)]).wall_s == 2.0
    with pytest.raises(ValueError):
        measure.median_sample([])


def test_helper_counts_failed_commands(tmp_path: Path) -> None:
    ok = measure.Command([sys.executable, "-c", "pass"], str(tmp_path))
    bad = measure.Command([sys.executable, "-c", "raise SystemExit(3)"], str(tmp_path), {"X": "1"})
    sample = measure.timed([ok, bad, ok], jobs=2)
    assert sample.failed == 1
    assert sample.cpu_s >= 0 and sample.peak_mib > 0


def _current_layout(folder: Path) -> None:
    """Today's build: one folder per variant, pdfpages bundles at the top."""
    for n in (1, 2):
        (folder / f"variant-{n:02d}").mkdir(parents=True)
        for doc in ("exam", "solutions"):
            (folder / f"variant-{n:02d}" / f"{doc}.tex").write_text("\\documentclass{article}\n")
    bundle = "\\usepackage{pdfpages}\n\\newcommand{\\variant}[1]{\\includepdf[pages=-]{#1}}\n"
    (folder / "all-exams.tex").write_text(bundle)
    (folder / "all-solutions.tex").write_text(bundle)
    (folder / "answer-key.tex").write_text("% not \\includepdf: a comment\n\\documentclass{article}\n")


def test_floor_sources_skip_pdf_bundles(tmp_path: Path) -> None:
    _current_layout(tmp_path)
    found = [p.relative_to(tmp_path).as_posix() for p in floor.floor_sources(tmp_path)]
    assert found == ["answer-key.tex", "variant-01/exam.tex", "variant-01/solutions.tex",
                     "variant-02/exam.tex", "variant-02/solutions.tex"]


def test_floor_sources_follow_a_single_run_layout(tmp_path: Path) -> None:
    """The layout the issue asks for: all variants in one TeX run each, split by pikepdf afterwards."""
    for name in ("all-exams", "all-solutions", "answer-key"):
        (tmp_path / f"{name}.tex").write_text("\\documentclass{article}\n\\begin{document}x\\end{document}\n")
    (tmp_path / "exam-01.pdf").write_bytes(b"%PDF-1.5")
    assert [p.name for p in floor.floor_sources(tmp_path)] == ["all-exams.tex", "all-solutions.tex", "answer-key.tex"]


def test_build_folder_ignores_staging_leftovers(tmp_path: Path) -> None:
    (tmp_path / ".demo-seed7.partial-x").mkdir()
    (tmp_path / "demo-seed7").mkdir()
    assert floor.build_folder(tmp_path).name == "demo-seed7"
    (tmp_path / "other").mkdir()
    with pytest.raises(RuntimeError):
        floor.build_folder(tmp_path)


def test_floor_commands_are_one_bare_pass(tmp_path: Path) -> None:
    tex = tmp_path / "v" / "exam.tex"
    [cmd] = floor.floor_commands([tex], tmp_path / "templates")
    assert cmd.argv == ["pdflatex", "-interaction=batchmode", "-no-shell-escape", "exam.tex"]
    assert cmd.cwd == str(tex.parent) and str(tmp_path / "templates") in cmd.env["TEXINPUTS"]


def test_amc_layout_counts_copies() -> None:
    calage = "\\version{x}\n\\page{1/1/60}{1pt}{2pt}\n\\page{1/2/59}{1pt}\n\\page{2/1/58}{1pt}\n\\page{2/2/57}{1pt}\n"
    assert amc.layout_copies(calage) == (2, 4)
    assert amc.layout_copies("") == (0, 0)


def test_amc_verify_rejects_missing_output(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="made 0 copies"):
        amc.verify(tmp_path, 3)


@pytest.mark.pdf
@pytest.mark.skipif(shutil.which("auto-multiple-choice") is None and not os.environ.get("CI"),
                    reason="auto-multiple-choice not installed (make test installs it)")
def test_amc_reference_source_makes_the_copies_asked_for(tmp_path: Path) -> None:
    _sample, checked = amc.time_amc(shutil.which("auto-multiple-choice"), tmp_path / "amc", 2)
    assert checked.startswith("2 copies, 4 pages")  # two pages a copy, like the demo exam
    assert (tmp_path / "amc" / "corrige.pdf").exists()


def test_replace_section_keeps_other_sections() -> None:
    doc = "# Benchmarks\n\n<!-- s:start -->\nold\n<!-- s:end -->\n\n## Start-up\nkept\n"
    new = report.replace_section(doc, "new body", "<!-- s:start -->", "<!-- s:end -->")
    assert "new body" in new and "old" not in new and new.endswith("## Start-up\nkept\n")
    assert report.replace_section(new, "again", "<!-- s:start -->", "<!-- s:end -->").count("<!-- s:start -->") == 1
    appended = report.replace_section("# Benchmarks\n", "body")
    assert appended == f"# Benchmarks\n\n{report.START}\nbody\n{report.END}\n"
    assert report.replace_section("", "body").startswith(report.START)


def test_table_rows_and_ratios() -> None:
    row = report.Row(40, Sample(158.0, 173.0, 328.0), Sample(50.0, 90.0, 60.0), 81, Sample(4.9, 4.4, 55.0))
    lines = report.table([row, report.Row(1, Sample(4.0, 3.0, 300.0), Sample(2.0, 1.0, 50.0, failed=1), 3, None)])
    assert len({line.count("|") for line in lines}) == 1  # every row has every column
    assert "| 40 | 158.0 | 173.0 | 328 | 50.0 | 90.0 | 4.9 | 4.4 | 55 | 39.32× | 3.16× | — | — | — | — |" in lines
    timed_start = report.Row(40, Sample(3.4, 5.2, 296.0), Sample(1.7, 2.9, 60.0), 3, None, "", Sample(1.7, 1.7, 280.0))
    assert report.table([timed_start])[-1].endswith("| 2.00× | 1.7 | 1.00× | — | — |")
    cold = report.Row(40, Sample(2.0, 3.0, 90.0), Sample(1.6, 2.9, 60.0), 3, None, "", None, Sample(2.4, 3.8, 95.0))
    assert report.table([cold])[-1].endswith("| 1.25× | — | — | 2.4 | 1.50× |")
    assert "2.0 (1 of 3 failed)" in lines[-1] and "—" in lines[-1]
    assert report.ratio(1.0, 0.0) == "n/a"


def test_section_states_command_machine_and_python_work() -> None:
    row = report.Row(10, Sample(2.0, 3.0, 300.0), Sample(1.0, 1.5, 50.0), 21, None)
    pywork = {"variants": 40, "sample_ms": 12.0, "render_ms": 3.0, "total_ms": 15.0, "rendered": True}
    text = report.section([row], pywork, {"nproc": "2", "load": "1.0"}, "make bench", 3, "2026-11-23 15:00 UTC")
    assert "`make bench`" in text and "**15.0 ms**" in text and "nproc: 2" in text and "10 variants → 21 .tex" in text


def test_busy_machine_is_flagged() -> None:
    assert report.busy_note([0.4, 1.9], 2) == ""
    assert "busy" in report.busy_note([6.98, 11.28], 2) and "11.3 on 2 cores" in report.busy_note([6.98, 11.28], 2)


def test_machine_facts_parse(tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n")
    (tmp_path / "meminfo").write_text("MemTotal:       24641536 kB\n")
    (tmp_path / "os-release").write_text('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    assert report.cpu_model(tmp_path / "cpuinfo") == "AMD EPYC 7B13"
    assert report.ram(tmp_path / "meminfo") == "23.5 GiB"
    assert report.os_name(tmp_path / "os-release") == "Debian GNU/Linux 12 (bookworm)"
    assert report.ram(tmp_path / "missing") == "?"


def test_render_sources_follows_the_build_signature(tmp_path: Path) -> None:
    calls = []
    today = types.SimpleNamespace(write_sources=lambda spec, seed, variants, stage: calls.append(stage))
    assert pywork.render_sources(today, "spec", [], tmp_path / "a") and calls == [tmp_path / "a"]
    one_run = types.SimpleNamespace(page_for=lambda spec, v: f"page {v}",
                                    write_sources=lambda spec, seed, pages, stage, bundled: calls.append((pages, bundled)))
    assert pywork.render_sources(one_run, "spec", [1, 2], tmp_path / "d") and calls[-1] == (["page 1", "page 2"], True)
    changed = types.SimpleNamespace(write_sources=lambda spec, variants, stage, roster: None)
    assert not pywork.render_sources(changed, "spec", [], tmp_path / "b")
    assert not pywork.render_sources(types.SimpleNamespace(), "spec", [], tmp_path / "c")


def test_split_benchmark_cuts_a_real_build_as_the_build_does(tmp_path: Path) -> None:
    """benchmarks/split.py on a 3-variant build: the page ranges it recovers are the build's, and
    the build's own splitter (which writes only inside the bundle's folder) accepts its targets."""
    import pikepdf

    from examgen.build import BuildOptions, build
    from examgen.models import variant_name

    folder = build(BuildOptions(spec=ROOT / "bank" / "exams" / "demo.yaml", seed=3, variants=3, out=tmp_path)).folder
    bundle = folder / "all-solutions.pdf"
    ranges = split.page_ranges_of(folder, "all-solutions")
    bundle.with_suffix(".pages").write_text("".join(f"{n} {a} {b}\n" for n, (a, b) in ranges.items()))
    assert split.median_seconds(split.with_pikepdf, bundle, ranges, 1) > 0
    cut = sorted((folder / "all-solutions-with_pikepdf-0").glob("*.pdf"))
    assert [p.name for p in cut] == ["1.pdf", "2.pdf", "3.pdf"]
    for number, pdf in enumerate(cut, start=1):
        with pikepdf.open(pdf) as own, pikepdf.open(folder / variant_name(number, 3) / "solutions.pdf") as built:
            assert len(own.pages) == len(built.pages)
