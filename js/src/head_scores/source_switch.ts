/**
 * The switch "Scores on: <given input> | this text": two radio buttons that choose which
 * scores the grid shows (`scores_on`). Native radios, so Tab reaches the checked one and the
 * arrow keys move between them.
 */

import { make } from "../lib/dom";

/** The two values of `scores_on`, in the switch's order. */
export const SCORE_SOURCES = ["given", "text"] as const;

export interface SourceSwitch {
  el: HTMLDivElement;
  radios: HTMLInputElement[];
  labels: HTMLSpanElement[];
}

let switches = 0;

/** The switch's elements (hidden until `updateSourceSwitch` gets labels). */
export function buildSourceSwitch(doc: Document): SourceSwitch {
  const el = make(doc, "div", "mi-source-switch");
  el.setAttribute("role", "radiogroup");
  el.setAttribute("aria-label", "Scores on");
  el.hidden = true;
  make(doc, "span", "mi-source-switch-caption", el).textContent = "Scores on:";
  const group = `mi-scores-on-${++switches}`;
  const radios: HTMLInputElement[] = [];
  const labels: HTMLSpanElement[] = [];
  for (const source of SCORE_SOURCES) {
    const option = make(doc, "label", "mi-source-option", el);
    const radio = make(doc, "input", "mi-source-radio", option);
    radio.type = "radio";
    radio.name = group;
    radio.value = source;
    radios.push(radio);
    labels.push(make(doc, "span", "", option));
  }
  return { el, radios, labels };
}

/**
 * Show the switch when `labels` names both inputs (else hide it), label its options and check
 * `shown`; each option's tooltip is that input's heading (`titles`).
 */
export function updateSourceSwitch(
  sw: SourceSwitch,
  labels: Readonly<Record<string, string>>,
  titles: Readonly<Record<string, string>>,
  shown: string,
): void {
  sw.el.hidden = !SCORE_SOURCES.every((source) => labels[source]);
  SCORE_SOURCES.forEach((source, i) => {
    sw.labels[i].textContent = labels[source] ?? source;
    sw.labels[i].parentElement?.setAttribute("title", titles[source] ?? "");
    sw.radios[i].checked = source === shown;
  });
}

/**
 * The source an arrow key on the switch chooses (←/↑ the first, →/↓ the second), or null.
 * The view handles these itself: a host page (JupyterLab) may keep a radio's own arrow keys.
 */
export function sourceForKey(event: KeyboardEvent): (typeof SCORE_SOURCES)[number] | null {
  if (event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) return null;
  if (event.key === "ArrowLeft" || event.key === "ArrowUp") return SCORE_SOURCES[0];
  if (event.key === "ArrowRight" || event.key === "ArrowDown") return SCORE_SOURCES[1];
  return null;
}
