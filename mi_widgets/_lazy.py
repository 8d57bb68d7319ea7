"""Lazy re-exports for a package ``__init__`` (PEP 562): a public name imports its module on
first use, so importing the package loads neither torch nor transformers."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, origins: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``: name ``n`` comes from the
    submodule ``origins[n]`` (relative, e.g. ``".widgets"``), and a submodule's name (``mw.
    analysis``) imports it; either is kept in ``namespace`` (the package's ``globals()``).
    """

    def module_getattr(name: str) -> Any:
        if name in origins:
            value = getattr(importlib.import_module(origins[name], package), name)
        elif importlib.util.find_spec(f"{package}.{name}") is not None:  # a submodule
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def module_dir() -> list[str]:
        return sorted({*namespace, *origins})

    return module_getattr, module_dir
