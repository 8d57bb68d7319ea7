/** DOM helpers shared by the views. */

/** Create `<tag class=className>`, appended to `parent` when given. */
export function make<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className: string,
  parent?: HTMLElement,
): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  if (className) el.className = className;
  parent?.appendChild(el);
  return el;
}

/** The banner `div.mi-missing` (plus `className`) that says what cannot be shown; placed by the view. */
export function statusBanner(doc: Document, className = ""): HTMLDivElement {
  const banner = make(doc, "div", `mi-missing ${className}`.trim());
  banner.setAttribute("role", "status");
  return banner;
}

/** Two stacked canvases in `div.<stackClass>`: `main` (an image, drawn by the view) under `overlay` (marks). */
export function canvasStack(
  doc: Document,
  parent: HTMLElement,
  classes: { stack: string; main: string; overlay: string },
): { stack: HTMLDivElement; main: HTMLCanvasElement; overlay: HTMLCanvasElement } {
  const stack = make(doc, "div", classes.stack, parent);
  const main = make(doc, "canvas", classes.main, stack);
  main.width = main.height = 0;
  main.setAttribute("role", "img");
  const overlay = make(doc, "canvas", classes.overlay, stack);
  overlay.width = overlay.height = 0;
  return { stack, main, overlay };
}

/** Show `text` in the `missing` banner placed before `anchor`, or remove it for `null`. */
export function showBanner(missing: HTMLElement, anchor: HTMLElement, text: string | null): void {
  if (text === null) {
    missing.remove();
    return;
  }
  missing.textContent = text;
  if (missing.nextSibling !== anchor) anchor.before(missing);
}

/** Rebuild the layer `<select>` (`Layer <l>` for each of `layers`) and select `layer`. */
export function setLayerOptions(select: HTMLSelectElement, layers: readonly number[], layer: number): void {
  const values = [...select.options].map((o) => o.value).join(",");
  if (values !== layers.join(",")) {
    select.replaceChildren();
    for (const l of layers) {
      const option = select.ownerDocument.createElement("option");
      option.value = String(l);
      option.textContent = `Layer ${l}`;
      select.appendChild(option);
    }
  }
  select.value = String(layer);
}
