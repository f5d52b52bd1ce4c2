"""What `examgen grade` writes: grades.csv (one row per student and part), students.csv (totals and
marks per part), items.csv (facility, discrimination, verdicts and mistakes per part),
report.html (a self-contained page: plots as PNG data URIs, nothing fetched), report.pdf (the same
plots, then the tables as text pages) and feedback/<student>.pdf (feedback.py)."""
from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path
from typing import Any

from ..safety.csvcells import inert
from .analysis import ALPHA, VERDICTS, Analysis


def _num(x: float | None, places: int = 3) -> str:
    if x is None:
        return ""
    return f"{x:.{places}f}".rstrip("0").rstrip(".") if places else f"{x:g}"


def write_outputs(folder: Path, graded: list[Any], analysis: Analysis, exam: str) -> list[Path]:
    """The CSVs, report.html and report.pdf (the same plots and tables) and feedback/<student>.pdf."""
    from .feedback import write_feedback

    figures = _figures(analysis)
    try:
        plots = {name: _png(fig) for name, fig in figures.items()}
        files = [_grades(folder / "grades.csv", graded), _students(folder / "students.csv", analysis),
                 _items(folder / "items.csv", analysis), _report(folder / "report.html", analysis, exam, plots),
                 _pdf(folder / "report.pdf", analysis, exam, figures)]
    finally:
        import matplotlib.pyplot as plt

        for fig in figures.values():
            plt.close(fig)
    return files + write_feedback(folder / "feedback", graded, exam)


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([inert(str(c)) for c in row] for row in rows)
    return path


def _grades(path: Path, graded: list[Any]) -> Path:
    rows = [[g.code, g.student, g.key.label, "" if g.verdict.marks is None else f"{g.verdict.marks:g}",
             f"{g.key.marks:g}", g.verdict.text, g.verdict.detail, g.response] for g in graded]
    return _write(path, ["code", "student", "label", "marks", "max", "verdict", "detail", "response"], rows)


def _students(path: Path, analysis: Analysis) -> Path:
    labels = [i.label for i in analysis.items]
    rows = [[s.student, s.code, f"{s.total:g}", f"{s.max:g}", _num(100 * s.total / s.max if s.max else 0, 1)]
            + [f"{s.by_label[lab]:g}" if lab in s.by_label else "" for lab in labels] for s in analysis.students]
    return _write(path, ["student", "code", "total", "max", "percent", *labels], rows)


def _items(path: Path, analysis: Analysis) -> Path:
    rows = [[i.label, " ".join(i.families), f"{i.max:g}", i.n, _num(i.facility, 4), _num(i.discrimination, 4)]
            + [_num(i.shares[v], 4) for v in VERDICTS] + ["; ".join(f"{name} ({n})" for name, n in i.mistakes)]
            for i in analysis.items]
    return _write(path, ["label", "family", "max", "responses", "facility", "discrimination",
                         *(f"share_{v.replace('-', '_')}" for v in VERDICTS), "mistakes"], rows)


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figures(analysis: Analysis) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = {}
    fig, ax = plt.subplots(figsize=(6, 3))
    totals = [s.total for s in analysis.students]
    ax.hist(totals, bins=min(20, max(5, len(set(totals)))), color="#4878a8", edgecolor="white")
    ax.set_xlabel("total marks")
    ax.set_ylabel("students")
    ax.set_title("Score distribution")
    plots["distribution"] = fig

    fig, ax = plt.subplots(figsize=(max(4, 0.6 * len(analysis.items) + 2), 3))
    x = range(len(analysis.items))
    ax.bar([i - 0.2 for i in x], [i.facility for i in analysis.items], 0.4, label="facility", color="#4878a8")
    ax.bar([i + 0.2 for i in x], [i.discrimination or 0 for i in analysis.items], 0.4, label="discrimination",
           color="#e0903a")
    ax.set_xticks(list(x), [i.label for i in analysis.items])
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylim(min(-0.2, min([i.discrimination or 0 for i in analysis.items], default=0)), 1)
    ax.legend(fontsize=8)
    ax.set_title("Facility and discrimination per part")
    plots["items"] = fig

    if analysis.mistakes:
        top = analysis.mistakes[:12][::-1]
        fig, ax = plt.subplots(figsize=(6, 0.35 * len(top) + 1))
        ax.barh([name for name, _, _ in top], [n for _, _, n in top], color="#b85450")
        ax.set_xlabel("responses")
        ax.set_title("Mistakes by frequency")
        plots["mistakes"] = fig

    tested = [t for t in analysis.variants if t.p is not None]
    if tested:
        fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(tested) + 2), 3))
        ax.bar(range(len(tested)), [min(12.0, -_log10(t.p)) for t in tested],
               color=["#b85450" if t.flagged else "#4878a8" for t in tested])
        ax.axhline(2, color="black", linestyle="--", linewidth=0.8)
        ax.set_xticks(range(len(tested)), [f"{t.family} {t.part}" for t in tested], rotation=60, ha="right",
                      fontsize=7)
        ax.set_ylabel("-log10 p")
        ax.set_title(f"Per-variant difficulty (ANOVA; line: p = {ALPHA})")
        plots["variants"] = fig
    return plots


