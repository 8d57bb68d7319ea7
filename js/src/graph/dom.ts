/**
 * The DOM skeleton of the graph view (no data yet): the frame with the threshold sliders and
 * the buttons, the canvas stack with the token axis, the hidden node list, the feature card
 * and the intervention result.
 */

import { make } from "../lib/dom";
import { buildFrame, frameLine } from "../lib/frame";
import { Tooltip } from "../lib/tooltip";
import { FeatureCard } from "./card";
import { GRAPH_KEY_HELP } from "./keys";
import { GRAPH_CSS } from "./styles";

export interface GraphDom {
  root: HTMLDivElement;
  title: HTMLSpanElement;
  selection: HTMLDivElement;
  sliders: { node: HTMLInputElement; edge: HTMLInputElement; nodeOut: HTMLOutputElement; edgeOut: HTMLOutputElement };
  buttons: { pin: HTMLButtonElement; group: HTMLButtonElement; ungroup: HTMLButtonElement; ablate: HTMLButtonElement; double: HTMLButtonElement };
  groupName: HTMLInputElement;
  canvas: HTMLCanvasElement;
  overlay: HTMLCanvasElement;
  axis: HTMLDivElement;
  list: HTMLOListElement;
  card: FeatureCard;
  result: HTMLDivElement;
  tooltip: Tooltip;
}

/** Build the view's elements; `onSave` is the save-PNG action. */
export function buildGraphDom(doc: Document, onSave: () => void): GraphDom {
  const frame = buildFrame(doc, { className: "mi-graph-view", css: GRAPH_CSS, help: GRAPH_KEY_HELP, onSave });
  const root = frame.root;
  const selection = frameLine(frame, "mi-selection", true);
  const controls = make(doc, "div", "mi-graph-controls");
  frame.help.before(controls);
  const slider = (label: string, name: string) => {
    const box = make(doc, "label", "", controls);
    box.append(label);
    const input = make(doc, "input", `mi-${name}-threshold`, box);
    input.type = "range";
    input.min = "0";
    input.max = "1";
    input.step = "0.01";
    input.setAttribute("aria-label", `${label} (cumulative influence kept)`);
    const out = make(doc, "output", "", box);
    return [input, out] as const;
  };
  const [node, nodeOut] = slider("node threshold", "node");
  const [edge, edgeOut] = slider("edge threshold", "edge");
  const button = (text: string, cls: string, title: string) => {
    const b = make(doc, "button", cls, controls);
    b.type = "button";
    b.textContent = text;
    b.title = title;
    return b;
  };
  const pin = button("Pin", "mi-pin", "Pin or unpin the selected node (p)");
  const groupName = make(doc, "input", "mi-group-name", controls);
  groupName.placeholder = "supernode name";
  groupName.setAttribute("aria-label", "Name of a new supernode made of the pinned nodes");
  const group = button("Group pinned", "mi-group", "Make the pinned nodes one supernode with this name");
  const ungroup = button("Ungroup", "mi-ungroup", "Split the selected supernode into its members");
  const ablate = button("Ablate", "mi-ablate", "Clamp the selected feature (or supernode) to 0 in the real model (i)");
  const double = button("×2", "mi-double", "Scale the selected feature (or supernode) by 2 in the real model");
  const stack = make(doc, "div", "mi-graph-stack", root);
  const canvas = make(doc, "canvas", "mi-graph-canvas", stack);
  canvas.setAttribute("role", "img");
  const overlay = make(doc, "canvas", "mi-graph-overlay", stack);
  overlay.setAttribute("aria-hidden", "true"); // highlights of the graph the canvas below describes
  const axis = make(doc, "div", "mi-graph-axis", stack);
  const list = make(doc, "ol", "mi-graph-nodes", root);
  list.setAttribute("aria-label", "Shown nodes, most influential first");
  const side = make(doc, "div", "mi-graph-side", root);
  const card = new FeatureCard(doc, side);
  const result = make(doc, "div", "mi-graph-result", side);
  result.hidden = true;
  result.setAttribute("aria-live", "polite");
  const tooltip = new Tooltip(root);
  return {
    root, title: frame.title, selection, sliders: { node, edge, nodeOut, edgeOut },
    buttons: { pin, group, ungroup, ablate, double }, groupName, canvas, overlay, axis, list, card, result, tooltip,
  };
}
