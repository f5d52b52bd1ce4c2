"""Build every spec in bank/exams at many variants and run the layout gate on each build: the rare
draw that runs into the margin or orphans a heading shows up here, not in the three variants of
`test_every_spec_passes_the_layout_gate`.

    .venv/bin/python scripts/layout_sweep.py --seeds 12,13,14 --variants 60

Prints one line per build (spec, seed, number of problems) and each problem; exits 1 if any.
A few minutes per seed on two cores.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from examgen.bank import load_bank
from examgen.build import BuildOptions, build
from examgen.quality.layout import check_folder, unnatural_ids
from examgen.inputs.paths import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="12,13,14", help="comma-separated seeds (default 12,13,14)")
    parser.add_argument("--variants", type=int, default=60, help="variants per build (default 60)")
    parser.add_argument("specs", nargs="*", type=Path, help="specs (default: every one in bank/exams)")
    args = parser.parse_args(argv)
    bank = load_bank()
    ids = unnatural_ids([*bank, *(p for t in bank.values() for p in t.presets)])
    found = 0
    for seed in (int(s) for s in args.seeds.split(",")):
        for spec in args.specs or sorted((ROOT / "bank" / "exams").glob("*.yaml")):
            with tempfile.TemporaryDirectory() as out:
                result = build(BuildOptions(spec=spec, seed=seed, variants=args.variants, out=Path(out)))
                problems = check_folder(result.folder, ids, result.logs)
            print(f"{spec.stem} seed {seed}: {len(problems)} problem(s)", flush=True)
            for problem in problems:
                print(f"  {problem}")
            found += len(problems)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
