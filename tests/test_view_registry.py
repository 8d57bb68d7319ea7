"""The view registry (``mi_widgets/widgets/views.json``) and what must agree with it."""

from __future__ import annotations

import importlib
import json
import pathlib
import pkgutil
import re

import pytest

import mi_widgets
import mi_widgets.widgets
from mi_widgets.widgets.base import STATIC_DIR, SlicedView
from mi_widgets.widgets.registry import VIEWS, bundle_files, load_views, view_entry

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_view_class_in_the_package_is_registered():
    """No view escapes the registry (subclasses of registered views excepted)."""
    for module in pkgutil.iter_modules(mi_widgets.widgets.__path__, "mi_widgets.widgets."):
        importlib.import_module(module.name)
    classes = {
        cls.__name__
        for cls in SlicedView.__subclasses__()
        if cls.__module__.startswith("mi_widgets.")
    }
    assert classes == {entry.python for entry in VIEWS}


@pytest.mark.parametrize("entry", VIEWS, ids=lambda entry: entry.module)
def test_each_view_is_exported_and_loads_its_registered_bundle(entry):
    assert entry.python in mi_widgets.__all__
    view_class = getattr(mi_widgets, entry.python)
    assert view_class.__module__ == f"mi_widgets.widgets.{entry.module}"
    assert view_class._module == entry.module
    assert str(view_class._esm) == (STATIC_DIR / entry.bundle).read_text(encoding="utf-8")


@pytest.mark.parametrize("entry", VIEWS, ids=lambda entry: entry.module)
def test_each_view_has_its_typescript_folder_and_no_entry_file(entry):
    folder = ROOT / "js" / "src" / entry.module
    assert (folder / "model.ts").is_file()
    view_ts = (folder / "view.ts").read_text(encoding="utf-8")
    assert re.search(rf"^export class {entry.controller}\b", view_ts, re.MULTILINE)
    assert not (ROOT / "js" / "src" / f"{entry.module}.ts").exists(), "defineView replaces it"


def test_pyproject_ensures_every_bundle():
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    targets = config["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]["ensured-targets"]
    assert sorted(targets) == sorted(f"mi_widgets/static/{name}" for name in bundle_files())


def test_the_contract_has_a_section_per_view():
    contract = (ROOT / "js" / "CONTRACT.md").read_text(encoding="utf-8")
    for entry in VIEWS:
        heading = f"## {entry.python} traits (`mi_widgets/widgets/{entry.module}.py`)"
        assert heading in contract, f"js/CONTRACT.md lacks the section {heading!r}"


def test_an_unregistered_module_is_refused_with_the_registered_ones():
    expected = "'sankey' is not registered in views.json (registered: attention, attribution,"
    with pytest.raises(KeyError, match=re.escape(expected)):

        class SankeyView(SlicedView):
            _module = "sankey"


def test_a_class_cannot_take_another_views_module():
    expected = "OtherView sets _module = 'attention', but views.json registers AttentionView"
    with pytest.raises(TypeError, match=re.escape(expected)):

        class OtherView(SlicedView):
            _module = "attention"


def test_a_subclass_of_a_view_keeps_its_bundle():
    class TitledAttention(mi_widgets.AttentionView):
        pass

    assert TitledAttention._esm is mi_widgets.AttentionView._esm


def test_view_entry_and_bundles():
    assert view_entry("head_scores").python == "HeadScoresView"
    assert bundle_files()[-1] == "standalone.js"
    assert len(bundle_files()) == len(VIEWS) + 1


def test_a_module_registered_twice_is_refused(tmp_path):
    entry = {"module": "attention", "python": "AttentionView", "controller": "AttentionController"}
    path = tmp_path / "views.json"
    path.write_text(json.dumps([entry, entry]))
    with pytest.raises(ValueError, match=r"registers module\(s\) \['attention'\] more than once"):
        load_views(path)
