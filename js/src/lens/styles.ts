/** The lens view's stylesheet (scoped under `.mi-lens-view`). */

import { frameCss } from "../lib/frame";
import { TOKEN_CSS } from "../lib/tokens";

const v = ".mi-lens-view";

const VIEW_CSS = `
${v} .mi-selection { white-space: pre-wrap; }
${v} select { font-family: var(--mi-mono); max-width: 320px; }
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
${v} .mi-panel h4 { overflow-wrap: anywhere; white-space: pre-wrap; }
${v} .mi-lens-chart { display: block; width: 420px; height: 220px; max-width: none; }
${v} .mi-lens-note { color: var(--mi-muted); font-size: 11.5px; margin-top: 4px; max-width: 420px; }
`;

export const LENS_CSS = frameCss("mi-lens-view", VIEW_CSS, { parts: [TOKEN_CSS] });
