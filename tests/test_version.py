"""The version is written once, in mi_widgets/_version.py, and the build reads it there."""

from __future__ import annotations

import importlib.metadata
import json
import pathlib

import pytest

import mi_widgets as mw

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_the_package_version_is_the_installed_distributions() -> None:
    assert mw.__version__ == importlib.metadata.version("mi-widgets")


def test_the_build_reads_the_version_from_one_file() -> None:
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "mi_widgets/_version.py"
    package = json.loads((ROOT / "js" / "package.json").read_text())
    assert "version" not in package, "the front end is private: its version is the package's"
