/** Styles of the graph view (scoped under `.mi-graph-view`). */

import { EXAMPLES_CSS } from "../lib/examples";
import { frameCss } from "../lib/frame";
import { SPANS_CSS } from "../lib/spans";
import { TOKEN_CSS } from "../lib/tokens";

const VIEW_CSS = `
.mi-graph-view .mi-graph-controls { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; margin: 4px 0; }
.mi-graph-view .mi-graph-controls label { display: inline-flex; gap: 4px; align-items: center; color: var(--mi-muted); }
.mi-graph-view .mi-graph-controls output { font-family: var(--mi-mono); min-width: 3em; color: var(--mi-fg); }
.mi-graph-view button:disabled { opacity: 0.55; cursor: not-allowed; }
.mi-graph-view .mi-graph-stack { position: relative; overflow-x: auto; }
.mi-graph-view .mi-graph-canvas, .mi-graph-view .mi-graph-overlay { display: block; }
.mi-graph-view .mi-graph-overlay { position: absolute; left: 0; top: 0; cursor: pointer; }
.mi-graph-view .mi-graph-axis { position: relative; height: 22px; }
.mi-graph-view .mi-graph-axis .mi-tok { position: absolute; top: 2px; text-align: center; font-size: 11px; overflow: hidden; text-overflow: ellipsis; }
.mi-graph-view .mi-graph-nodes { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.mi-graph-view .mi-graph-side { display: flex; flex-wrap: wrap; gap: 10px 18px; margin-top: 6px; }
.mi-graph-view .mi-graph-card, .mi-graph-view .mi-graph-result { border: 1px solid var(--mi-border); border-radius: 4px; padding: 6px 8px; background: var(--mi-panel); font-size: 12px; }
.mi-graph-view .mi-graph-card { flex: 1 1 480px; min-width: 0; }
.mi-graph-view .mi-box-title { font-weight: 600; margin-bottom: 4px; }
.mi-graph-view .mi-card-status, .mi-graph-view .mi-graph-note { color: var(--mi-muted); font-style: italic; }
.mi-graph-view .mi-card-row { display: flex; flex-wrap: wrap; gap: 8px 18px; }
.mi-graph-view .mi-card-empty .mi-card-row, .mi-graph-view .mi-card-empty .mi-examples { display: none; }
.mi-graph-view .mi-histogram { display: block; border-bottom: 1px solid var(--mi-border); }
.mi-graph-view .mi-logits { border-collapse: collapse; }
.mi-graph-view .mi-logits th { text-align: left; font-weight: 600; color: var(--mi-muted); padding: 0 6px 2px 0; }
.mi-graph-view .mi-logits td { padding: 0 10px 0 0; max-width: 12em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.mi-graph-view .mi-logit-value { font-family: var(--mi-mono); text-align: right; }
.mi-graph-view .mi-graph-result table { border-collapse: collapse; font-family: var(--mi-mono); }
.mi-graph-view .mi-graph-result td, .mi-graph-view .mi-graph-result th { padding: 0 10px 0 0; text-align: left; }
.mi-graph-view .mi-graph-error { color: #c0392b; }
`;

export const GRAPH_CSS = frameCss("mi-graph-view", VIEW_CSS, { parts: [TOKEN_CSS, SPANS_CSS, EXAMPLES_CSS] });
