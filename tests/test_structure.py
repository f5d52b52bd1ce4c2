"""The package's shape (issue 21): one question family's code in one module, wings a newcomer can
see, and imports that only point down."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from examgen.bank import load_bank
from examgen.solvers import DRAWERS, RULES, SOLVERS, load_all
from examgen.solvers.checkers import REGISTERED
from examgen.solvers.mistakes import MISTAKES

GENERATOR = Path(__file__).resolve().parents[1] / "generator"
CONSUMERS = ("cli", "commands", "quality", "export")      # the wings above build()
SHARED = {"examgen.solvers.checkers", "examgen.solvers.mistakes"}


def _families() -> list:
    load_all()
    return [t for t in load_bank().values() if t.solver]


@pytest.mark.parametrize("template", _families(), ids=lambda t: t.id)
def test_family_code_stands_in_its_solvers_module(template) -> None:
    """The module that defines a template's solver defines its rules, its checkers and every
    mistake the template uses."""
    home = SOLVERS[template.solver].__module__
    elsewhere = [f"rule {r} in {RULES[r].__module__}" for r in template.rules if RULES[r].__module__ != home]
    elsewhere += [f"checker {fn.__name__} in {fn.__module__}" for fn in REGISTERED.get(template.solver, [])
                  if fn.__module__ != home]
    elsewhere += [f"mistake {n} in {MISTAKES[n].fn.__module__}" for spec in template.mistakes.values()
                  for n in spec["use"] if MISTAKES[n].fn.__module__ != home]
    assert not elsewhere, f"{template.id} (solver in {home}): " + "; ".join(elsewhere)


def test_solver_modules_sit_under_their_bank_topic() -> None:
    """A family module lives in the package named after a bank topic folder of a template it serves."""
    wrong = []
    for template in _families():
        module = SOLVERS[template.solver].__module__
        topic = template.path.parent.name
        package = module.split(".")[-2]
        served = {t.path.parent.name for t in _families() if t.solver and SOLVERS[t.solver].__module__ == module}
        if package not in served:
            wrong.append(f"{module} serves {sorted(served)}")
        assert topic in served
    assert not wrong, wrong


def test_every_check_and_mistake_serves_a_family() -> None:
    """No checker or mistake is left behind for a solver or template that no longer exists."""
    used = {n for t in _families() for spec in t.mistakes.values() for n in spec["use"]}
    assert set(MISTAKES) <= used, sorted(set(MISTAKES) - used)
    ours = {name for name, fns in REGISTERED.items() if any(f.__module__.startswith("examgen.") for f in fns)}
    assert ours <= set(SOLVERS), sorted(ours - set(SOLVERS))
    assert DRAWERS


def _modules() -> dict[str, Path]:
    out = {}
    for path in GENERATOR.rglob("*.py"):
        parts = list(path.relative_to(GENERATOR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["examgen", *parts])] = path
    return out


def test_module_names_say_what_they_hold() -> None:
    modules = _modules()
    vague = [m for m in modules if re.search(r"(_more|_gi|_misc|\d)$", m.rsplit(".", 1)[-1])]
    assert not vague, vague
    top = sorted(p.name for p in GENERATOR.glob("*.py"))
    assert len(top) <= 15, top


def _imports(name: str, path: Path) -> set[str]:
    """Modules of the package that `name` imports, at the top or inside a function."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    known, found = _modules(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            found |= {m for m in (base, *(f"{base}.{a.name}" for a in node.names)) if m in known and m != name}
    return found


def _wing(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_imports_point_down() -> None:
    """The pipeline (its stages and their helper packages) never imports build() or the wings that
    sit above it (the CLI, commands, the quality gate, exports); build() never imports those wings;
    and no module imports itself back through another."""
    graph = {name: _imports(name, path) for name, path in _modules().items()}
    upward = []
    for name, targets in graph.items():
        wing = _wing(name)
        if wing in CONSUMERS or name in ("examgen", "examgen.__main__"):
            continue
        for target in targets:
            if _wing(target) in CONSUMERS or (target == "examgen.build" and wing != "build"):
                upward.append(f"{name} -> {target}")
    assert not upward, upward
    assert not _cycles(graph), _cycles(graph)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out
