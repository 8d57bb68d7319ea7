/**
 * The frame every view shares: a focusable themed root with its stylesheet, a header (title,
 * the view's controls, "save PNG") and a line of key help; and the frame's CSS.
 */

import { make } from "./dom";
import { saveButton } from "./png";
import { THEME_CSS } from "./theme";
import { TOOLTIP_CSS } from "./tooltip";

export interface Frame {
  root: HTMLDivElement;
  header: HTMLDivElement;
  title: HTMLSpanElement;
  /** The "save PNG" button, last in the header: a view's controls go before it. */
  save: HTMLButtonElement;
  /** The key help line under the header: a view's status lines go before it. */
  help: HTMLDivElement;
}

export interface FrameOptions {
  /** The root's class (the stylesheet's scope). */
  className: string;
  css: string;
  /** The key help line's text. */
  help: string;
  /** The save action (omitted: the view listens to `save` itself). */
  onSave?: () => void;
}

/** A view's focusable root `div.mi-root.<className>` with its stylesheet `css` inside. */
export function viewRoot(doc: Document, className: string, css: string): HTMLDivElement {
  const root = make(doc, "div", `mi-root ${className}`);
  root.tabIndex = 0;
  root.dataset.lmSuppressShortcuts = "true"; // JupyterLab leaves our keys to us
  root.setAttribute("role", "group");
  make(doc, "style", "", root).textContent = css;
  return root;
}

/** Build root > header (title, save) > help; the view adds its controls and body. */
export function buildFrame(doc: Document, options: FrameOptions): Frame {
  const root = viewRoot(doc, options.className, options.css);
  const header = make(doc, "div", "mi-header", root);
  const title = make(doc, "span", "mi-title", header);
  const save = saveButton(doc, options.onSave ?? (() => {}));
  header.appendChild(save);
  const help = make(doc, "div", "mi-help", root);
  help.textContent = options.help;
  return { root, header, title, save, help };
}

/** A line `div.<className>` under the header (before the help); `live`: read out when it changes. */
export function frameLine(frame: Frame, className: string, live = false): HTMLDivElement {
  const line = make(frame.root.ownerDocument, "div", className);
  if (live) line.setAttribute("aria-live", "polite");
  frame.help.before(line);
  return line;
}

export interface FrameCssOptions {
  /** Stylesheets of shared pieces the view uses (tokens, examples, value grid...). */
  parts?: string[];
  /**
   * The title takes the header's free width (the controls go right) and its tooltips wrap
   * lines loosely; false for views that push the controls right with a `.mi-spacer`.
   */
  titleFills?: boolean;
}

/** The stylesheet of a view whose root has class `cls`: theme, tooltip, parts, frame, then `extra`. */
export function frameCss(cls: string, extra: string, options: FrameCssOptions = {}): string {
  const v = `.${cls}`;
  const titleLine = options.titleFills ?? true
    ? `${v} .mi-title { flex: 1 1 240px; min-width: 0; overflow-wrap: anywhere; }
${v} .mi-subtitle { font-size: 12px; margin-top: 2px; overflow-wrap: anywhere; }
${v} .mi-tooltip { line-height: 1.4; }
`
    : "";
  return `${THEME_CSS}${TOOLTIP_CSS}${(options.parts ?? []).join("")}
${v} { position: relative; box-sizing: border-box; padding: 8px 10px 10px; font-size: 13px; line-height: 1.35; border-radius: 4px; outline: none; max-width: 100%; }
${v}:focus-visible { outline: 2px solid var(--mi-accent); outline-offset: -2px; }
${v} [hidden] { display: none; }
${v} .mi-header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; }
${v} .mi-title { font-weight: 600; font-size: 14px; }
${v} .mi-subtitle { color: var(--mi-muted); }
${v} .mi-status { color: var(--mi-muted); font-style: italic; }
${v} .mi-spacer { flex: 1 1 auto; }
${v} .mi-selection { margin-top: 4px; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
${v} .mi-help { color: var(--mi-muted); font-size: 11.5px; margin: 2px 0 8px; }
${v} select, ${v} button, ${v} input, ${v} textarea { font: inherit; color: var(--mi-fg); background: var(--mi-panel); border: 1px solid var(--mi-border); border-radius: 3px; padding: 2px 6px; }
${v} button { cursor: pointer; }
${v} .mi-panel { border: 1px solid var(--mi-border); border-radius: 4px; padding: 6px 8px; background: var(--mi-panel); font-size: 12px; }
${v} .mi-panel h4 { margin: 0 0 4px; font-size: 12px; font-weight: 600; }
${v} .mi-missing { padding: 14px 12px; margin: 6px 0 10px; border: 1px dashed var(--mi-border); border-radius: 4px; color: var(--mi-fg); background: var(--mi-panel); }
${titleLine}${extra}`;
}
