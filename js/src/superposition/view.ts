/**
 * SuperpositionView: a toy model of superposition at each sparsity (the columns of W as
 * vectors, feature norms and dimensionality, the interference WᵀW).
 *
 * Bundle `superposition.js` = `defineView` of the controller below (`mi_widgets/widgets/views.json`).
 *
 * The superposition view controller: sparsity selector, the three panels, tooltips with exact
 * values, clicks and keys, kept in step with the model.
 */

import type { AnyModel } from "@anywidget/types";
import { decode, type Decoded } from "../lib/binary";
import { clampIndex } from "../lib/clamp";
import { Controller } from "../lib/controller";
import { make } from "../lib/dom";
import { buildFrame, frameCss, frameLine } from "../lib/frame";
import type { KeyAction } from "../lib/keyboard";
import { canvasPoint, formatNumber, fromPx, nearestPoint, type Frame } from "../lib/plot";
import { savePanels } from "../lib/png";
import { themeColors } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import type { Model } from "./model";
import { interferenceCell, paintBars, paintInterference, paintVectors, vectorLimit, type ToyModel } from "./panels";

const DATA = 1;
const SELECTION = 2;
const THEME = 4;

export const TOY_KEY_HELP = "←/→ sparsity · ↑/↓ feature · hover for exact values · click a feature to select it · Esc clear";

const CSS = frameCss(
  "mi-superposition-view",
  `.mi-superposition-view .mi-selection { white-space: pre-wrap; }
.mi-superposition-view .mi-toy-body { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
.mi-superposition-view .mi-toy-panel h4 { margin: 0 0 4px; font-size: 12px; font-weight: 600; }
.mi-superposition-view .mi-toy-note { color: var(--mi-muted); font-size: 11.5px; max-width: 260px; margin-top: 4px; }
.mi-superposition-view canvas { display: block; max-width: none; cursor: crosshair; }
.mi-superposition-view .mi-toy-interference { image-rendering: pixelated; }
`,
);

interface Dom {
  root: HTMLDivElement;
  title: HTMLSpanElement;
  select: HTMLSelectElement;
  selection: HTMLDivElement;
  vectorPanel: HTMLDivElement;
  vectors: HTMLCanvasElement;
  bars: HTMLCanvasElement;
  interference: HTMLCanvasElement;
  scaleNote: HTMLDivElement;
  tooltip: Tooltip;
}

function panel(doc: Document, parent: HTMLElement, heading: string, note: string): HTMLDivElement {
  const el = make(doc, "div", "mi-toy-panel", parent);
  make(doc, "h4", "", el).textContent = heading;
  make(doc, "div", "mi-toy-note", el).textContent = note;
  return el;
}

function buildDom(doc: Document, onSave: () => void): Dom {
  const frame = buildFrame(doc, { className: "mi-superposition-view", css: CSS, help: TOY_KEY_HELP, onSave });
  const { root, title } = frame;
  const select = make(doc, "select", "mi-toy-sparsity");
  select.setAttribute("aria-label", "Sparsity");
  frame.save.before(select);
  const selection = frameLine(frame, "mi-selection", true);
  const body = make(doc, "div", "mi-toy-body", root);
  const vectorPanel = panel(doc, body, "Columns of W", "where each feature is written in the hidden space; dotted: unit circle");
  const vectors = make(doc, "canvas", "mi-toy-vectors", vectorPanel);
  vectors.width = 260;
  vectors.height = 242; // a square plot area (202 px each way) inside the margins
  const barPanel = panel(doc, body, "Norm and dimensionality", "bar: ‖W_i‖ (represented when > 0.5) · dot: dimensionality D_i (1 own dimension, 1/2 antipodal pair, 2/5 pentagon)");
  const bars = make(doc, "canvas", "mi-toy-bars", barPanel);
  bars.width = 280;
  bars.height = 200;
  const heatPanel = panel(doc, body, "Interference WᵀW", "row i, column j: W_i · W_j (diagonal: ‖W_i‖²); blue: negative, warm: positive");
  const interference = make(doc, "canvas", "mi-toy-interference", heatPanel);
  const scaleNote = make(doc, "div", "mi-toy-note mi-toy-scale", heatPanel);
  for (const canvas of [vectors, bars, interference]) canvas.setAttribute("role", "img");
  return { root, title, select, selection, vectorPanel, vectors, bars, interference, scaleNote, tooltip: new Tooltip(root) };
}

