"""Lazy re-exports for a package ``__init__`` (PEP 562): a public name imports its module on
first use, so importing the package loads neither torch nor transformers."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, origins: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``: name ``n`` comes from the
    submodule ``origins[n]`` (relative, e.g. ``".widgets"``) and is kept in ``namespace``
    (the package's ``globals()``) once imported.
    """

    def module_getattr(name: str) -> Any:
        if name not in origins:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(origins[name], package), name)
        namespace[name] = value
        return value

    def module_dir() -> list[str]:
        return sorted({*namespace, *origins})

    return module_getattr, module_dir
