"""Split the one-run PDF of all variants into each variant's own PDF, by the page ranges the TeX
run wrote (`\\jobname.pages`: variant, first page, last page). pikepdf (qpdf) copies the pages:
nothing is typeset again, and it is about six times faster than pypdf at this (BENCHMARKS.md, split.py)."""
from __future__ import annotations

from pathlib import Path

from ..errors import LatexError


def page_ranges(pages: Path) -> dict[int, tuple[int, int]]:
    """Variant number → (first, last) page of the PDF, 1-based, as the TeX run recorded them."""
    ranges = {}
    for line in pages.read_text(encoding="ascii").splitlines():
        number, first, last = (int(x) for x in line.split())
        ranges[number] = (first, last)
    return ranges


def split_pdf(pdf: Path, targets: dict[int, Path]) -> list[Path]:
    """Write each variant's pages of `pdf` to its target path; fail if a variant has no pages."""
    import pikepdf  # only bundled builds split (about 75 ms to load)

    ranges = page_ranges(pdf.with_suffix(".pages"))
    written = []
    with pikepdf.open(pdf) as bundle:
        pages = list(bundle.pages)   # once: each slice of bundle.pages walks the whole page tree
        for number, target in targets.items():
            if number not in ranges:
                raise LatexError(f"{pdf.name}: the TeX run recorded no pages for variant {number}")
            first, last = ranges[number]
            with pikepdf.new() as own:
                own.pages.extend(pages[first - 1:last])
                own.docinfo["/Producer"] = own.docinfo["/Creator"] = pikepdf.String("examgen")
                _make_folders(target, pdf.parent)
                with target.open("xb") as out:   # straight into the staging folder: a path would
                    own.save(out, deterministic_id=True)  # go through a temporary file and a rename
            written.append(target)
    return written


def _make_folders(target: Path, root: Path) -> None:
    """The folders from `root` down to `target`'s, one level at a time: `root` itself is never made
    again, so a split still running while an interrupted build removes its staging folder fails
    instead of bringing the folder back."""
    for folder in reversed(target.relative_to(root).parents[:-1]):
        (root / folder).mkdir(exist_ok=True)
