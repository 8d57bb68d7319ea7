"""Read a view's TypeScript ``Model`` (``js/src/<module>/model.ts``) and compare it with the
synced traits of its Python class.

Both sides are reduced to *kinds*, a set of names per trait, joined by ``|``:

=================================  ==========================================  ===============
traitlets                          TypeScript                                  kind
=================================  ==========================================  ===============
Int, Float (and C- variants)       ``number``, a number literal                ``number``
Unicode, Enum of strings           ``string``, a string literal                ``string``
Bool                               ``boolean``, ``true``, ``false``            ``boolean``
List(T), Set(T)                    ``T[]``, ``readonly T[]``                   ``<kind of T>[]``
List(), Set() (no element trait)   ``unknown[]``                               ``unknown[]``
Tuple                              a tuple ``[a: A, b: B]``                    ``array``
Dict                               ``{...}``, ``Record<K, V>``, an interface   ``object``
Bytes                              ``DataView``                                ``bytes``
Union(A, B)                        ``A | B``                                   both kinds
``allow_none=True``                ``| null``                                  ``null``
=================================  ==========================================  ===============

A named TypeScript type is looked up among the ``type``/``interface`` declarations of
``model.ts`` and of the files it imports from (relative imports only, e.g. ``EncodedArray``
from ``lib/binary.ts``). The parser only knows what ``model.ts`` files use: declarations at
the top level, members ``name: type;``, ``/* */`` or ``//`` comments, no function types (the
``>`` of ``=>`` would count as a bracket); anything else is an error naming the type, never a
silent pass.
"""

from __future__ import annotations

import pathlib
import re

import traitlets

_OPEN, _CLOSE = "([{<", ")]}>"


def strip_comments(source: str) -> str:
    """``source`` without ``/* ... */`` and ``// ...`` comments."""
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", " ", source)


