"""
The layers point one way (STYLE.md rule 1), read from the code itself.

Every import of the project's own modules is collected with ``ast`` (module
level and inside functions alike), so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

PACKAGES = ("accounts", "comparison", "config", "remote", "tools")


def _module_name(path: Path) -> str:
    relative = path.relative_to(settings.BASE_DIR).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _own_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (settings.BASE_DIR / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[_module_name(path)] = path
    return modules


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules that ``name`` imports, resolved to the deepest module that exists."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _own_modules()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_sees_known_edges():
    graph = import_graph()
    assert "accounts.lanes" in graph["comparison.probe"]
    assert "accounts.observers" in graph["accounts.middleware"]
    assert "remote.tokens" in graph["remote.authentication"]


def test_project_modules_import_each_other_without_cycles():
    assert _cycle(import_graph()) is None


@pytest.mark.parametrize("forbidden", ["comparison", "config", "tools"])
def test_accounts_never_imports(forbidden):
    offenders = {
        name: sorted(target for target in targets if target.split(".")[0] == forbidden)
        for name, targets in import_graph().items()
        if name.split(".")[0] == "accounts"
    }
    assert {name: targets for name, targets in offenders.items() if targets} == {}


@pytest.mark.parametrize("forbidden", ["accounts", "comparison", "config", "tools"])
def test_the_second_service_imports_nothing_of_the_site(forbidden):
    offenders = {
        name: sorted(target for target in targets if target.split(".")[0] == forbidden)
        for name, targets in import_graph().items()
        if name.split(".")[0] == "remote"
    }
    assert {name: targets for name, targets in offenders.items() if targets} == {}


def test_nothing_of_the_site_imports_the_second_service():
    offenders = {
        name: sorted(target for target in targets if target.split(".")[0] == "remote")
        for name, targets in import_graph().items()
        if name.split(".")[0] != "remote"
    }
    assert {name: targets for name, targets in offenders.items() if targets} == {}


@pytest.mark.parametrize("app", ["accounts", "comparison"])
def test_apps_never_import_config_or_tools(app):
    offenders = {
        name: sorted(target for target in targets if target.split(".")[0] in {"config", "tools"})
        for name, targets in import_graph().items()
        if name.split(".")[0] == app and ".management." not in name
    }
    assert {name: targets for name, targets in offenders.items() if targets} == {}
