/**
 * One absolutely positioned tooltip per view. Content is set with `textContent` only.
 */

export const TOOLTIP_CSS = `
.mi-tooltip {
  position: absolute;
  z-index: 10;
  pointer-events: none;
  white-space: pre;
  padding: 3px 6px;
  border-radius: 3px;
  font: 12px var(--mi-mono);
  background: var(--mi-panel);
  color: var(--mi-fg);
  border: 1px solid var(--mi-border);
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.25);
  unicode-bidi: isolate;
}
.mi-tooltip[hidden] { display: none; }
`;

/** A tooltip living inside `container` (which must be positioned, e.g. `relative`). */
export class Tooltip {
  readonly el: HTMLDivElement;

  constructor(private readonly container: HTMLElement) {
    this.el = container.ownerDocument.createElement("div");
    this.el.className = "mi-tooltip";
    this.el.hidden = true;
    this.el.setAttribute("role", "tooltip");
    container.appendChild(this.el);
  }

  /** Show `text` near the viewport point (x, y); `data` becomes `data-*` attributes. */
  show(text: string, x: number, y: number, data: Record<string, string> = {}): void {
    const el = this.el;
    if (el.textContent !== text) el.textContent = text;
    for (const [key, value] of Object.entries(data)) el.dataset[key] = value;
    el.hidden = false;
    const box = this.container.getBoundingClientRect();
    const gap = 14;
    let left = x - box.left + gap;
    const top = y - box.top + gap;
    const width = el.offsetWidth;
    if (left + width > this.container.clientWidth && x - box.left - gap - width >= 0) {
      left = x - box.left - gap - width;
    }
    el.style.left = `${Math.max(0, left)}px`;
    el.style.top = `${Math.max(0, top)}px`;
  }

  hide(): void {
    this.el.hidden = true;
  }

  dispose(): void {
    this.el.remove();
  }
}
