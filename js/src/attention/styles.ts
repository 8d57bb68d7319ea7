/**
 * Styles of the attention view (scoped under `.mi-attention-view`).
 */

import { frameCss } from "../lib/frame";
import { TOKEN_CSS } from "../lib/tokens";

const VIEW_CSS = `
.mi-attention-view .mi-heads { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 10px; }
.mi-attention-view .mi-head {
  display: flex; flex-direction: column; align-items: center;
  cursor: pointer; font-size: 11px; color: var(--mi-muted);
}
.mi-attention-view .mi-head.mi-selected { color: var(--mi-fg); font-weight: 600; }
.mi-attention-view .mi-head-thumb {
  width: 56px; height: 56px;
  image-rendering: pixelated;
  border: 1px solid var(--mi-border);
  margin: 2px;
}
.mi-attention-view .mi-head-thumb.mi-selected { outline: 2px solid var(--mi-accent); outline-offset: 1px; }
.mi-attention-view .mi-scroll {
  max-width: min(100%, 620px);
  max-height: 600px;
  overflow: auto;
  width: max-content;
}
.mi-attention-view .mi-grid { display: grid; grid-template-columns: auto auto; grid-template-rows: auto auto; }
.mi-attention-view .mi-key-labels { display: flex; align-items: stretch; }
.mi-attention-view .mi-query-labels { display: flex; flex-direction: column; align-items: flex-end; }
.mi-attention-view .mi-axis-label {
  overflow: hidden; text-overflow: ellipsis; white-space: pre;
  color: var(--mi-fg); cursor: pointer; box-sizing: border-box;
}
.mi-attention-view .mi-query-labels .mi-axis-label { max-width: 120px; text-align: right; padding-right: 4px; }
.mi-attention-view .mi-key-labels .mi-axis-label {
  height: 100%; writing-mode: vertical-rl; transform: rotate(180deg);
  text-align: left; padding-top: 4px; flex: none;
}
.mi-attention-view .mi-axis-label.mi-hover { background: var(--mi-hover); }
.mi-attention-view .mi-axis-label.mi-locked { color: var(--mi-accent); font-weight: 700; }
.mi-attention-view .mi-canvas-stack { position: relative; line-height: 0; }
.mi-attention-view .mi-heatmap-main { display: block; image-rendering: pixelated; }
.mi-attention-view .mi-heatmap-main, .mi-attention-view .mi-heatmap-overlay { max-width: none; max-height: none; }
.mi-attention-view .mi-heatmap-overlay { position: absolute; left: 0; top: 0; cursor: crosshair; }
.mi-attention-view .mi-axis-caption { color: var(--mi-muted); font-size: 11px; margin: 4px 0 8px; }
.mi-attention-view.mi-loading .mi-heads, .mi-attention-view.mi-loading .mi-body { opacity: 0.35; }
.mi-attention-view .mi-token-strip {
  display: flex; flex-wrap: wrap; gap: 2px;
  max-height: 180px; overflow: auto;
  padding: 4px 0; border-top: 1px solid var(--mi-border);
}
.mi-attention-view .mi-token-chunk {
  display: flex; flex-wrap: wrap; gap: 2px; width: 100%;
  content-visibility: auto; contain-intrinsic-size: auto 400px;
}
.mi-attention-view .mi-token {
  padding: 1px 3px; border-radius: 2px; cursor: pointer;
  border: 1px solid var(--mi-border); font-size: 12px; line-height: 1.4;
}
.mi-attention-view .mi-token.mi-hover { box-shadow: 0 0 0 1px var(--mi-accent); }
.mi-attention-view .mi-token.mi-query { outline: 2px solid var(--mi-accent); outline-offset: 0; }
.mi-attention-view .mi-token.mi-locked { font-weight: 700; }
`;

export const ATTENTION_CSS = frameCss("mi-attention-view", VIEW_CSS, { parts: [TOKEN_CSS], titleFills: false });