def _depths(text: str, start: int = 0):
    """``(index, char, depth)`` of every character from ``start``; a bracket has the depth
    outside it."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        depth -= char in _CLOSE
        yield index, char, depth
        depth += char in _OPEN


def split_top_level(text: str, separators: str) -> list[str]:
    """``text`` split at the ``separators`` outside every bracket, stripped, without empties."""
    cuts = [i for i, char, depth in _depths(text) if depth == 0 and char in separators]
    bounds = zip([-1, *cuts], [*cuts, len(text)], strict=True)
    return [text[a + 1 : b].strip() for a, b in bounds if text[a + 1 : b].strip()]


def _end(text: str, start: int, stop: str) -> int:
    """Index of the first ``stop`` character outside brackets from ``start`` (or the end)."""
    found = (i for i, char, depth in _depths(text, start) if depth == 0 and char in stop)
    return next(found, len(text))


def declarations(path: pathlib.Path, _seen: set[pathlib.Path] | None = None) -> dict[str, str]:
    """Every top-level ``type X = ...`` and ``interface X {...}`` of ``path`` and of the files it
    imports from, as name → type text (an interface as its ``{...}`` body)."""
    seen = _seen if _seen is not None else set()
    if path in seen:
        return {}
    seen.add(path)
    source = strip_comments(path.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for module in re.findall(r'^import\b[^;]*?from\s+"(\.[^"]+)"', source, flags=re.MULTILINE):
        found.update(declarations((path.parent / f"{module}.ts").resolve(), seen))
    for match in re.finditer(r"^(?:export\s+)?interface\s+(\w+)[^{]*", source, flags=re.MULTILINE):
        found[match.group(1)] = source[match.end() : _end(source, match.end(), "}") + 1]
    for match in re.finditer(r"^(?:export\s+)?type\s+(\w+)\s*=", source, flags=re.MULTILINE):
        found[match.group(1)] = source[match.end() : _end(source, match.end(), ";")].strip()
    return found


def object_members(body: str) -> dict[str, str]:
    """The members ``name: type`` of an object type ``{...}``, in order."""
    inner = body.strip()
    if not (inner.startswith("{") and inner.endswith("}")):
        raise ValueError(f"not an object type: {body[:60]!r}")
    members = {}
    for member in split_top_level(inner[1:-1], ";,"):
        match = re.fullmatch(r"(?:readonly\s+)?(\w+)\??\s*:\s*(.+)", member, flags=re.DOTALL)
        if not match:
            raise ValueError(f"cannot read the member {member!r}")
        members[match.group(1)] = " ".join(match.group(2).split())
    return members


def model_members(path: pathlib.Path) -> tuple[dict[str, str], dict[str, str]]:
    """The members of ``Model`` in ``path`` and the declarations its types may name."""
    known = declarations(path)
    if "Model" not in known:
        raise ValueError(f"{path} declares no `Model` type or interface")
    return object_members(known["Model"]), known


def format_kinds(kinds: frozenset[str]) -> str:
    """``kinds`` as one readable type, e.g. ``number | null``."""
    return " | ".join(sorted(kinds, key=lambda kind: (kind == "null", kind)))


def _element(kinds: frozenset[str]) -> str:
    text = format_kinds(kinds)
    return f"({text})[]" if len(kinds) > 1 else f"{text}[]"


def ts_kinds(text: str, known: dict[str, str]) -> frozenset[str]:
    """The kinds of the TypeScript type ``text``; ``known`` resolves named types."""
    kinds: set[str] = set()
    for part in split_top_level(text, "|"):
        if part in ("number", "string", "boolean", "null", "unknown"):
            kinds.add(part)
        elif re.fullmatch(r'"[^"]*"|\'[^\']*\'', part):
            kinds.add("string")
        elif re.fullmatch(r"-?\d+(\.\d+)?", part):
            kinds.add("number")
        elif part in ("true", "false"):
            kinds.add("boolean")
        elif part.startswith("readonly "):
            kinds |= ts_kinds(part.removeprefix("readonly "), known)
        elif part.endswith("[]"):
            element = part[:-2].strip()
            if element.startswith("(") and element.endswith(")"):
                element = element[1:-1]
            kinds.add(_element(ts_kinds(element, known)))
        elif part.startswith("["):
            kinds.add("array")
        elif part.startswith("{") or part.startswith("Record<"):
            kinds.add("object")
        elif part == "DataView":
            kinds.add("bytes")
        elif part in known:
            body = known[part]
            kinds |= {"object"} if body.startswith("{") else ts_kinds(body, known)
        else:
            raise ValueError(f"no kind for the TypeScript type {part!r} (in {text!r})")
    return frozenset(kinds)


def trait_kinds(trait: traitlets.TraitType) -> frozenset[str]:
    """The kinds of the values a synced ``trait`` sends to the page."""
    if isinstance(trait, traitlets.Union):
        kinds = frozenset().union(*(trait_kinds(option) for option in trait.trait_types))
    elif isinstance(trait, traitlets.Bool):
        kinds = frozenset({"boolean"})
    elif isinstance(trait, (traitlets.Int, traitlets.Float)):
        kinds = frozenset({"number"})
    elif isinstance(trait, traitlets.Unicode):
        kinds = frozenset({"string"})
    elif isinstance(trait, traitlets.Enum):
        kinds = frozenset(_value_kind(value) for value in trait.values)
    elif isinstance(trait, traitlets.Bytes):
        kinds = frozenset({"bytes"})
    elif isinstance(trait, traitlets.Dict):
        kinds = frozenset({"object"})
    elif isinstance(trait, traitlets.Tuple):
        kinds = frozenset({"array"})
    elif isinstance(trait, traitlets.List):  # Set is a List
        element = trait._trait
        kinds = frozenset({"unknown[]" if element is None else _element(trait_kinds(element))})
    else:
        raise TypeError(f"no kind for the trait type {type(trait).__name__}")
    return kinds | {"null"} if trait.allow_none else kinds


def _value_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"no kind for the Enum value {value!r}")


def contract_mismatches(
    name: str, traits: dict[str, traitlets.TraitType], model_ts: pathlib.Path
) -> list[str]:
    """Every difference between the synced ``traits`` of view ``name`` and the TypeScript
    ``Model`` of ``model_ts``, one readable line each (empty when they agree)."""
    members, known = model_members(model_ts)
    problems = [
        f"{name}.{trait} is synced in Python but missing from Model in {model_ts.name}"
        for trait in sorted(traits.keys() - members.keys())
    ]
    problems += [
        f"{name}: Model in {model_ts.name} has {member!r}, which is no synced trait in Python"
        for member in sorted(members.keys() - traits.keys())
    ]
    for trait in sorted(traits.keys() & members.keys()):
        python, typescript = trait_kinds(traits[trait]), ts_kinds(members[trait], known)
        if python != typescript:
            problems.append(
                f"{name}.{trait}: Python {type(traits[trait]).__name__} sends "
                f"{format_kinds(python)}, but Model in {model_ts.name} declares "
                f"`{members[trait]}` ({format_kinds(typescript)})"
            )
    return problems
