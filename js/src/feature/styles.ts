/**
 * Styles of the feature dashboard (scoped under `.mi-feature-dashboard`).
 */

import { EXAMPLES_CSS } from "../lib/examples";
import { frameCss } from "../lib/frame";
import { SPANS_CSS } from "../lib/spans";
import { TOKEN_CSS } from "../lib/tokens";
import { ROW_HEIGHT } from "./virtual";

const VIEW_CSS = `
.mi-feature-dashboard [hidden] { display: none !important; }
.mi-feature-dashboard .mi-list-count, .mi-feature-dashboard .mi-box-note, .mi-feature-dashboard .mi-probe-status { color: var(--mi-muted); }
.mi-feature-dashboard .mi-help { margin: 2px 0 6px; }
.mi-feature-dashboard button:disabled, .mi-feature-dashboard textarea:disabled { opacity: 0.55; cursor: not-allowed; }
.mi-feature-dashboard .mi-fd-body { display: flex; gap: 14px; height: 640px; }
.mi-feature-dashboard .mi-fd-side { flex: 0 0 330px; display: flex; flex-direction: column; min-height: 0; }
.mi-feature-dashboard .mi-fd-controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
.mi-feature-dashboard .mi-feature-search { flex: 1 1 150px; min-width: 0; }
.mi-feature-dashboard .mi-hide-dead-label { white-space: nowrap; color: var(--mi-muted); }
.mi-feature-dashboard .mi-feature-list {
  position: relative; flex: 1 1 auto; min-height: 0; overflow-y: auto; overflow-x: hidden;
  border: 1px solid var(--mi-border); border-radius: 3px; contain: strict;
}
.mi-feature-dashboard .mi-feature-row {
  display: grid; grid-template-columns: 4.2em 5.6em 5em minmax(0, 1fr); gap: 6px; align-items: center;
  box-sizing: border-box; height: ${ROW_HEIGHT}px; padding: 0 6px; font-family: var(--mi-mono); font-size: 12px;
  white-space: nowrap; cursor: pointer;
}
.mi-feature-dashboard .mi-feature-list .mi-feature-row { position: absolute; top: 0; left: 0; right: 0; will-change: transform; }
.mi-feature-dashboard .mi-feature-row > span { overflow: hidden; text-overflow: ellipsis; }
.mi-feature-dashboard .mi-fr-index, .mi-feature-dashboard .mi-fr-density, .mi-feature-dashboard .mi-fr-max { text-align: right; }
.mi-feature-dashboard .mi-list-columns { cursor: default; color: var(--mi-muted); font-family: var(--mi-font); font-size: 11.5px; }
.mi-feature-dashboard .mi-feature-row:hover { background: var(--mi-hover); }
.mi-feature-dashboard .mi-feature-row.mi-current { box-shadow: inset 3px 0 0 var(--mi-accent); font-weight: 700; background: var(--mi-hover); }
.mi-feature-dashboard .mi-feature-row.mi-cursor { outline: 1px dashed var(--mi-accent); outline-offset: -1px; }
.mi-feature-dashboard .mi-feature-row.mi-dead { color: var(--mi-muted); }
.mi-feature-dashboard .mi-feature-row.mi-not-embedded { opacity: 0.5; }
.mi-feature-dashboard .mi-list-count { font-size: 11.5px; margin-top: 4px; }
.mi-feature-dashboard .mi-fd-main { flex: 1 1 auto; min-width: 0; overflow: auto; padding-right: 4px; }
.mi-feature-dashboard .mi-feature-title { margin: 0 0 2px; font-size: 15px; }
.mi-feature-dashboard .mi-feature-stats { color: var(--mi-muted); margin-bottom: 6px; }
.mi-feature-dashboard .mi-fd-row { display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: flex-start; }
.mi-feature-dashboard .mi-box { margin: 4px 0 10px; }
.mi-feature-dashboard .mi-box-title { font-weight: 600; margin-bottom: 4px; }
.mi-feature-dashboard .mi-box-note { font-size: 11.5px; font-style: italic; }
.mi-feature-dashboard .mi-histogram { display: block; border-bottom: 1px solid var(--mi-border); }
.mi-feature-dashboard .mi-histogram-axis { display: flex; justify-content: space-between; font-size: 11px; color: var(--mi-muted); width: 360px; }
.mi-feature-dashboard .mi-logits { border-collapse: collapse; font-size: 12px; }
.mi-feature-dashboard .mi-logits th { text-align: left; font-weight: 600; color: var(--mi-muted); padding: 0 6px 2px 0; }
.mi-feature-dashboard .mi-logits td { padding: 0 10px 0 0; max-width: 12em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.mi-feature-dashboard .mi-logits td.mi-box-note { white-space: normal; max-width: 22em; }
.mi-feature-dashboard .mi-logit-value { font-family: var(--mi-mono); text-align: right; }
.mi-feature-dashboard .mi-logit-value.mi-raised { color: #b03a1e; }
.mi-feature-dashboard .mi-logit-value.mi-lowered { color: #2f6fb3; }
.mi-feature-dashboard.mi-dark .mi-logit-value.mi-raised { color: #f0a35e; }
.mi-feature-dashboard.mi-dark .mi-logit-value.mi-lowered { color: #7fb8e8; }
.mi-feature-dashboard .mi-nearest { display: flex; flex-direction: column; gap: 2px; }
.mi-feature-dashboard .mi-neighbour {
  display: grid; grid-template-columns: 4.5em 3.5em minmax(0, 9em); gap: 6px; text-align: left;
  font-family: var(--mi-mono); font-size: 12px; padding: 1px 6px;
}
.mi-feature-dashboard .mi-neighbour > span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.mi-feature-dashboard .mi-examples-rows { max-height: none; overflow: visible; }
.mi-feature-dashboard .mi-probe-form { display: flex; gap: 6px; align-items: flex-start; }
.mi-feature-dashboard .mi-probe-input { flex: 1 1 auto; min-height: 2.6em; resize: vertical; font-family: var(--mi-mono); font-size: 12px; }
.mi-feature-dashboard .mi-probe-status { font-style: italic; margin: 3px 0; }
.mi-feature-dashboard .mi-probe-status.mi-probe-error { font-style: normal; color: #c0392b; }
.mi-feature-dashboard .mi-probe-text {
  white-space: pre-wrap; overflow-wrap: anywhere; font-family: var(--mi-mono); font-size: 12.5px; line-height: 1.7;
}
.mi-feature-dashboard .mi-probe-text:empty { display: none; }
.mi-feature-dashboard .mi-probe-text.mi-stale, .mi-feature-dashboard.mi-loading .mi-fd-panels { opacity: 0.4; }
.mi-feature-dashboard .mi-interval { margin: 6px 0 8px; content-visibility: auto; contain-intrinsic-size: auto 120px; }
.mi-feature-dashboard .mi-interval-label { font-family: var(--mi-mono); font-size: 12px; color: var(--mi-muted); margin-bottom: 2px; }
`;

export const FEATURE_CSS = frameCss("mi-feature-dashboard", VIEW_CSS, { parts: [TOKEN_CSS, SPANS_CSS, EXAMPLES_CSS], titleFills: false });
