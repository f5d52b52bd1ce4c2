"""Where the bank and the LaTeX templates live (overridable for tests and colleagues' banks).

They ship inside the package (`examgen/data/bank`, `examgen/data/templates` in the wheel, mapped
from the repository's top-level `bank/` and `templates/` by pyproject.toml), found through
importlib.resources; in a source checkout (an editable install) they are those top-level folders."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the source checkout, for tests and benchmarks


def data_dir(name: str) -> Path:
    """`bank` or `templates`: the installed package's copy, else the checkout's folder."""
    packaged = resources.files("examgen").joinpath("data", name)
    if packaged.is_dir():
        return Path(str(packaged))
    return ROOT / name


def bank_dir() -> Path:
    return Path(os.environ.get("EXAMGEN_BANK") or data_dir("bank"))


def templates_dir() -> Path:
    return Path(os.environ.get("EXAMGEN_TEMPLATES") or data_dir("templates"))


def default_spec() -> Path:
    return bank_dir() / "exams" / "default.yaml"
