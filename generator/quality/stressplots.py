"""`examgen check --report DIR`: stress-test plots in the spirit of R/exams' `stresstest_exercise`.

Writes DIR/index.md linking every PNG: three bank-wide bar charts (sampling time per sample,
rejection rate, distinct instances) and, per template, one figure with its categorical answer
distributions (the correct option's position included) and histograms of its numeric answers.
matplotlib is imported here only, with the Agg backend (no display needed).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .balance import floor_share
from .check import CheckReport, TemplateReport
from ..errors import OutputError

MAX_PANELS = 8     # panels per template figure (the rest are in the JSON report)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_report(report: CheckReport, folder: Path) -> Path:
    """Write the plots and index.md into `folder`; return the index page."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"--report {folder}: cannot create the folder ({err.strerror})") from None
    plt = _pyplot()
    overview = [_bars(plt, report, folder, *spec) for spec in OVERVIEW]
    lines = [f"# examgen check: {len(report.templates)} templates x {report.samples} seeds", "",
             "## Bank overview", ""] + [f"![{title}]({name})" for name, title in overview] + ["", "## Templates", ""]
    for t in report.templates:
        lines += _template_section(plt, t, folder)
    index = folder / "index.md"
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index


OVERVIEW = (
    ("sampling-time.png", "Sampling time per sample (ms, mean and worst)",
     lambda t: 1000 * sum(t.sample_seconds) / max(1, len(t.sample_seconds)),
     lambda t: 1000 * max(t.sample_seconds, default=0.0)),
    ("rejection-rate.png", "Rejection rate (share of draws the rules or solver rejected)",
     lambda t: t.rejection_rate, None),
    ("distinct-instances.png", "Distinct instances among the samples", lambda t: t.distinct, None),
)


def _bars(plt: Any, report: CheckReport, folder: Path, name: str, title: str, value: Any, worst: Any) -> tuple[str, str]:
    ids = [t.id for t in report.templates]
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.22 * len(ids) + 1)))
    ax.barh(ids, [value(t) for t in report.templates], color="#4477aa", label="mean" if worst else None)
    if worst:
        ax.scatter([worst(t) for t in report.templates], ids, color="#cc3311", s=12, zorder=3, label="worst")
        ax.set_xscale("log")
        ax.legend(loc="lower right")
    ax.invert_yaxis()
    ax.set_title(title)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(folder / name, dpi=90)
    plt.close(fig)
    return name, title


def _template_section(plt: Any, t: TemplateReport, folder: Path) -> list[str]:
    status = "ok" if t.ok else f"FAIL ({t.problem_count})"
    mean_ms = 1000 * sum(t.sample_seconds) / max(1, len(t.sample_seconds))
    lines = [f"### {t.id} ({status})", "",
             f"{t.instances}/{t.samples} sampled, {t.distinct} distinct, rejection rate {t.rejection_rate:.0%}, "
             f"{mean_ms:.1f} ms per sample", ""]
    lines += [f"- FAIL seed {f.seed}: {f.problem}" for f in t.failures]
    for name, (lo, hi) in t.ranges.items():
        lines.append(f"- `{name}` ranges over [{lo:g}, {hi:g}]")
    panels = [("bar", k, v) for k, v in t.balance.items() if not k.startswith("pattern")]
    panels += [("hist", k, v) for k, v in t.values.items()]
    if panels:
        name = f"{_slug(t.id)}.png"
        _panels(plt, t.id, panels[:MAX_PANELS], folder / name)
        lines += ["", f"![{t.id}]({name})"]
    return lines + [""]


def _panels(plt: Any, title: str, panels: list[tuple[str, str, Any]], path: Path) -> None:
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    for ax, (kind, name, data) in zip(axes.flat, panels):
        if kind == "bar":
            total = sum(data.values()) or 1
            labels = [str(k)[:14] for k in data]
            ax.bar(labels, [c / total for c in data.values()], color="#228833")
            ax.axhline(floor_share(len(data)), color="#cc3311", linestyle="--", linewidth=1)  # check's own floor
            ax.set_ylabel("share of draws")
            ax.tick_params(axis="x", labelsize=7, rotation=30)
        else:
            ax.hist(data, bins=20, color="#4477aa")
            ax.set_ylabel("count")
        ax.set_title(name[:40], fontsize=9)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "template"
