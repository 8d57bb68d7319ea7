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

/** A view's focusable root `div.mi-root.<className>` with its stylesheet `css` inside. */
export function viewRoot(doc: Document, className: string, css: string): HTMLDivElement {
  const root = make(doc, "div", `mi-root ${className}`);
  root.tabIndex = 0;
  root.dataset.lmSuppressShortcuts = "true"; // JupyterLab leaves our keys to us
  root.setAttribute("role", "group");
  make(doc, "style", "", root).textContent = css;
  return root;
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
