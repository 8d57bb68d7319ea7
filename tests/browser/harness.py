"""Drive Debian's Chromium (through Playwright) and a JupyterLab server for tests and scripts.

Chromium is Debian's (``/usr/bin/chromium``); it is never downloaded.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from typing import ClassVar

CHROMIUM = os.environ.get("MI_WIDGETS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch_chromium(playwright):
    """Debian's Chromium, headless, with no background network traffic."""
    if not pathlib.Path(CHROMIUM).exists():
        raise FileNotFoundError(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class OfflinePage:
    """A page whose every http(s) request is aborted and recorded."""

    def __init__(
        self, browser, color_scheme: str = "light", viewport: tuple[int, int] = (1200, 900)
    ) -> None:
        self.context = browser.new_context(
            color_scheme=color_scheme,
            accept_downloads=True,
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._on_dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "blob:", "data:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(
        self,
        path: pathlib.Path,
        ready: str = ".mi-attention-view[data-ready='true']",
        timeout_ms: int = 30_000,
    ):
        self.page.goto(path.resolve().as_uri(), timeout=timeout_ms)
        self.page.wait_for_selector(ready, timeout=timeout_ms)
        return self.page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterServer:
    """A Jupyter front-end server (subclasses: JupyterLab, Notebook 7) on a free port, with
    its own config, runtime and notebook dirs."""

    #: ``python -m <module> <options>`` starts the server.
    module = ""
    options: tuple[str, ...] = ()
    #: Written to ``labconfig/page_config.json``.
    page_config: ClassVar[dict] = {}
    #: URL path of a notebook, under the server's base URL.
    tree = ""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.notebooks = root / "notebooks"
        self.notebooks.mkdir()
        config = root / "config"
        (config / "labconfig").mkdir(parents=True)
        (config / "labconfig" / "page_config.json").write_text(json.dumps(self.page_config))
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "HF_HUB_OFFLINE": "1",
        }
        self.log = open(root / "jupyter.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                self.module,
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.notebooks}",
                "--allow-root",
                *self.options,
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def wait_for_kernel(self, page) -> None:
        """Wait until the kernel of the notebook open in ``page`` is idle."""
        page.wait_for_function(
            """() => {
              const context = window.jupyterapp?.shell?.currentWidget?.sessionContext;
              return Boolean(context?.session?.kernel) && context.kernelDisplayStatus === "idle";
            }""",
            timeout=60_000,
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.base}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.root / "jupyter.log").read_text()
                raise RuntimeError(f"{type(self).__name__} server exited: {log}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"the {type(self).__name__} server did not answer within 60 s")

    def write_notebook(self, name: str, cells: list[str]) -> str:
        notebook = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for source in cells
            ],
            "metadata": {
                "kernelspec": {
                    "name": "python3",
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                }
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (self.notebooks / name).write_text(json.dumps(notebook))
        return f"{self.base}/{self.tree}/{name}?token={self.token}&reset"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class JupyterLab(JupyterServer):
    """A JupyterLab server."""

    module = "jupyterlab"
    page_config: ClassVar[dict] = {  # no news toast over the notebook
        "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}
    }
    options = (
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",
    )
    tree = "lab/tree"

    def wait_for_kernel(self, page) -> None:
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)


class Notebook7(JupyterServer):
    """A Jupyter Notebook 7 server (the ``notebook`` package)."""

    module = "notebook"
    # the flag: `--JupyterNotebookApp.expose_app_in_browser=True` is not applied (7.6.5)
    options = ("--expose-app-in-browser",)
    tree = "notebooks"


#: Runs code in the notebook's kernel from the page; resolves to the code's stdout.
RUN_IN_KERNEL = """async (code) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  const future = kernel.requestExecute({code});
  let out = "";
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === "stream") out += msg.content.text;
    if (msg.header.msg_type === "error") out += "ERROR " + msg.content.ename + ": " + msg.content.evalue;
  };
  await future.done;
  return out;
}"""


class LiveNotebook:
    """A notebook open in JupyterLab (or Notebook 7) whose cells have run."""

    def __init__(self, browser, lab: JupyterServer, name: str, cells: list[str]) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss())
        )
        self.page.goto(lab.write_notebook(name, cells))
        lab.wait_for_kernel(self.page)
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def run(self, code: str) -> str:
        """Run ``code`` in the kernel; returns its stdout (errors are raised)."""
        out = self.page.evaluate(RUN_IN_KERNEL, code)
        if out.startswith("ERROR") or "\nERROR " in out:
            raise AssertionError(out)
        return out

    def wait_for_kernel_value(self, expression: str, expected: str, timeout: float = 10) -> str:
        """Poll ``print(expression)`` in the kernel until it prints ``expected``."""
        deadline = time.monotonic() + timeout
        value = ""
        while time.monotonic() < deadline:
            value = self.run(f"print({expression})").strip()
            if value == expected:
                return value
            time.sleep(0.2)
        raise AssertionError(f"{expression} is {value!r} in the kernel, expected {expected!r}")

    def close(self) -> None:
        self.context.close()
