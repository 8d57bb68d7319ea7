/**
 * The frame every view built on `ValueGrid` shares (header, title, subtitle, help line,
 * buttons, panels), scoped under the view's root class.
 */

import { THEME_CSS } from "./theme";
import { TOKEN_CSS } from "./tokens";
import { TOOLTIP_CSS } from "./tooltip";
import { VALUE_GRID_CSS } from "./value_grid";

/** The stylesheet of a view whose root has class `cls`, plus its own `extra` rules. */
export function gridViewCss(cls: string, extra: string): string {
  const v = `.${cls}`;
  return `${THEME_CSS}${TOOLTIP_CSS}${TOKEN_CSS}${VALUE_GRID_CSS}
${v} { position: relative; box-sizing: border-box; padding: 8px 10px 10px; font-size: 13px; line-height: 1.35; border-radius: 4px; outline: none; max-width: 100%; }
${v}:focus-visible { outline: 2px solid var(--mi-accent); outline-offset: -2px; }
${v} .mi-header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; }
${v} .mi-title { font-weight: 600; font-size: 14px; flex: 1 1 240px; min-width: 0; overflow-wrap: anywhere; }
${v} .mi-subtitle { color: var(--mi-muted); font-size: 12px; margin-top: 2px; overflow-wrap: anywhere; }
${v} .mi-selection { margin-top: 4px; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
${v} .mi-help { color: var(--mi-muted); font-size: 11.5px; margin: 2px 0 8px; }
${v} select, ${v} button { font: inherit; color: var(--mi-fg); background: var(--mi-panel); border: 1px solid var(--mi-border); border-radius: 3px; padding: 2px 6px; }
${v} button { cursor: pointer; }
${v} .mi-body { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
${v} .mi-panel { border: 1px solid var(--mi-border); border-radius: 4px; padding: 6px 8px; background: var(--mi-panel); font-size: 12px; }
${v} .mi-panel h4 { margin: 0 0 4px; font-size: 12px; font-weight: 600; }
${v} [hidden] { display: none; }
${v} .mi-tooltip { line-height: 1.4; }
${extra}`;
}
