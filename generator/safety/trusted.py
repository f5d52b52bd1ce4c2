"""An instructor's own solvers: the `solvers.py` beside their bank's templates, run only when the
command line says `--trust-bank-code` (it is Python code, with all the rights of the user)."""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

from ..errors import BankError


def load_solvers_file(code: Path) -> None:
    """Import `code` once; its `@solver`/`@rule`/`@drawer` registrations join the built-in ones
    (which the caller has loaded first)."""
    name = "examgen_bank_" + hashlib.sha1(str(code.resolve()).encode()).hexdigest()[:12]
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, code)
    if spec is None or spec.loader is None:
        raise BankError(f"{code}: cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the instructor's code: any failure is theirs to fix, in one line
        del sys.modules[name]
        raise BankError(f"{code}: failed to load: {type(err).__name__}: {err}") from None
