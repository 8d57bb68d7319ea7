/**
 * Styles of the head-scores view (scoped under `.mi-head-scores-view`).
 */

import { frameCss } from "../lib/frame";

const VIEW_CSS = `
.mi-head-scores-view .mi-source-switch {
  display: flex; flex-wrap: wrap; align-items: center; gap: 0; margin: 2px 0 6px; font-size: 12px;
}
.mi-head-scores-view .mi-source-switch[hidden] { display: none; }
.mi-head-scores-view .mi-source-switch-caption { color: var(--mi-muted); margin-right: 6px; }
.mi-head-scores-view .mi-source-option {
  position: relative; padding: 2px 10px; cursor: pointer; color: var(--mi-fg);
  border: 1px solid var(--mi-border); background: var(--mi-bg);
}
.mi-head-scores-view .mi-source-option + .mi-source-option { border-left: none; }
.mi-head-scores-view .mi-source-option:first-of-type { border-radius: 3px 0 0 3px; }
.mi-head-scores-view .mi-source-option:last-of-type { border-radius: 0 3px 3px 0; }
.mi-head-scores-view .mi-source-radio {
  position: absolute; opacity: 0; width: 1px; height: 1px; margin: 0; pointer-events: none;
}
.mi-head-scores-view .mi-source-option:has(.mi-source-radio:checked) {
  background: var(--mi-hover); border-color: var(--mi-accent); color: var(--mi-fg); font-weight: 700;
}
.mi-head-scores-view .mi-source-option:has(.mi-source-radio:focus-visible) {
  outline: 2px solid var(--mi-accent); outline-offset: 1px;
}
.mi-head-scores-view .mi-score-body {
  display: grid; grid-template-columns: auto auto; grid-template-rows: auto auto;
  width: max-content; max-width: 100%; overflow: auto;
}
.mi-head-scores-view .mi-score-corner {
  color: var(--mi-muted); font-size: 11px; align-self: end; justify-self: end;
  padding: 0 4px 2px 0; white-space: nowrap;
}
.mi-head-scores-view .mi-score-head-labels { display: flex; align-items: flex-end; }
.mi-head-scores-view .mi-score-layer-labels { display: flex; flex-direction: column; align-items: flex-end; }
.mi-head-scores-view .mi-score-label {
  flex: none; box-sizing: border-box; overflow: visible; white-space: nowrap;
  font-size: 11px; color: var(--mi-muted); font-variant-numeric: tabular-nums;
}
.mi-head-scores-view .mi-score-head-labels .mi-score-label { text-align: center; padding-bottom: 2px; }
.mi-head-scores-view .mi-score-layer-labels .mi-score-label { text-align: right; padding-right: 5px; }
.mi-head-scores-view .mi-score-label.mi-selected { color: var(--mi-accent); font-weight: 700; }
.mi-head-scores-view .mi-score-stack { position: relative; line-height: 0; }
.mi-head-scores-view .mi-score-grid { display: block; image-rendering: pixelated; max-width: none; }
.mi-head-scores-view .mi-score-overlay { position: absolute; left: 0; top: 0; cursor: pointer; max-width: none; }
.mi-head-scores-view .mi-axis-caption { color: var(--mi-muted); font-size: 11px; margin: 4px 0 8px; }
.mi-head-scores-view .mi-score-legend {
  display: flex; flex-wrap: wrap; align-items: flex-start; gap: 6px 14px; font-size: 11.5px;
}
.mi-head-scores-view .mi-score-legend-caption { color: var(--mi-fg); padding-top: 0; }
.mi-head-scores-view .mi-score-legend-scale { position: relative; width: 200px; padding-bottom: 16px; }
.mi-head-scores-view .mi-score-legend-bar {
  display: block; width: 200px; height: 12px; image-rendering: pixelated;
  border: 1px solid var(--mi-border); box-sizing: content-box;
}
.mi-head-scores-view .mi-score-legend-ticks { position: absolute; left: 1px; right: 1px; top: 15px; height: 14px; }
.mi-head-scores-view .mi-score-legend-tick {
  position: absolute; transform: translateX(-50%); color: var(--mi-muted);
  font-variant-numeric: tabular-nums; line-height: 1;
}
.mi-head-scores-view .mi-score-legend-tick:first-child { transform: none; }
.mi-head-scores-view .mi-score-legend-tick:last-child { transform: translateX(-100%); }
.mi-head-scores-view .mi-score-legend-na { display: inline-flex; align-items: center; gap: 5px; color: var(--mi-fg); }
.mi-head-scores-view .mi-score-legend-swatch {
  width: 12px; height: 12px; image-rendering: pixelated; border: 1px solid var(--mi-border);
}
`;

export const HEAD_SCORES_CSS = frameCss("mi-head-scores-view", VIEW_CSS);
