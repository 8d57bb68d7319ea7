"""The one list of views, read from ``views.json`` beside this module.

Each entry names a view three ways: its ``module`` (``widgets/<module>.py``, the folder
``js/src/<module>/`` and the bundle ``static/<module>.js``), its Python class (exported by
``mi_widgets``) and its TypeScript controller (exported by ``js/src/<module>/view.ts``). The
front-end build (``js/build.mjs``) makes one bundle per entry, the wheel check of
``scripts/test.sh`` reads the same file, and the tests check everything else against it.

>>> from mi_widgets.widgets.registry import view_entry
>>> view_entry("attention").bundle
'attention.js'
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

REGISTRY_FILE = pathlib.Path(__file__).resolve().parent / "views.json"

#: The bundle of the offline report runtime: built beside the views, but not a view.
REPORT_RUNTIME_BUNDLE = "standalone.js"


@dataclass(frozen=True)
class ViewEntry:
    """One registered view."""

    module: str
    """Name of the Python module, the TypeScript folder and the bundle, e.g. ``"attention"``."""
    python: str
    """The view class, e.g. ``"AttentionView"``."""
    controller: str
    """The controller exported by ``js/src/<module>/view.ts``, e.g. ``"AttentionController"``."""

    @property
    def bundle(self) -> str:
        """File name of the built ES module in ``mi_widgets/static/``."""
        return f"{self.module}.js"


def load_views(path: pathlib.Path) -> tuple[ViewEntry, ...]:
    """The entries of a registry file; an error when a module is registered twice."""
    entries = tuple(ViewEntry(**entry) for entry in json.loads(path.read_text(encoding="utf-8")))
    modules = [entry.module for entry in entries]
    repeated = sorted({module for module in modules if modules.count(module) > 1})
    if repeated:
        raise ValueError(f"{path.name} registers module(s) {repeated} more than once")
    return entries


#: Every view, in registry order.
VIEWS: tuple[ViewEntry, ...] = load_views(REGISTRY_FILE)


def view_entry(module: str) -> ViewEntry:
    """The registry entry of ``module``; a clear error naming the registered ones otherwise."""
    for entry in VIEWS:
        if entry.module == module:
            return entry
    known = ", ".join(entry.module for entry in VIEWS)
    raise KeyError(
        f"view module {module!r} is not registered in {REGISTRY_FILE.name} (registered: {known})"
    )


def bundle_files() -> list[str]:
    """Every file the front-end build writes to ``mi_widgets/static/``: one per view, then the
    report runtime."""
    return [entry.bundle for entry in VIEWS] + [REPORT_RUNTIME_BUNDLE]
