"""Every view's synced Python traits equal the keys and types of its TypeScript ``Model``
(``js/src/<module>/model.ts``); the kinds compared are documented in ``tests/ts_model.py``."""

from __future__ import annotations

import pathlib

import anywidget
import pytest
import traitlets

import mi_widgets
from mi_widgets.widgets.registry import VIEWS, ViewEntry
from tests.ts_model import contract_mismatches, model_members, trait_kinds, ts_kinds

SRC = pathlib.Path(__file__).resolve().parent.parent / "js" / "src"
FRAMEWORK_TRAITS = frozenset(anywidget.AnyWidget.class_trait_names(sync=True))


def synced_traits(cls: type[traitlets.HasTraits]) -> dict[str, traitlets.TraitType]:
    """The synced traits of a view class that are its own (not anywidget's)."""
    traits = cls.class_traits(sync=True)
    return {name: trait for name, trait in traits.items() if name not in FRAMEWORK_TRAITS}


@pytest.mark.parametrize("entry", VIEWS, ids=lambda entry: entry.module)
def test_python_traits_equal_the_typescript_model(entry: ViewEntry):
    view_class = getattr(mi_widgets, entry.python)
    model_ts = SRC / entry.module / "model.ts"
    problems = contract_mismatches(entry.python, synced_traits(view_class), model_ts)
    assert not problems, "\n".join(problems)


class Toy(traitlets.HasTraits):
    tokens = traitlets.List(traitlets.Unicode()).tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    token = traitlets.Int(None, allow_none=True).tag(sync=True)
    sort = traitlets.Enum(["abs", "value"], "abs").tag(sync=True)
    payload = traitlets.Dict().tag(sync=True)
    unsynced = traitlets.Int(0)


TOY_MODEL = """
import type { Header } from "./header";

/** Comments // with {brackets} [ and ; are ignored. */
export type Sort = "abs" | "value";

export type Model = {
  // one per position
  tokens: string[];
  layer: number;
  token: number | null;
  sort: Sort;
  payload: Header | Record<string, never>;
};
"""


@pytest.fixture
def toy_model(tmp_path: pathlib.Path) -> pathlib.Path:
    header = "export interface Header extends Base {\n  shape: number[];\n}\n"
    (tmp_path / "header.ts").write_text(header)
    path = tmp_path / "model.ts"
    path.write_text(TOY_MODEL)
    return path


def toy_mismatches(model_ts: pathlib.Path, old: str, new: str) -> list[str]:
    """The mismatches of ``Toy`` against ``TOY_MODEL`` with ``old`` replaced by ``new``."""
    assert old in TOY_MODEL
    model_ts.write_text(TOY_MODEL.replace(old, new))
    return contract_mismatches("Toy", synced_traits(Toy), model_ts)


def test_an_agreeing_model_has_no_mismatch(toy_model):
    assert contract_mismatches("Toy", synced_traits(Toy), toy_model) == []


def test_a_renamed_member_is_reported_on_both_sides(toy_model):
    assert toy_mismatches(toy_model, "layer:", "layer_index:") == [
        "Toy.layer is synced in Python but missing from Model in model.ts",
        "Toy: Model in model.ts has 'layer_index', which is no synced trait in Python",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("layer: number", "layer: string", "Toy.layer: Python Int sends number, but Model in "
         "model.ts declares `string` (string)"),
        ("token: number | null", "token: number", "Toy.token: Python Int sends number | null, "
         "but Model in model.ts declares `number` (number)"),
        ("tokens: string[]", "tokens: number[]", "Toy.tokens: Python List sends string[], "
         "but Model in model.ts declares `number[]` (number[])"),
        ('"abs" | "value";', "0 | 1;", "Toy.sort: Python Enum sends string, but Model in "
         "model.ts declares `Sort` (number)"),
        ("payload: Header", "payload: DataView", "Toy.payload: Python Dict sends object, but "
         "Model in model.ts declares `DataView | Record<string, never>` (bytes | object)"),
    ],
)
def test_a_retyped_member_names_the_view_the_trait_and_both_types(toy_model, old, new, expected):
    assert toy_mismatches(toy_model, old, new) == [expected]


def test_kinds_of_typescript_types():
    known = {"Pair": "[token: string, p: number]", "Info": "{ k: number }"}
    assert ts_kinds("readonly (string | null)[]", known) == {"(string | null)[]"}
    assert ts_kinds("Pair[]", known) == {"array[]"}
    assert ts_kinds("Info | Record<string, never> | DataView", known) == {"object", "bytes"}
    assert ts_kinds("true | 3 | 'a'", known) == {"boolean", "number", "string"}
    with pytest.raises(ValueError, match="'Unknown'"):
        ts_kinds("Unknown | null", known)


def test_kinds_of_traits():
    union = traitlets.Union([traitlets.Int(), traitlets.Unicode()])
    assert trait_kinds(union) == {"number", "string"}
    assert trait_kinds(traitlets.Float(None, allow_none=True)) == {"number", "null"}
    assert trait_kinds(traitlets.List()) == {"unknown[]"}
    assert trait_kinds(traitlets.Tuple()) == {"array"}
    assert trait_kinds(traitlets.Bytes()) == {"bytes"}
    with pytest.raises(TypeError, match="Instance"):
        trait_kinds(traitlets.Instance(pathlib.Path))


def test_model_members_reads_nested_object_members(tmp_path):
    path = tmp_path / "model.ts"
    path.write_text("export interface Model {\n  a: { b: number; c: string[] };\n  d?: boolean,\n}")
    members, _ = model_members(path)
    assert members == {"a": "{ b: number; c: string[] }", "d": "boolean"}
