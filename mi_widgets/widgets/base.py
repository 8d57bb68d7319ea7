"""Shared base of every view: the built ES module and lazy, binary data slices."""

from __future__ import annotations

import pathlib
import uuid
from typing import Any, ClassVar

import anywidget
import traitlets

from ._serialization import EncodedArray, split_header
from .link import LinkableView
from .registry import view_entry
from .snapshot import SNAPSHOT_MAX_BYTES, SNAPSHOT_MIME, budgeted_slices, encode_bytes

STATIC_DIR = pathlib.Path(__file__).resolve().parent.parent / "static"

#: Traits every anywidget has; they are not part of a view's own state.
_FRAMEWORK_TRAITS = frozenset(anywidget.AnyWidget.class_trait_names(sync=True))


def static_file(name: str) -> pathlib.Path:
    """Path of a built front-end file, with a clear error when the build has not run."""
    path = STATIC_DIR / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the front end is not built. Install the package with "
            "`pip install .` (which runs the build) or run `npm ci && npm run build` in js/."
        )
    return path


class SlicedView(LinkableView):
    """An anywidget whose heavy data is split into named slices of encoded arrays.

    ``_slices`` holds the slices sent with the widget; the page asks for any other slice with
    a custom message ``{"type": "slice", "key", "id"}`` and gets the header as JSON and the
    bytes as a binary buffer. A view class sets ``_module``, the name it is registered under in
    ``views.json`` (see :mod:`mi_widgets.widgets.registry`), which sets ``_esm`` to the built
    bundle; it implements :meth:`slice_keys` (what an exported report embeds) and
    :meth:`encode_slice`; :meth:`has_slice` when the kernel serves more than is exported.
    Links to other views are listed in :attr:`links` (see :mod:`mi_widgets.widgets.link`).
    """

    _module: ClassVar[str]
    _slices = traitlets.Dict().tag(sync=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Point ``_esm`` at the bundle of the registered view ``_module`` (before anywidget
        reads it), and refuse a class that the registry does not name."""
        if "_module" in cls.__dict__:
            entry = view_entry(cls._module)
            if entry.python != cls.__name__:
                raise TypeError(
                    f"{cls.__name__} sets _module = {cls._module!r}, but views.json registers "
                    f"{entry.python} under that module"
                )
            cls._esm = STATIC_DIR / entry.bundle
        super().__init_subclass__(**kwargs)

    def __init__(self, **kwargs: Any) -> None:
        # a clear error when the front end is not built
        static_file(view_entry(self._module).bundle)
        super().__init__(**kwargs)
        self.on_msg(self._on_custom_message)

    def slice_keys(self) -> list[str]:
        """Every slice this view can serve, the most useful first (the current selection)."""
        raise NotImplementedError

    def encode_slice(self, key: str) -> EncodedArray:
        """The encoded array of slice ``key``."""
        raise NotImplementedError

    def has_slice(self, key: str) -> bool:
        """Whether the page may ask for ``key`` (default: one of :meth:`slice_keys`)."""
        return key in self.slice_keys()

    def view_state(self) -> dict[str, Any]:
        """The view's own synced trait values (no framework traits, no slices)."""
        state = self.get_state()
        return {
            key: value
            for key, value in state.items()
            if key not in _FRAMEWORK_TRAITS and key != "_slices"
        }

    def snapshot(self, max_bytes: int | None = None) -> dict[str, Any]:
        """The JSON snapshot of this view: ``{"module", "model_id", "complete", "state",
        "slices", "omitted", "links"}``.

        ``state`` holds the view's trait values (bytes as ``{"$b64": str}``), ``slices`` maps
        a slice key to ``{"array": header, "b64": str}`` in the view's order (current
        selection first, always kept), ``omitted`` lists the keys from the first one that
        does not fit in ``max_bytes`` on (default
        :data:`~mi_widgets.widgets.snapshot.SNAPSHOT_MAX_BYTES`), ``links`` the links this
        view is the source of (``{"target": model_id, "traits": [...]}``, see
        :attr:`~mi_widgets.widgets.link.Link.report_traits`); ``complete`` is true when the
        slices hold everything the view can show, whatever is selected later.
        """
        budget = SNAPSHOT_MAX_BYTES if max_bytes is None else max_bytes
        slices, omitted = budgeted_slices(self.slice_keys(), self.encode_slice, budget)
        serves_more = type(self).has_slice is not SlicedView.has_slice
        return {
            "module": self._module,
            "model_id": self.model_id,
            "complete": not omitted and not serves_more,
            "state": encode_bytes(self.view_state()),
            "slices": slices,
            "omitted": omitted,
            "links": [
                {"target": link.target.model_id, "traits": link.report_traits}
                for link in self.links
                if link.source is self
            ],
        }

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget bundle plus an offline :meth:`snapshot`, so a notebook report can draw
        this view once the kernel is gone."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is not None:
            data[SNAPSHOT_MIME] = self.snapshot()
        return bundle

    def _on_custom_message(self, _widget: Any, content: Any, _buffers: list[Any]) -> None:
        if not isinstance(content, dict) or content.get("type") != "slice":
            return
        key, request_id = content.get("key"), content.get("id", str(uuid.uuid4()))
        reply = {"type": "slice", "id": request_id, "key": key}
        if not isinstance(key, str) or not self.has_slice(key):
            self.send({**reply, "missing": True, "reason": f"this view has no slice {key!r}"})
            return
        header, data = split_header(self.encode_slice(key))
        self.send({**reply, "array": header}, buffers=[data])