export class SuperpositionController extends Controller<Model> {
  readonly dom: Dom;
  private W: Decoded | null = null;
  private stats: Decoded | null = null;
  private interference: Decoded | null = null;
  private importance: Float32Array = new Float32Array(0);
  private tips: [Float32Array, Float32Array] | null = null;
  private barFrame: Frame | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement) {
    super(model);
    this.dom = buildDom(el.ownerDocument, () => void this.savePng());
    this.mount(el, this.dom.root);
    for (const name of ["_W", "_stats", "_interference", "_importance", "sparsities", "n_features", "d_hidden", "title"] as const) {
      this.listen(`change:${name}`, DATA | SELECTION);
    }
    this.listen("change:sparsity", SELECTION);
    this.listen("change:feature", SELECTION);
    this.followTheme(this.dom.root, THEME | SELECTION);
    this.bindEvents();
    this.invalidate(DATA | SELECTION | THEME);
  }

  private get sparsities(): number[] {
    return this.model.get("sparsities") ?? [];
  }

  private get index(): number {
    const s = this.model.get("sparsity") ?? 0;
    return clampIndex(s, this.sparsities.length);
  }

  private get feature(): number {
    const f = this.model.get("feature") ?? -1;
    return f >= 0 && f < (this.model.get("n_features") ?? 0) ? f : -1;
  }

  /** The numbers of the model at sparsity index `s`. */
  private toy(s: number): ToyModel | null {
    const { W, stats, interference } = this;
    if (!W || !stats || !interference) return null;
    const n = this.model.get("n_features");
    const d = this.model.get("d_hidden");
    const w = W.data as Float32Array;
    const st = stats.data as Float32Array;
    const inter = interference.data as Float32Array;
    return {
      n,
      d,
      W: w.subarray(s * d * n, (s + 1) * d * n),
      norms: st.subarray(2 * s * n, (2 * s + 1) * n),
      dimensionality: st.subarray((2 * s + 1) * n, (2 * s + 2) * n),
      interference: inter.subarray(s * n * n, (s + 1) * n * n),
    };
  }

  protected render(flags: number): void {
    if (flags & DATA) this.loadData();
    this.paint();
  }

  private loadData(): void {
    try {
      this.W = decode(this.model.get("_W"));
      this.stats = decode(this.model.get("_stats"));
      this.interference = decode(this.model.get("_interference"));
      this.importance = decode(this.model.get("_importance")).data as Float32Array;
    } catch (error) {
      this.W = null;
      this.dom.selection.textContent = `The toy model cannot be decoded: ${String(error)}`;
    }
    const { select, title, root } = this.dom;
    const name = this.model.get("title") || "Toy model of superposition";
    title.textContent = name;
    root.setAttribute("aria-label", name);
    select.replaceChildren(
      ...this.sparsities.map((s, i) => {
        const option = root.ownerDocument.createElement("option");
        option.value = String(i);
        option.textContent = `sparsity ${s} (feature present ${+(100 * (1 - s)).toFixed(2)} % of the time)`;
        return option;
      }),
    );
  }

  private paint(): void {
    const root = this.dom.root;
    const s = this.index;
    const m = this.toy(s);
    if (!m) {
      root.dataset.state = "missing";
      return;
    }
    const colors = themeColors(root, this.dark);
    const f = this.feature;
    this.dom.select.value = String(s);
    const all = this.stats ? (this.stats.data as Float32Array) : m.norms;
    let top = 1.2;
    for (const v of all) top = Math.max(top, Math.ceil(v * 12) / 10);
    this.dom.vectorPanel.hidden = m.d !== 2;
    if (m.d === 2) {
      // one scale for every sparsity, so lengths compare across the selector
      this.tips = paintVectors(this.dom.vectors, m, vectorLimit(all), f, this.dark, colors);
    } else {
      this.tips = null;
    }
    this.barFrame = paintBars(this.dom.bars, m, top, f, this.dark, colors);
    const scale = paintInterference(this.dom.interference, m, this.dark);
    this.dom.scaleNote.textContent = `colour scale: −${formatNumber(scale)} to ${formatNumber(scale)}`;
    let represented = 0;
    for (const v of m.norms) if (v > 0.5) represented++;
    let text = `sparsity ${this.sparsities[s]}: ${represented} of ${m.n} features represented (‖W_i‖ > 0.5) in ${m.d} dimensions`;
    if (f >= 0) text += `\nfeature ${f}: ${this.featureText(m, f)}`;
    this.dom.selection.textContent = text;
    root.dataset.state = "ready";
    root.dataset.ready = "true";
    root.dataset.sparsity = String(s);
    root.dataset.paintedSparsity = String(s);
    root.dataset.feature = String(f);
    root.dataset.represented = String(represented);
  }

  private featureText(m: ToyModel, i: number): string {
    const column = Array.from({ length: m.d }, (_, k) => formatNumber(m.W[k * m.n + i]));
    const w = m.d <= 8 ? `W_${i} = (${column.join(", ")}) · ` : "";
    return `${w}‖W_${i}‖ = ${formatNumber(m.norms[i])} · D_${i} = ${formatNumber(m.dimensionality[i])} · importance ${formatNumber(this.importance[i])}`;
  }

  // ---- interaction ----------------------------------------------------------------------

  private featureAtVector(event: MouseEvent): number {
    if (!this.tips) return -1;
    const p = canvasPoint(this.dom.vectors, event);
    return nearestPoint(this.tips[0], this.tips[1], p.x, p.y, 10);
  }

  private featureAtBar(event: MouseEvent): number {
    const f = this.barFrame;
    if (!f) return -1;
    const p = canvasPoint(this.dom.bars, event);
    const i = Math.round(fromPx(f, p.x));
    const n = this.model.get("n_features");
    return i >= 0 && i < n && p.y >= f.top && p.y <= f.top + f.height ? i : -1;
  }

  private cellAt(event: MouseEvent): [number, number] | null {
    const p = canvasPoint(this.dom.interference, event);
    const n = this.model.get("n_features");
    const cell = interferenceCell(n);
    const row = Math.floor(p.y / cell);
    const col = Math.floor(p.x / cell);
    return row >= 0 && col >= 0 && row < n && col < n ? [row, col] : null;
  }

  private showFeature(i: number, event: MouseEvent): void {
    const m = this.toy(this.index);
    if (!m || i < 0) {
      this.dom.tooltip.hide();
      return;
    }
    this.dom.tooltip.show(`feature ${i}\n${this.featureText(m, i).split(" · ").join("\n")}`, event.clientX, event.clientY, {
      feature: String(i),
      norm: String(m.norms[i]),
      dimensionality: String(m.dimensionality[i]),
    });
  }

  private bindEvents(): void {
    const { vectors, bars, interference, select, root, tooltip } = this.dom;
    const pickers: [HTMLCanvasElement, (e: MouseEvent) => number][] = [
      [vectors, (e) => this.featureAtVector(e)],
      [bars, (e) => this.featureAtBar(e)],
    ];
    for (const [canvas, at] of pickers) {
      this.on(canvas, "mousemove", (event) => this.showFeature(at(event), event));
      this.on(canvas, "mouseleave", () => tooltip.hide());
      this.on(canvas, "click", (event) => {
        const i = at(event);
        if (i >= 0) this.commit({ feature: i });
        root.focus({ preventScroll: true });
      });
    }
    this.on(interference, "mousemove", (event) => {
      const cell = this.cellAt(event);
      const m = this.toy(this.index);
      if (!cell || !m) {
        tooltip.hide();
        return;
      }
      const [i, j] = cell;
      const value = m.interference[i * m.n + j];
      tooltip.show(`W_${i} · W_${j} = ${formatNumber(value)}`, event.clientX, event.clientY, { row: String(i), col: String(j), value: String(value) });
    });
    this.on(interference, "mouseleave", () => tooltip.hide());
    this.on(select, "change", () => this.commit({ sparsity: Number(select.value) }));
    this.onKeys(root, (action) => this.onKey(action));
  }

  /** Keys of the view (false: Shift+←/→ is not). */
  private onKey(action: KeyAction): boolean {
    if (action.kind === "query") return false;
    if (action.kind === "unlock") {
      this.dom.tooltip.hide();
      if (this.feature >= 0) this.commit({ feature: -1 });
      return true;
    }
    if (action.kind === "head") {
      const next = Math.min(this.sparsities.length - 1, Math.max(0, this.index + action.delta));
      if (next !== this.index) this.commit({ sparsity: next });
      return true;
    }
    const n = this.model.get("n_features");
    const next = this.feature < 0 ? (action.delta > 0 ? 0 : n - 1) : Math.min(n - 1, Math.max(0, this.feature + action.delta));
    this.commit({ feature: next });
    return true;
  }

  private savePng(): Promise<void> {
    const root = this.dom.root;
    const sparsity = this.sparsities[this.index];
    const panels = {
      title: `${this.model.get("title") || "Superposition"} — sparsity ${sparsity}`,
      colors: themeColors(root, this.dark),
      thumbs: [{ canvas: this.dom.interference, label: "WᵀW", selected: false }],
      main: this.tips ? this.dom.vectors : this.dom.bars,
      footer: this.tips ? this.dom.bars : undefined,
    };
    return savePanels(panels, `superposition-sparsity-${sparsity}`, root.ownerDocument);
  }
}
