"""Parse untrusted YAML safely and fast: libyaml when present, bounded aliases, scalars that never raise.

A KB file comes from moderators and contributors, so a hostile file must end in one clear error, never in
a traceback, a runaway expansion or a huge message.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_ALIASES = 100
# Aliases may add this many values to a file, whatever its size: a KB file has little reason for any.
MAX_ALIAS_EXPANSION = 100_000

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _KbLoader(_Base):
    """SafeLoader (libyaml's parser when available) whose scalars become text when they are not valid values."""


def _lenient(construct: Any) -> Any:
    """A constructor that keeps the scalar as text when it only looks like a date or a number."""

    def constructor(loader: Any, node: Any) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError):
            return loader.construct_scalar(node)

    return constructor


# `published: 2025-13-45` must be reported against its field, not crash the parser (datetime raises).
_KbLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient(SafeConstructor.construct_yaml_timestamp))
# Integers longer than Python's digit limit raise ValueError.
_KbLoader.add_constructor("tag:yaml.org,2002:int", _lenient(SafeConstructor.construct_yaml_int))

_SHOW = reprlib.Repr()
_SHOW.maxlevel = 2
_SHOW.maxlist = _SHOW.maxdict = _SHOW.maxset = _SHOW.maxtuple = 4
_SHOW.maxstring = 60
_SHOW.maxother = _SHOW.maxlong = 40


def show(value: Any) -> str:
    """A repr for error messages whose length does not depend on the value's size."""
    text = _SHOW.repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def check_aliases(root: Node) -> str | None:
    """Why the node graph is refused (recursive aliases, too many, too large once expanded), else None.

    Aliased nodes are shared objects, so sizes are memoised per node: the walk is linear in the file,
    however large the expansion would be.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    aliases = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            continue
        if key in size:
            aliases += 1
            if aliases > MAX_ALIASES:
                return f"more than {MAX_ALIASES} YAML aliases; refusing (possible alias bomb)"
            continue
        if key in on_path:
            return "a YAML alias refers to a value that contains it; refusing (recursive alias)"
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    if size[id(root)] - len(size) > MAX_ALIAS_EXPANSION:
        return f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} extra values; refusing (possible alias bomb)"
    return None


_TAG = "tag:yaml.org,2002:"
_SCALARS: dict[str, Any] = {
    _TAG + "null": lambda loader, node: None,
    _TAG + "bool": SafeConstructor.construct_yaml_bool,
    _TAG + "int": _lenient(SafeConstructor.construct_yaml_int),
    _TAG + "float": SafeConstructor.construct_yaml_float,
    _TAG + "timestamp": _lenient(SafeConstructor.construct_yaml_timestamp),
}


class _Unusual(Exception):
    """The document uses a YAML feature the fast path leaves to PyYAML's constructor (merge keys, sets...)."""


def _construct_fast(loader: Any, root: Node) -> Any:
    """Plain data from the node graph, a shared object per aliased node, as SafeConstructor builds it.

    PyYAML's generic constructor costs more than libyaml's parsing on a large KB; the KB only needs
    mappings, sequences, strings, numbers, booleans, nulls and dates.
    """
    built: dict[int, Any] = {}

    def build(node: Node) -> Any:
        key = id(node)
        if key in built:
            return built[key]
        if isinstance(node, ScalarNode):
            if node.tag == _TAG + "str":
                return node.value
            construct = _SCALARS.get(node.tag)
            if construct is None:
                raise _Unusual(node.tag)
            value = construct(loader, node)
        elif isinstance(node, SequenceNode) and node.tag == _TAG + "seq":
            value = built[key] = []
            value.extend(build(child) for child in node.value)
        elif isinstance(node, MappingNode) and node.tag == _TAG + "map":
            value = built[key] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _TAG + "merge":
                    raise _Unusual(key_node.tag)
                item = build(key_node)
                if isinstance(item, list | dict):
                    raise _Unusual("unhashable key")
                value[item] = build(value_node)
        else:
            raise _Unusual(node.tag)
        built[key] = value
        return value

    try:
        return build(root)
    except _Unusual:
        return loader.construct_document(root)


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A key repeated in one mapping: YAML keeps the last value and drops the earlier one without a word."""

    path: tuple[str | int, ...]  # keys and 0-based list indexes from the document root to the mapping
    key: Any
    line: int  # 1-based line of the repeated key
    first_line: int  # 1-based line where the key first appears in that mapping


def _key_value(loader: Any, node: Node) -> Any:
    """The key as the constructor would build it (so `yes` and `true` are the same key), or None if unhashable."""
    if not isinstance(node, ScalarNode):
        return None
    if node.tag == _TAG + "str":
        return node.value
    construct = _SCALARS.get(node.tag)
    if construct is None:
        return None
    try:
        value = construct(loader, node)
        hash(value)
    except (yaml.YAMLError, TypeError, ValueError, OverflowError):
        return None
    return (node.tag, value) if isinstance(value, bool | int | float) else value


def find_duplicate_keys(loader: Any, root: Node) -> list[DuplicateKey]:
    """Every key that repeats within one mapping, in document order; merge keys (<<) are YAML's own overrides.

    An aliased node is walked once, at its first place, so the walk stays linear in the file.
    """
    found: list[DuplicateKey] = []
    seen: set[int] = set()
    stack: list[tuple[Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[Node, tuple[str | int, ...]]] = []
        if isinstance(node, MappingNode):
            first: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = _key_value(loader, key_node) if key_node.tag != _TAG + "merge" else None
                line = key_node.start_mark.line + 1
                if key is not None:
                    if key in first:
                        shown = key[1] if isinstance(key, tuple) else key
                        found.append(DuplicateKey(path=path, key=shown, line=line, first_line=first[key]))
                    else:
                        first[key] = line
                step = key_node.value if isinstance(key_node, ScalarNode) else "?"
                children.append((value_node, (*path, step)))
        elif isinstance(node, SequenceNode):
            children = [(child, (*path, i)) for i, child in enumerate(node.value)]
        stack.extend(reversed(children))
    return sorted(found, key=lambda d: d.line)


@dataclass
class ParsedYaml:
    """One parsed YAML document: its data, the error that stopped parsing (else None), repeated keys."""

    data: Any = None
    error: str | None = None
    duplicates: list[DuplicateKey] = field(default_factory=list)


def parse_yaml_document(text: str, *, name: str) -> ParsedYaml:
    """Parse one YAML document safely, listing every repeated mapping key (YAML itself keeps the last)."""
    try:
        loader = _KbLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return ParsedYaml()
            # An alias needs an anchor (&) and a reference (*); a file without both needs no walk.
            if "&" in text and "*" in text:
                refused = check_aliases(node)
                if refused:
                    return ParsedYaml(error=f"{name}: {refused}")
            duplicates = find_duplicate_keys(loader, node)
            return ParsedYaml(data=_construct_fast(loader, node), duplicates=duplicates)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = exc.problem or exc.context or "invalid YAML"
        return ParsedYaml(error=f"{name}: malformed YAML at {where}: {problem[:200]}")
    except yaml.YAMLError as exc:
        return ParsedYaml(error=f"{name}: malformed YAML: {str(exc)[:200]}")
    except RecursionError:
        return ParsedYaml(error=f"{name}: malformed YAML: nesting too deep")
    except (ValueError, TypeError, OverflowError) as exc:
        return ParsedYaml(error=f"{name}: malformed YAML: {str(exc)[:200]}")
