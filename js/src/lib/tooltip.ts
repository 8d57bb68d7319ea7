/**
 * One absolutely positioned tooltip per view. Content is set with `textContent` only.
 *
 * Placement: below right of the pointer, else below left, above right, above left: the first
 * that stays inside the view and covers no axis caption (`KEEP_CLEAR`).
 */

/** Captions a tooltip never covers: the heatmaps' axis captions and colour-scale captions. */
export const KEEP_CLEAR = ".mi-axis-caption, .mi-caption, .mi-vgrid-caption";

/** Gap between the pointer and the tooltip (px). */
const GAP = 14;

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const overlaps = (a: Box, b: Box): boolean => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/**
 * Top-left corner (container pixels) of a `width` × `height` tooltip for the pointer at
 * (`x`, `y`) (container pixels), inside `bounds` (width, height) and clear of `avoid`.
 */
export function placeTooltip(x: number, y: number, width: number, height: number, bounds: { width: number; height: number }, avoid: Box[]): { left: number; top: number } {
  const lefts = [x + GAP, x - GAP - width];
  const tops = [y + GAP, y - GAP - height];
  const candidates = tops.flatMap((top) => lefts.map((left) => ({ left, top })));
  const inside = ({ left, top }: { left: number; top: number }) => left >= 0 && left + width <= bounds.width && top >= 0;
  const clear = ({ left, top }: { left: number; top: number }) => !avoid.some((b) => overlaps({ left, top, right: left + width, bottom: top + height }, b));
  const best = candidates.find((c) => inside(c) && clear(c)) ?? candidates.find(clear) ?? candidates[0];
  return { left: Math.max(0, best.left), top: Math.max(0, best.top) };
}

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
    const avoid = [...this.container.querySelectorAll<HTMLElement>(KEEP_CLEAR)]
      .map((c) => c.getBoundingClientRect())
      .filter((r) => r.width > 0 && r.height > 0)
      .map((r) => ({ left: r.left - box.left, top: r.top - box.top, right: r.right - box.left, bottom: r.bottom - box.top }));
    const bounds = { width: this.container.clientWidth, height: this.container.clientHeight };
    const { left, top } = placeTooltip(x - box.left, y - box.top, el.offsetWidth, el.offsetHeight, bounds, avoid);
    el.style.left = `${left}px`;
    el.style.top = `${top}px`;
  }

  hide(): void {
    this.el.hidden = true;
  }

  dispose(): void {
    this.el.remove();
  }
}
