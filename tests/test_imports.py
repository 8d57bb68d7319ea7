"""The import graph of mi_widgets has no cycle, and ``import mi_widgets`` stays light.

Every ``import`` statement of every module counts: module level, inside functions, and in
``if TYPE_CHECKING:`` blocks. Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``
first, so an import also counts as an edge to each package on the way, except the packages
that contain the importing module (those are already being imported when it runs). A
package ``__init__`` that re-exports its submodules is therefore fine, as long as no module
outside it imports it back from one of those submodules, and no submodule imports names from
its own package's ``__init__`` (``from . import name`` of a non-module, or ``from .. import``).
"""

from __future__ import annotations

import ast
import importlib
import json
import pathlib
import subprocess
import sys

import pytest

import mi_widgets

PACKAGE_DIR = pathlib.Path(mi_widgets.__file__).resolve().parent
PACKAGE = "mi_widgets"


def module_files(root: pathlib.Path = PACKAGE_DIR) -> dict[str, pathlib.Path]:
    """Every module of the package: dotted name → file (a package is its ``__init__``)."""
    files = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def _containing_package(name: str, path: pathlib.Path) -> str:
    """The package a relative import of module ``name`` starts from."""
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _ancestors(name: str) -> list[str]:
    """``a.b.c`` → ``["a", "a.b"]``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imported_modules(name: str, path: pathlib.Path, modules: set[str]) -> set[str]:
    """The package modules that importing ``name`` (file ``path``) runs, directly."""
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _containing_package(name, path)
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            targets.add(source)
            targets.update(f"{source}.{alias.name}" for alias in node.names)
    own_packages = {*_ancestors(name), name}
    edges = set()
    for target in targets:
        for module in [*_ancestors(target), target]:
            if module in modules and module not in own_packages:
                edges.add(module)
    return edges


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    modules = set(files)
    return {name: imported_modules(name, path, modules) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        stack = [iter(sorted(graph[start]))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
            elif nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_the_graph_sees_every_kind_of_import(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .sub import thing\n")
    (package / "sub" / "__init__.py").write_text("from .thing import thing\n")
    (package / "sub" / "thing.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..other import Other\n"
        "def thing():\n    from .. import other\n"
    )
    (package / "other.py").write_text("import pkg.sub.thing\n")
    files = module_files(package)
    modules = set(files)
    graph = {name: imported_modules(name, path, modules) for name, path in files.items()}
    assert graph == {
        "pkg": {"pkg.sub", "pkg.sub.thing"},
        "pkg.sub": {"pkg.sub.thing"},
        "pkg.sub.thing": {"pkg.other"},
        "pkg.other": {"pkg.sub", "pkg.sub.thing"},
    }
    assert find_cycle(graph) == ["pkg.sub", "pkg.sub.thing", "pkg.other", "pkg.sub"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_mi_widgets_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 40 and "mi_widgets.widgets.base" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_export_reads_widgets_never_the_reverse():
    graph = import_graph()
    back = sorted(
        (name, target)
        for name, targets in graph.items()
        if name.startswith(f"{PACKAGE}.widgets")
        for target in targets
        if target.startswith(f"{PACKAGE}.export")
    )
    assert back == [], f"widgets import export: {back}"


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter that imports this tree; its last stdout line
    as JSON."""
    env_path = str(PACKAGE_DIR.parent)
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {env_path!r})\n{code}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


HEAVY = ("torch", "transformers", "plotly", "nbconvert", "nbformat", "safetensors", "tokenizers")


def test_import_mi_widgets_loads_no_heavy_library():
    seen = _run(
        "import json, mi_widgets as mw\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert seen == []


def test_public_names_resolve_on_first_use():
    seen = _run(
        "import json, mi_widgets as mw\n"
        "before = 'torch' in sys.modules\n"
        "names = sorted(n for n in mw.__all__ if getattr(mw, n) is None)\n"
        "view = mw.AttentionView.__name__, mw.link_heads.__module__\n"
        "print(json.dumps({'before': before, 'missing': names, 'view': view,\n"
        "    'dir': sorted(set(mw.__all__) - set(dir(mw))), 'torch': 'torch' in sys.modules}))"
    )
    assert seen == {
        "before": False,
        "missing": [],
        "view": ["AttentionView", "mi_widgets.widgets.link"],
        "dir": [],
        "torch": True,
    }


@pytest.mark.parametrize("package", ["mi_widgets", "mi_widgets.widgets"])
def test_lazy_names_are_the_public_names_and_what_type_checkers_see(package):
    module = importlib.import_module(package)
    assert set(module._ORIGINS) == set(module.__all__)
    path = pathlib.Path(module.__file__)
    seen = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                assert isinstance(item, ast.ImportFrom)
                seen.update({alias.name: "." * item.level + item.module for alias in item.names})
    assert seen == module._ORIGINS


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'mi_widgets' has no attribute 'nothing'"):
        _ = mi_widgets.nothing


def test_subpackages_resolve_as_attributes():
    seen = _run(
        "import json, mi_widgets as mw\n"
        "print(json.dumps([mw.export.html.__name__, mw.analysis.repeated_random_tokens.__name__,"
        " 'analysis' in dir(mw)]))"
    )
    assert seen == ["mi_widgets.export.html", "repeated_random_tokens", True]


@pytest.mark.parametrize(
    "code",
    [
        "import mi_widgets.export.nbconvert",
        "from mi_widgets.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
    ],
    ids=["nbconvert exporter", "mi-widgets --help"],
)
def test_entry_points_load_no_torch(code):
    loaded = "[name in sys.modules for name in ('torch', 'transformers')]"
    seen = _run(f"{code}\nimport json\nprint(json.dumps({loaded}))")
    assert seen == [False, False]
