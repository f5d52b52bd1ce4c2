"""Where the bank and the LaTeX templates live (overridable for tests and colleagues' banks)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bank_dir() -> Path:
    return Path(os.environ.get("EXAMGEN_BANK", ROOT / "bank"))


def templates_dir() -> Path:
    return Path(os.environ.get("EXAMGEN_TEMPLATES", ROOT / "templates"))


def default_spec() -> Path:
    return bank_dir() / "exams" / "default.yaml"
