/**
 * Keyboard control shared by the views: a pure mapping from key events to actions.
 *
 * ←/→ previous/next head, ↑/↓ previous/next layer, Shift+←/→ move the query token
 * (and lock it), Escape unlocks.
 */

export type KeyAction =
  | { kind: "head"; delta: number }
  | { kind: "layer"; delta: number }
  | { kind: "query"; delta: number }
  | { kind: "unlock" };

/** The fields of a KeyboardEvent the mapping looks at. */
export interface KeyLike {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** The action for a key press, or null when the key is not ours. */
export function keyAction(event: KeyLike): KeyAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const horizontal = event.key === "ArrowLeft" ? -1 : event.key === "ArrowRight" ? 1 : 0;
  if (horizontal) return event.shiftKey ? { kind: "query", delta: horizontal } : { kind: "head", delta: horizontal };
  if (event.shiftKey) return null;
  if (event.key === "ArrowUp") return { kind: "layer", delta: -1 };
  if (event.key === "ArrowDown") return { kind: "layer", delta: 1 };
  if (event.key === "Escape") return { kind: "unlock" };
  return null;
}

/** True when the event comes from a form control that handles keys itself. */
export function fromFormControl(event: Event): boolean {
  const target = event.target as { tagName?: string; isContentEditable?: boolean } | null;
  const tag = target?.tagName?.toUpperCase();
  return tag === "SELECT" || tag === "INPUT" || tag === "TEXTAREA" || target?.isContentEditable === true;
}

/** One line describing the keys, for a view's help text. */
export const KEY_HELP = "←/→ head · ↑/↓ layer · Shift+←/→ query token · click to lock · Esc unlock";
