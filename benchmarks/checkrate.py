"""`examgen check` throughput per template (sampling, solving, checkers, rendering; no LaTeX), and
the whole `examgen check` command. Writes BENCHMARKS.md's check section, between its markers.

    .venv/bin/python benchmarks/checkrate.py [--samples 200]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Command, timed  # noqa: E402
from report import replace_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:check:start -->", "<!-- bench:check:end -->"


def throughput(samples: int) -> list[dict[str, object]]:
    """Per template: seconds for `samples` seeds, after a warm-up that pays for the imports."""
    from examgen.quality.check import check_bank

    check_bank(samples=1, compile_pdf=False)
    report = check_bank(samples=samples, compile_pdf=False)
    return [{"id": t.id, "samples": t.samples, "seconds": t.seconds,
             "rate": t.samples / t.seconds if t.seconds else float("inf"), "ok": t.ok} for t in report.templates]


def markdown(samples: int, rates: list[dict], wall_s: float, peak_mib: float, failed: int) -> str:
    lines = [f"## `examgen check` throughput ({samples} seeds per template, no LaTeX)", "",
             f"`.venv/bin/python benchmarks/checkrate.py --samples {samples}` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
             "| template | samples | seconds | samples/s | passed |", "|---|---:|---:|---:|---|"]
    lines += [f"| {r['id']} | {r['samples']} | {r['seconds']:.2f} | {r['rate']:.0f} | {'yes' if r['ok'] else 'NO'} |"
              for r in rates]
    total = sum(r["seconds"] for r in rates)
    lines += ["", f"All {len(rates)} templates: {total:.1f} s in process. The whole command "
              f"`examgen check --samples {samples}` (start-up and the batched pdflatex run included) took "
              f"**{wall_s:.1f} s** wall, peak RSS {peak_mib:.0f} MiB{', FAILED' if failed else ''}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    rates = throughput(args.samples)
    whole = timed([Command([sys.executable, "-m", "examgen", "check", "--samples", str(args.samples)], str(ROOT))])
    body = markdown(args.samples, rates, whole.wall_s, whole.peak_mib, whole.failed)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    args.out.write_text(replace_section(old, body, START, END), encoding="utf-8")
    print(body)


if __name__ == "__main__":
    main()
