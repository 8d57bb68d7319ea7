/**
 * The "try your own text" panel: the form (disabled with a note when the kernel cannot run
 * text), the status line, and the text coloured by the feature's activation.
 */

import { formatValue, scaleFor } from "../lib/diverging";
import { TextPanel } from "../lib/spans";
import type { FeatureDom } from "./dom";
import { formatCount } from "./format";
import type { ProbeState } from "./probe";

export class ProbePanel {
  private readonly text: TextPanel;
  private tokens: string[] | null = null;

  constructor(private readonly dom: FeatureDom) {
    this.text = new TextPanel(dom.probeText);
  }

  /**
   * Show `state`; `note` (non-empty) disables the form and says why; `featureMax(f)` is
   * feature f's largest corpus activation (the colour scale covers it).
   */
  render(state: ProbeState, note: string, featureMax: (f: number) => number, dark: boolean): void {
    const { probeInput, probeRun, probeNote, probeStatus, probeText, root } = this.dom;
    probeInput.disabled = probeRun.disabled = note !== "";
    probeNote.textContent = note;
    probeNote.hidden = note === "";
    root.dataset.probe = note ? "disabled" : state.kind;
    probeText.classList.toggle("mi-stale", state.kind === "running");
    probeStatus.classList.toggle("mi-probe-error", state.kind === "error");
    if (state.kind !== "ready") {
      probeStatus.textContent = state.kind === "running" ? "running…" : state.kind === "error" ? state.message : "";
      if (state.kind === "error" || state.kind === "idle") this.showTokens(null);
      return;
    }
    let peak = 0;
    let max = -Infinity;
    for (const v of state.values) {
      peak = Math.max(peak, Math.abs(v));
      max = Math.max(max, v);
    }
    this.showTokens(state.tokens);
    this.text.paint(state.values, scaleFor(Math.max(featureMax(state.feature), peak)), dark);
    probeStatus.textContent = state.tokens.length
      ? `feature ${state.feature} on ${formatCount(state.tokens.length)} tokens: max ${formatValue(max)}`
      : "the model read no tokens in this text";
    root.dataset.probeFeature = String(state.feature);
  }

  private showTokens(tokens: string[] | null): void {
    if (tokens === this.tokens) return;
    this.tokens = tokens;
    this.text.build(tokens ?? []);
  }
}
