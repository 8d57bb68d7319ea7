/**
 * Styles of the neuron view (scoped under `.mi-neuron-view`).
 */

import { EXAMPLES_CSS } from "../lib/examples";
import { frameCss } from "../lib/frame";
import { SPANS_CSS } from "../lib/spans";
import { TOKEN_CSS } from "../lib/tokens";

const VIEW_CSS = `
.mi-neuron-view .mi-neuron-input { width: 6em; }
.mi-neuron-view .mi-help { margin: 2px 0 6px; }
.mi-neuron-view .mi-legend { display: flex; align-items: center; gap: 10px; margin: 4px 0 6px; font-size: 12px; }
.mi-neuron-view .mi-legend-scale { position: relative; display: inline-block; width: 256px; padding-bottom: 14px; margin: 0 28px; }
.mi-neuron-view .mi-legend-bar { display: block; width: 256px; height: 10px; border: 1px solid var(--mi-border); image-rendering: pixelated; }
.mi-neuron-view .mi-legend-tick { position: absolute; top: 12px; transform: translateX(-50%); color: var(--mi-muted); font-size: 11px; white-space: nowrap; }
.mi-neuron-view .mi-bar-scroll { overflow-x: auto; max-width: 100%; margin-bottom: 6px; line-height: 0; }
.mi-neuron-view .mi-neuron-bar { image-rendering: pixelated; cursor: pointer; border: 1px solid var(--mi-border); }
.mi-neuron-view .mi-body { display: flex; gap: 14px; align-items: flex-start; flex-wrap: wrap; }
.mi-neuron-view .mi-neuron-text {
  flex: 1 1 420px; min-width: 260px; max-height: 420px; overflow: auto;
  white-space: pre-wrap; overflow-wrap: anywhere; font-family: var(--mi-mono); font-size: 12.5px; line-height: 1.7;
  padding: 6px; border: 1px solid var(--mi-border); border-radius: 3px;
}
.mi-neuron-view .mi-side { flex: 0 1 250px; min-width: 200px; display: flex; flex-direction: column; gap: 8px; }
.mi-neuron-view .mi-at-title { font-weight: 600; margin-bottom: 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
.mi-neuron-view .mi-at-list { display: flex; flex-direction: column; gap: 2px; }
.mi-neuron-view .mi-top-neuron, .mi-neuron-view .mi-neuron-item {
  display: flex; justify-content: space-between; gap: 8px; width: 100%; text-align: left;
  font-family: var(--mi-mono); font-size: 12px; padding: 1px 6px;
}
.mi-neuron-view .mi-top-neuron.mi-current, .mi-neuron-view .mi-neuron-item.mi-current { border-color: var(--mi-accent); font-weight: 700; }
.mi-neuron-view .mi-neuron-list { list-style: none; margin: 4px 0 0; padding: 0; max-height: 260px; overflow: auto; }
.mi-neuron-view summary { cursor: pointer; color: var(--mi-muted); }
.mi-neuron-view.mi-loading .mi-body { opacity: 0.35; }
.mi-neuron-view .mi-examples { margin-top: 10px; border-top: 1px solid var(--mi-border); padding-top: 6px; }
`;

export const NEURON_CSS = frameCss("mi-neuron-view", VIEW_CSS, { parts: [TOKEN_CSS, SPANS_CSS, EXAMPLES_CSS], titleFills: false });
