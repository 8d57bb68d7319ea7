"""Machine and version facts stamped on every benchmark result, and the markdown writer."""

from __future__ import annotations

import datetime
import os
import pathlib
import platform
import re
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata

RESULTS = pathlib.Path(__file__).resolve().parent / "RESULTS.md"


def describe_machine() -> str:
    """One line: date, CPU, cores, memory, Python, key package versions, Chromium."""
    cpu = "unknown CPU"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = int(pathlib.Path("/proc/meminfo").read_text().split()[1]) / 2**20
    except OSError:
        memory = float("nan")
    try:
        chromium = subprocess.run(
            ["/usr/bin/chromium", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        chromium = "no chromium"
    versions = ", ".join(
        f"{name} {_version(name)}"
        for name in ("mi-widgets", "torch", "transformers", "anywidget", "playwright")
    )
    return (
        f"{datetime.date.today().isoformat()}; {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; "
        f"Python {platform.python_version()}; {versions}; {chromium}"
    )


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def ensure_peer_venv(
    path: pathlib.Path,
    peer: tuple[str, str, str],
    installs: Sequence[Sequence[str]],
    *,
    what: str,
    files: dict[str, str] | None = None,
) -> pathlib.Path:
    """``PATH/bin/python`` of a peer's own virtual environment, created unless the peer,
    ``(distribution, version, module to import)``, is already installed there.

    Creating it: ``python -m venv --clear PATH``, then ``files`` (name → text) written into
    PATH (e.g. a pip constraints file), then one ``pip`` call per entry of ``installs``
    (arguments after ``pip``; ``{PATH}`` in them stands for PATH), then the check again.
    """
    distribution, version, module = peer
    probe = (
        f"import importlib.metadata as m, {module}; "
        f"assert m.version({distribution!r}) == {version!r}"
    )
    python = path / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", probe], check=False).returncode == 0:
        return python
    print(f"creating the {what} environment in {path}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", path], check=True)
    for name, text in (files or {}).items():
        (path / name).write_text(text)
    for arguments in installs:
        pip = [python, "-m", "pip", "--quiet"]
        subprocess.run([*pip, *(a.replace("{PATH}", str(path)) for a in arguments)], check=True)
    subprocess.run([python, "-c", probe], check=True)
    return python


def write_results(
    name: str, title: str, rows: list[dict], notes: str = "", command: str | None = None
) -> pathlib.Path:
    """Replace section ``name`` of ``RESULTS.md`` with ``rows`` as a markdown table.

    ``command`` is the command that measured it (default ``python -m benchmarks.<name>``).
    """
    columns = list(rows[0])
    lines = [
        f"<!-- {name}:start -->",
        f"## {title}",
        "",
        f"`{command or f'python -m benchmarks.{name}'}` — {describe_machine()}",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(_cell(row[c]) for c in columns) + " |" for row in rows),
    ]
    if notes:
        lines += ["", notes.strip()]
    lines.append(f"<!-- {name}:end -->")
    section = "\n".join(lines)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else f"{text}\n{section}\n"
    RESULTS.write_text(text)
    print(section)
    return RESULTS


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)
