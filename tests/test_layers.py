"""The layering, read from the source: the core (bot/) and the KB domain (knowledge/) know no Telegram, the
KB domain knows no application, and no two modules import each other, directly or through others."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "knowledge", "handlers")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts and "versions" in path.parts:
                continue
            modules[module_name(path)] = path
    return modules


MODULES = project_modules()


def imported_names(name: str, path: Path) -> Iterator[str]:
    """Every module `name` imports, at any depth of the file (lazy imports in functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in MODULES else base


def imports_of(name: str) -> set[str]:
    return set(imported_names(name, MODULES[name]))


def top(name: str) -> str:
    return name.split(".")[0]


def test_the_walk_sees_the_modules_and_their_imports() -> None:
    assert {"bot.cli.entry", "bot.services.checks", "knowledge.matcher", "handlers.app"} <= MODULES.keys()
    assert "telegram.ext" in imports_of("handlers.app")
    assert "bot.cli.admin" in imports_of("bot.cli.entry")  # `from bot.cli import admin` names the module


def test_bot_and_knowledge_import_no_telegram_and_no_handlers() -> None:
    offenders = {
        name: sorted(i for i in imports_of(name) if top(i) in {"telegram", "handlers"})
        for name in MODULES
        if top(name) in {"bot", "knowledge"}
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_knowledge_imports_nothing_from_the_application() -> None:
    offenders = {
        name: sorted(i for i in imports_of(name) if top(i) in {"bot", "handlers"})
        for name in MODULES
        if top(name) == "knowledge"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import cycle found by a depth-first walk, as the path that closes it."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return cycles


def test_no_import_cycle() -> None:
    graph = {name: {i for i in imports_of(name) if i in MODULES and i != name} for name in MODULES}
    assert find_cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]


def test_handlers_use_services_not_orm_models() -> None:
    """Telegram handlers call bot.services; only the PTB persistence adapter maps its own table."""
    offenders = {}
    for name, path in MODULES.items():
        if top(name) != "handlers" or name == "handlers.persistence":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "bot.db.models":
                models = [a.name for a in node.names if a.name != "utcnow"]
                if models:
                    offenders[name] = models
    assert offenders == {}


def test_tests_and_benchmarks_import_no_test_module() -> None:
    """Shared test support lives in conftest, tests/harness.py, tests/bot_api_server.py and factbot_testing;
    a test module importing another couples tests that should fail independently."""
    readers = {
        **{module_name(p): p for p in sorted((ROOT / "tests").glob("*.py"))},
        **{module_name(p): p for p in sorted((ROOT / "benchmarks").glob("*.py"))},
    }
    assert "tests.test_layers" in readers and "benchmarks.quality" in readers
    offenders = {
        name: sorted(i for i in imported_names(name, path) if i.startswith("tests.test_"))
        for name, path in readers.items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_kb_domain_stays_readable() -> None:
    """Issue 11's measure for knowledge/: no module over 500 lines, no function over 80."""
    too_long = []
    for path in sorted((ROOT / "knowledge").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > 500:
            too_long.append(f"{path.relative_to(ROOT)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > 80:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []
