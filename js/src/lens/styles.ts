/** The lens view's stylesheet (scoped under `.mi-lens-view`). */

import { THEME_CSS } from "../lib/theme";
import { TOKEN_CSS } from "../lib/tokens";
import { TOOLTIP_CSS } from "../lib/tooltip";

const v = ".mi-lens-view";

const VIEW_CSS = `
${v} { position: relative; box-sizing: border-box; padding: 8px 10px 10px; font-size: 13px; line-height: 1.35; border-radius: 4px; outline: none; max-width: 100%; }
${v}:focus-visible { outline: 2px solid var(--mi-accent); outline-offset: -2px; }
${v} .mi-header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; }
${v} .mi-title { font-weight: 600; font-size: 14px; flex: 1 1 240px; min-width: 0; overflow-wrap: anywhere; }
${v} .mi-selection { margin-top: 4px; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; white-space: pre-wrap; }
${v} .mi-help { color: var(--mi-muted); font-size: 11.5px; margin: 2px 0 8px; }
${v} select, ${v} button { font: inherit; color: var(--mi-fg); background: var(--mi-panel); border: 1px solid var(--mi-border); border-radius: 3px; padding: 2px 6px; }
${v} select { font-family: var(--mi-mono); max-width: 320px; }
${v} button { cursor: pointer; }
${v} .mi-lens-body { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
${v} .mi-lens-scroll { max-width: 100%; overflow: auto; }
${v} .mi-lens-grid-box { display: grid; grid-template-columns: auto auto; width: max-content; }
${v} .mi-lens-corner { color: var(--mi-muted); font-size: 11px; align-self: end; justify-self: end; padding: 0 4px 2px 0; white-space: nowrap; }
${v} .mi-lens-columns { display: flex; align-items: flex-end; }
${v} .mi-lens-rows { display: flex; flex-direction: column; align-items: flex-end; }
${v} .mi-lens-label { flex: none; box-sizing: border-box; overflow: hidden; white-space: pre; font-size: 11px; color: var(--mi-muted); font-family: var(--mi-mono); unicode-bidi: isolate; text-overflow: ellipsis; }
${v} .mi-lens-columns .mi-lens-label { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; max-height: 110px; padding: 0 0 2px; }
${v} .mi-lens-rows .mi-lens-label { text-align: right; padding-right: 5px; }
${v} .mi-lens-label.mi-selected { color: var(--mi-accent); font-weight: 700; }
${v} .mi-lens-stack { position: relative; line-height: 0; }
${v} .mi-lens-grid { display: block; max-width: none; }
${v} .mi-lens-overlay { position: absolute; left: 0; top: 0; cursor: pointer; max-width: none; }
${v} .mi-lens-legend { display: flex; align-items: center; gap: 6px; font-size: 11.5px; margin-top: 6px; color: var(--mi-muted); }
${v} .mi-lens-legend canvas { width: 200px; height: 12px; image-rendering: pixelated; border: 1px solid var(--mi-border); }
${v} .mi-panel { border: 1px solid var(--mi-border); border-radius: 4px; padding: 6px 8px; background: var(--mi-panel); font-size: 12px; }
${v} .mi-panel h4 { margin: 0 0 4px; font-size: 12px; font-weight: 600; overflow-wrap: anywhere; white-space: pre-wrap; }
${v} .mi-lens-chart { display: block; width: 420px; height: 220px; max-width: none; }
${v} .mi-lens-note { color: var(--mi-muted); font-size: 11.5px; margin-top: 4px; max-width: 420px; }
${v} [hidden] { display: none; }
${v} .mi-tooltip { line-height: 1.4; }
`;

export const LENS_CSS = THEME_CSS + TOOLTIP_CSS + TOKEN_CSS + VIEW_CSS;
