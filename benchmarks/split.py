"""Splitting the one-run bundles into each variant's PDF (issue 10): pikepdf, which the build
uses, against pypdf, which it used before, on the same bundle and page ranges. pypdf is timed
only where it is installed (`pip install pypdf`); it is not one of examgen's requirements.
Writes (or replaces) only the "bench:split" section of BENCHMARKS.md.

    .venv/bin/python benchmarks/split.py [--variants 200] [--runs 3] [--out BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import replace_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:split:start -->", "<!-- bench:split:end -->"


def with_pikepdf(bundle: Path, ranges: dict[int, tuple[int, int]], out: Path) -> None:
    from examgen.write.split import split_pdf
    split_pdf(bundle, {n: out / f"{n}.pdf" for n in ranges})


def with_pypdf(bundle: Path, ranges: dict[int, tuple[int, int]], out: Path) -> None:
    from pypdf import PdfReader, PdfWriter
    reader = PdfReader(bundle)
    for number, (first, last) in ranges.items():
        writer = PdfWriter()
        for index in range(first - 1, last):
            writer.add_page(reader.pages[index])
        with open(out / f"{number}.pdf", "wb") as handle:
            writer.write(handle)


def median_seconds(split: Callable[..., None], bundle: Path, ranges: dict, runs: int) -> float:
    times = []
    for run in range(runs):
        out = bundle.parent / f"{bundle.stem}-{split.__name__}-{run}"   # the build splits within its folder
        out.mkdir()
        start = time.perf_counter()
        split(bundle, ranges, out)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="examgen-split-") as tmp:
        scratch = Path(tmp)
        subprocess.run([sys.executable, "-m", "examgen", "build", "bank/exams/demo.yaml", "--seed", "7",
                        "--variants", str(args.variants), "--out", str(scratch / "build")], cwd=ROOT, check=True,
                       capture_output=True)
        folder = next((scratch / "build").iterdir())
        rows = []
        for name in ("all-exams", "all-solutions"):
            bundle = folder / f"{name}.pdf"
            ranges = page_ranges_of(folder, name)
            bundle.with_suffix(".pages").write_text(  # as the TeX run wrote it (the publisher drops it)
                "".join(f"{n} {first} {last}\n" for n, (first, last) in ranges.items()), encoding="ascii")
            pike = median_seconds(with_pikepdf, bundle, ranges, args.runs)
            try:
                import pypdf  # noqa: F401
                py = f"{median_seconds(with_pypdf, bundle, ranges, args.runs):.2f}"
            except ImportError:
                py = "not installed"
            rows.append(f"| {name}.pdf | {len(ranges)} | {pike:.2f} | {py} |")
    command = ".venv/bin/python benchmarks/split.py " + " ".join(sys.argv[1:])
    body = "\n".join([
        "## Splitting the bundles (issue 10)",
        "",
        f"`{command.strip()}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: the demo built with "
        f"{args.variants} variants, then each bundle cut into one PDF per variant, median of {args.runs} runs.",
        "",
        "| bundle | variants | pikepdf (s) | pypdf (s) |",
        "|---|---:|---:|---:|",
        *rows,
    ])
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    args.out.write_text(replace_section(old, body, START, END), encoding="utf-8")
    print(body)


def page_ranges_of(folder: Path, name: str) -> dict[int, tuple[int, int]]:
    """The page ranges again from the published per-variant PDFs (the .pages file is a build aid
    the publisher drops): variant k's pages follow variant k-1's, each variant starting on a recto."""
    import pikepdf
    own = "exam" if name == "all-exams" else "solutions"
    ranges, page = {}, 1
    for number, pdf in enumerate(sorted(folder.glob(f"variant-*/{own}.pdf")), start=1):
        with pikepdf.open(pdf) as doc:
            count = len(doc.pages)
        ranges[number] = (page, page + count - 1)
        page += count + count % 2
    return ranges


if __name__ == "__main__":
    main()
