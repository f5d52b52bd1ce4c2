"""Across the five seed papers' specs: fresh option orders and numbers per seed, and every question
cites its paper (each paper's own test file checks its marks)."""
from __future__ import annotations

import pytest

from examgen.bank import load_bank
from examgen.build import Quiet, sample_variants
from examgen.inputs.paths import ROOT
from examgen.solve import make_context
from examgen.spec import load_spec

PAPERS = ("glasgow-compsci5103-2023", "imperial-comp70010-2023", "fast-cs4045", "oslo-in5400-2022",
          "oslo-inf5860-2019")


def variant(paper: str, seed: int):
    spec = load_spec(ROOT / "bank" / "exams" / f"{paper}.yaml")
    return spec, sample_variants(spec, load_bank(), seed, 1, make_context(), Quiet())[0]


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_two_seeds_differ_in_numbers_and_option_orders(paper: str) -> None:
    _, one = variant(paper, 1)
    _, two = variant(paper, 2)
    flat = lambda v: [i for section in v.instances for i in section]  # noqa: E731
    assert [i.params for i in flat(one)] != [i.params for i in flat(two)]
    orders = lambda v: [[o.text for o in opts] for i in flat(v) for opts in i.choices.values()]  # noqa: E731
    if orders(one):
        assert orders(one) != orders(two)


def test_every_paper_question_cites_its_paper() -> None:
    for paper in PAPERS:
        spec, v = variant(paper, 3)
        cited = [i.template for section in v.instances for i in section]
        own = [t for t in cited if paper in {t.source.paper, *(s.paper for s in t.sources)}]
        assert len(own) == len(cited), [t.id for t in cited if t not in own]


def test_cover_and_header_print_only_what_the_spec_gives() -> None:
    """Issue 25: no "examgen University", no placeholder session, no source paper's date on a new paper."""
    from examgen.inputs.paths import ROOT as _ROOT
    from examgen.spec import load_spec as _load
    from examgen.tex.document import cover_lines

    for path in sorted((_ROOT / "bank" / "exams").glob("*.yaml")):
        spec = _load(path)
        assert not spec.date, path.name          # a spec builds new papers: the source paper's date is not theirs
        assert "examgen" not in spec.institution.lower() and "DL101" not in spec.course, path.name
    default = _load(_ROOT / "bank" / "exams" / "default.yaml")
    assert default.institution == default.session == "" and [k for k, _ in cover_lines(default, [], [], "Question")][:1] == ["Duration"]
    fast = _load(_ROOT / "bank" / "exams" / "fast-cs4045.yaml")
    assert ("Session", "Final examination") in cover_lines(fast, [], [], "Question")
