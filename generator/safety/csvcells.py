"""Spreadsheet cells that stay text: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return (a roster name such as `=HYPERLINK(...)`, a bank answer, a student's response) gets a leading
`'`, so a spreadsheet shows it instead of running it as a formula (OWASP's CSV injection advice);
a plain number such as `-3` or `-0.25` stays a number. Every CSV examgen writes goes through here."""
from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def inert(cell: str) -> str:
    """The cell as a spreadsheet must read it: as text, unless it is a plain number."""
    return "'" + cell if cell.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(cell) else cell
