"""The one YAML loader for untrusted files (bank templates, exam specs, `--set` values).

libyaml's C parser when PyYAML has it (fast start-up), with safe_load's semantics (plain data, no
python tags) and limits a hostile file cannot get past: no anchors or aliases (so no alias bomb),
no duplicate keys, a size cap, a nesting cap, and UTF-8 only. Each problem is one line with the
file and line number.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import BankError

MAX_BYTES = 1_000_000   # the biggest bank file is ~20 kB
MAX_DEPTH = 64          # the deepest real nesting is a matrix inside a preset (~6)
# The libyaml in PyYAML 6.0.4's wheels stops at 1000 levels in its scanner, before any event
# reaches _check_events' count: its message, reported as this loader's own limit
LIBYAML_DEPTH = "exceeded maximum nesting depth"

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimit(yaml.YAMLError):
    """A limit of this loader (alias, depth, duplicate key), with the line it was found on."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


class SafeLoader(_Base):  # type: ignore[misc, valid-type]
    """safe_load's constructors; mappings refuse a key they already hold."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line
            try:
                first = seen.get(key)
            except TypeError:
                raise YamlLimit(line, "a mapping key must be plain text or a number") from None
            if first is not None:
                raise YamlLimit(line, f"duplicate key {key!r} (first on line {first + 1})")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _check_events(text: str) -> None:
    """Walk the event stream (no tree is built yet): refuse anchors, aliases and deep nesting."""
    loader = SafeLoader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line if event.start_mark else 0
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YamlLimit(line, "anchors and aliases (&name, *name) are not allowed")
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlLimit(line, f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


def parse_yaml(text: str) -> Any:
    """Parse YAML text under this loader's limits; raises yaml.YAMLError (YamlLimit for a limit)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # undecodable bytes from the command line arrive as surrogates
        raise YamlLimit(text.count("\n", 0, err.start), "not valid UTF-8") from None
    _check_events(text)
    loader = SafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def decode(data: bytes, where: str) -> str:
    """UTF-8 text, or one line naming the first bad byte and its line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise BankError(f"{where}: line {line}: not valid UTF-8 (byte 0x{data[err.start]:02x})") from None


def read_yaml(path: Path) -> Any:
    """Read and parse one untrusted YAML file; every failure is one BankError naming the file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as err:
        raise BankError(f"{path}: cannot read ({err.strerror})") from None
    if len(data) > MAX_BYTES:
        raise BankError(f"{path}: larger than {MAX_BYTES // 1000} kB; a bank file or spec is far smaller")
    return yaml_text(decode(data, str(path)), str(path))


def yaml_text(text: str, where: str) -> Any:
    """Parse untrusted YAML text; a syntax error or a limit names `where` and the line."""
    try:
        return parse_yaml(text)
    except YamlLimit as err:
        raise BankError(f"{where}: line {err.line + 1}: {err.problem}") from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        raise BankError(f"{where}: line {line} not valid YAML (character {chr(err.character) if isinstance(err.character, int) else err.character!r} is not allowed)") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        why = " ".join(str(getattr(err, "problem", None) or err).split())
        if why == LIBYAML_DEPTH:  # deeper than libyaml's own cap, so deeper than ours too
            raise BankError(f"{where}:{line}: nested more than {MAX_DEPTH} levels deep") from None
        raise BankError(f"{where}:{line} not valid YAML ({why})") from None
    except RecursionError:
        raise BankError(f"{where}: nested too deeply") from None
