"""Accessibility audits with axe-core (a dev dependency of ``js/``, injected into the page)."""

from __future__ import annotations

import pathlib

AXE = pathlib.Path(__file__).resolve().parents[2] / "js/node_modules/axe-core/axe.min.js"
#: Impacts that fail an audit.
BLOCKING = ("serious", "critical")


def audit(page, selector: str) -> list[dict]:
    """axe-core's violations inside the elements matching ``selector``: dicts with ``id``,
    ``impact``, ``help`` and ``nodes`` (the offending elements' HTML)."""
    if not AXE.exists():
        raise FileNotFoundError(
            f"{AXE} not found: run `npm ci` in js/ (axe-core is a dev dependency)"
        )
    page.add_script_tag(content=AXE.read_text())
    return page.evaluate(
        """async (selector) => {
          const result = await axe.run({include: [...document.querySelectorAll(selector)]},
                                       {resultTypes: ['violations']});
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.html.slice(0, 160)),
          }));
        }""",
        selector,
    )


def blocking(violations: list[dict]) -> list[dict]:
    """The violations of serious or critical impact."""
    return [v for v in violations if v["impact"] in BLOCKING]