def _log10(p: float) -> float:
    import math

    return math.log10(p) if p > 0 else -300.0


def _table(header: list[str], rows: list[list[Any]], flags: list[bool] | None = None) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    flag = ' class="flag"'
    body = "".join(f"<tr{flag if flags and flags[n] else ''}>"
                   + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for n, row in enumerate(rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _tables(analysis: Analysis) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The report's tables by title: header and rows."""
    tests = analysis.variants
    return {
        "Parts": (["part", "family", "max", "responses", "facility", "discrimination", *VERDICTS, "mistakes"],
                  [[i.label, " ".join(i.families), f"{i.max:g}", i.n, _num(i.facility, 2), _num(i.discrimination, 2)]
                   + [f"{100 * i.shares[v]:.0f}%" for v in VERDICTS]
                   + ["; ".join(f"{m} ({c})" for m, c in i.mistakes)] for i in analysis.items]),
        "Mistakes by frequency": (["mistake", "responses", "why"], [[m, c, w] for m, w, c in analysis.mistakes]),
        "Per-variant difficulty": (
            ["family", "part", "labels", "variants", "mean score by variant", "F", "p", "flag"],
            [[t.family, t.part, " ".join(t.labels), len(t.groups),
              ", ".join(f"{c}: {sum(s) / len(s):.2f} (n={len(s)})" for c, s in t.groups.items()),
              _num(t.f, 2), "" if t.p is None else f"{t.p:.3g}", "differs" if t.flagged else ""] for t in tests]),
    }


def _summary(analysis: Analysis) -> str:
    totals = sorted(s.total for s in analysis.students)
    n = len(totals)
    mean = sum(totals) / n if n else 0
    median = (totals[n // 2] if n % 2 else (totals[n // 2 - 1] + totals[n // 2]) / 2) if n else 0
    top = max((s.max for s in analysis.students), default=0)
    return f"{n} student(s); mean {mean:.2f} of {top:g}; median {median:g}."


def _pdf(path: Path, analysis: Analysis, exam: str, figures: dict[str, Any]) -> Path:
    """report.pdf: the summary, the plots one per page, then each table as monospaced text pages."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        lines = [f"Grades: {exam}", "", _summary(analysis)]
        if analysis.pending:
            lines.append(f"{analysis.pending} response(s) wait for a grader's marks (counted as 0).")
        for fig in figures.values():
            pdf.savefig(fig, bbox_inches="tight")
        for title, (header, rows) in _tables(analysis).items():
            lines += ["", title, ""] + _text_table(header, rows)
        for page in range(0, len(lines), 70):
            fig = plt.figure(figsize=(8.27, 11.69))
            fig.text(0.05, 0.97, "\n".join(lines[page:page + 70]), family="monospace", fontsize=6.5, va="top")
            pdf.savefig(fig)
            plt.close(fig)
        pdf.infodict()["Title"] = f"Grades: {exam}"
    return path


def _text_table(header: list[str], rows: list[list[Any]], width: int = 40) -> list[str]:
    """A table as fixed-width lines; a cell longer than `width` is cut with `...`."""
    cells = [[str(c) if len(str(c)) <= width else str(c)[:width - 3] + "..." for c in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return [lines[0], "-" * len(max(lines, key=len)), *lines[1:]]


def _report(path: Path, analysis: Analysis, exam: str, plots: dict[str, str]) -> Path:
    e = html.escape
    img = lambda name, alt: f'<img src="{plots[name]}" alt="{e(alt)}">' if name in plots else ""  # noqa: E731
    tables = _tables(analysis)
    items = _table(*tables["Parts"])
    mistakes = _table(*tables["Mistakes by frequency"]) if analysis.mistakes \
        else "<p>No response matched a named mistake.</p>"
    tests = analysis.variants
    variants = _table(*tables["Per-variant difficulty"], [t.flagged for t in tests]) \
        if tests else "<p>No family was asked in more than one variant.</p>"
    flagged = sum(t.flagged for t in tests)
    pending = f"<p>{analysis.pending} response(s) wait for a grader's marks (counted as 0).</p>" \
        if analysis.pending else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grades: {e(exam)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; }}
th {{ background: #eee; }}
tr.flag td {{ background: #fbe3e1; }}
img {{ max-width: 100%; display: block; margin: 1em 0; }}
</style></head><body>
<h1>Grades: {e(exam)}</h1>
<p>{_summary(analysis)}</p>
{pending}
<h2>Score distribution</h2>
{img("distribution", "Histogram of total marks")}
<h2>Parts</h2>
<p>Facility: mean marks / max. Discrimination: point-biserial correlation of the part's score with the rest of the test.</p>
{img("items", "Facility and discrimination per part")}
{items}
<h2>Mistakes by frequency</h2>
{img("mistakes", "Named mistakes by how many responses made them")}
{mistakes}
<h2>Per-variant difficulty</h2>
<p>One-way ANOVA of each family's part scores across the variants that asked it; flagged when p &lt; {ALPHA}
({flagged} flagged).</p>
{img("variants", "-log10 p of each family's ANOVA across variants")}
{variants}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path
