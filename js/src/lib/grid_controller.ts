/**
 * What the views built on a `ValueGrid` (or another `CellGrid`) share: hover with a tooltip of
 * exact values, click to select, arrow keys to move the selection, Enter to pin the tooltip,
 * Escape to hide it.
 */

import type { AnyModel } from "@anywidget/types";
import { clampIndex } from "./clamp";
import { Controller } from "./controller";
import { fromFormControl, keyAction } from "./keyboard";
import { Tooltip } from "./tooltip";
import type { Cell, ValueGrid } from "./value_grid";

/** What the controller needs from a grid (a `ValueGrid`, or any grid of `rows × columns` cells). */
export interface CellGrid {
  /** The element on top of the cells that takes the pointer events. */
  readonly overlay: HTMLElement;
  readonly spec: { rows: number; columns: number } | null;
  /** The cell under a pointer event, or null outside the grid. */
  cellAt(event: MouseEvent): Cell | null;
  /** Viewport point where a cell's tooltip goes without a pointer. */
  cellPoint(cell: Cell): { x: number; y: number };
}

// biome-ignore lint/suspicious/noExplicitAny: a model's traits are any JSON or binary values
export abstract class GridController<M extends Record<string, any>, G extends CellGrid = ValueGrid> extends Controller<M> {
  protected hover: Cell | null = null;
  /** The tooltip stays on the selected cell (opened with Enter). */
  protected pinned = false;
  protected readonly tooltip: Tooltip;

  constructor(
    model: AnyModel<M>,
    protected readonly root: HTMLElement,
    protected readonly grid: G,
    private readonly hoverFlag: number,
  ) {
    super(model);
    this.tooltip = new Tooltip(root);
  }

  /** The selected cell. */
  protected abstract selected(): Cell;
  /** Make `cell` the selection (writes the traits). */
  protected abstract select(cell: Cell): void;
  /** Tooltip text and `data-*` attributes of a cell. */
  protected abstract describe(cell: Cell): { text: string; data: Record<string, string> };

  protected showTooltip(cell: Cell, at?: { x: number; y: number }): void {
    const { text, data } = this.describe(cell);
    const point = at ?? this.grid.cellPoint(cell);
    this.tooltip.show(text, point.x, point.y, data);
  }

  /** Hover, click and keys on the grid; keys on the root. */
  protected bindGrid(): void {
    const stack = this.grid.overlay;
    this.on(stack, "mousemove", (event) => {
      const cell = this.grid.cellAt(event);
      if (cell?.row !== this.hover?.row || cell?.column !== this.hover?.column) {
        this.hover = cell;
        this.invalidate(this.hoverFlag);
      }
      if (!cell) {
        if (!this.pinned) this.tooltip.hide();
        return;
      }
      this.pinned = false;
      this.showTooltip(cell, { x: event.clientX, y: event.clientY });
    });
    this.on(stack, "mouseleave", () => {
      this.hover = null;
      this.invalidate(this.hoverFlag);
      if (!this.pinned) this.tooltip.hide();
    });
    this.on(stack, "click", (event) => {
      const cell = this.grid.cellAt(event);
      if (cell) this.select(cell);
      this.root.focus({ preventScroll: true });
    });
    this.on(this.root, "keydown", (event) => this.onKey(event));
  }

  private onKey(event: KeyboardEvent): void {
    if (fromFormControl(event)) return;
    const plain = !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey;
    if (event.key === "Enter" && plain) {
      event.preventDefault();
      event.stopPropagation();
      this.pinned = true;
      this.showTooltip(this.selected());
      return;
    }
    const action = keyAction(event);
    const spec = this.grid.spec;
    if (!action || !spec) return;
    event.preventDefault();
    event.stopPropagation();
    const { row, column } = this.selected();
    if (action.kind === "unlock") {
      this.pinned = false;
      this.tooltip.hide();
    } else if (action.kind === "layer") {
      this.select({ row: clampIndex(row + action.delta, spec.rows), column });
    } else {
      const step = action.kind === "query" ? 10 : 1; // Shift: ten columns at a time
      this.select({ row, column: clampIndex(column + step * action.delta, spec.columns) });
    }
  }
}
