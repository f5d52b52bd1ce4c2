"""Python work per variant: pick, sample, solve and render the demo spec in-process, no pdflatex.

    .venv/bin/python benchmarks/pywork.py 40 [SPEC]    # prints one JSON line (SPEC: the demo by default)

Start-up (imports of torch and sympy, loading the bank, the first variant's solver warm-up) is
done before the clock starts; what is timed is `sample_variants` for N variants and the rendering
of every .tex source the build would write for them.
"""
from __future__ import annotations

import inspect
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "bank" / "exams" / "demo.yaml"
SEED = 7


def render_sources(build, spec, variants, folder: Path) -> bool:
    """Render the variants' .tex with the build's own function, whatever its current signature;
    False when it cannot be called this way (the figure then covers sampling only)."""
    write = getattr(build, "write_sources", None)
    if write is None:
        return False
    known = {"spec": spec, "seed": SEED, "variants": variants, "stage": folder, "folder": folder,
             "bundled": len(variants) > 1}
    if hasattr(build, "page_for"):  # the one-run layout renders pages (a variant's printable form)
        known["pages"] = [build.page_for(spec, v) for v in variants]
    params = inspect.signature(write).parameters
    if not all(name in known for name, p in params.items() if p.default is inspect.Parameter.empty):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    write(**{name: known[name] for name in params if name in known})
    return True


def measure(count: int, spec_path: Path = DEMO) -> dict[str, float | bool | str]:
    from examgen import build
    from examgen.bank import load_bank
    from examgen.solve import make_context
    from examgen.spec import load_spec

    spec, bank, ctx = load_spec(spec_path), load_bank(), make_context("cpu")
    with tempfile.TemporaryDirectory(prefix="examgen-pywork-") as tmp:
        warm = build.sample_variants(spec, bank, SEED, 1, ctx, build.Quiet())
        render_sources(build, spec, warm, Path(tmp) / "warm")
        start = time.perf_counter()
        variants = build.sample_variants(spec, bank, SEED, count, ctx, build.Quiet())
        sampled = time.perf_counter()
        rendered = render_sources(build, spec, variants, Path(tmp) / "run")
        end = time.perf_counter()
    return {"spec": spec.id, "questions": sum(len(section) for section in variants[0].instances), "variants": count, "sample_ms": 1000 * (sampled - start) / count,
            "render_ms": 1000 * (end - sampled) / count, "total_ms": 1000 * (end - start) / count,
            "rendered": rendered}


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 40,
                             Path(sys.argv[2]) if len(sys.argv) > 2 else DEMO)))
