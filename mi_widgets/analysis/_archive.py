"""The ``.npz`` files of saved analysis results: an ``.npy`` entry per array plus ``meta.json``.

``numpy.load(path)`` reads them too (``meta.json`` comes back as bytes).
"""

from __future__ import annotations

import io
import json
import pathlib
import zipfile
from typing import Any

import numpy as np

META = "meta.json"


def write_archive(
    path: str | pathlib.Path,
    kind: str,
    version: int,
    arrays: dict[str, np.ndarray],
    meta: dict[str, Any],
) -> pathlib.Path:
    """Write ``arrays`` (entry ``<name>.npy`` each) and ``meta`` as JSON to ``path``.

    ``meta`` gets ``format = "mi_widgets.<kind>"`` and ``version``.
    """
    path = pathlib.Path(path)
    meta = {"format": f"mi_widgets.{kind}", "version": version, **meta}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            archive.writestr(f"{name}.npy", buffer.getvalue())
        archive.writestr(META, json.dumps(meta, ensure_ascii=False, indent=1))
    return path


def read_archive(
    path: str | pathlib.Path, kind: str, version: int
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays by name and the metadata of a file :func:`write_archive` wrote for ``kind``.

    ``meta["format"]`` must be ``"mi_widgets.<kind>"`` and ``meta["version"]`` at most ``version``;
    otherwise a ``ValueError`` says what the file is not.
    """
    path = pathlib.Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{path} is not a {kind} file (not an .npz archive)") from error
    with archive:
        names = archive.namelist()
        if META not in names:
            raise ValueError(f"{path} is not a {kind} file: it has no {META}")
        meta = json.loads(archive.read(META))
        if meta.get("format") != f"mi_widgets.{kind}":
            raise ValueError(f"{path} is not a {kind} file (format {meta.get('format')!r})")
        if meta.get("version", 0) > version:
            raise ValueError(
                f"{path} was written by a newer mi_widgets (version {meta['version']})"
            )
        arrays = {}
        for entry in names:
            if entry.endswith(".npy"):
                with archive.open(entry) as file:
                    arrays[entry[: -len(".npy")]] = np.lib.format.read_array(
                        file, allow_pickle=False
                    )
    return arrays, meta
