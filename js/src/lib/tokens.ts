/**
 * Token strings are untrusted: they are shown as text (`textContent`) and never parsed.
 *
 * Invisible characters are made visible (newline `↵`, tab `⇥`, other control characters as
 * their Unicode control pictures), spaces are kept as they are (`white-space: pre`), an empty
 * token shows `∅`, and every token is bidi-isolated so right-to-left text cannot reorder its
 * neighbours. The original string stays available in `data-token`.
 */

export const EMPTY_MARK = "∅";

const VISIBLE: Record<string, string> = { "\n": "↵", "\t": "⇥", "\r": "␍", "\x7f": "␡" };

/** How a token is displayed. */
export interface TokenDisplay {
  /** The text to show (plain text, never HTML). */
  text: string;
  /** The token is the empty string (shown as `∅`). */
  empty: boolean;
  /** The token is made of whitespace only. */
  blank: boolean;
}

function visibleChar(ch: string): string {
  const mapped = VISIBLE[ch];
  if (mapped) return mapped;
  const code = ch.charCodeAt(0);
  return code < 0x20 ? String.fromCharCode(0x2400 + code) : ch;
}

/** Control characters (C0 and DEL): tokens show them as visible symbols. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const CONTROL_CHARS = /[\x00-\x1f\x7f]/g;

/** Display form of a token (pure). */
export function tokenDisplay(token: string): TokenDisplay {
  if (token.length === 0) return { text: EMPTY_MARK, empty: true, blank: false };
  const text = token.replace(CONTROL_CHARS, visibleChar);
  return { text, empty: false, blank: token.trim().length === 0 };
}

/** Display text shortened to `max` code points (with `…`). */
export function shortToken(token: string, max: number): string {
  const chars = Array.from(tokenDisplay(token).text);
  return chars.length <= max ? chars.join("") : `${chars.slice(0, Math.max(1, max - 1)).join("")}…`;
}

/** A readable, escaped rendering of the original string (for titles). */
export function tokenTitle(token: string, index?: number): string {
  const quoted = JSON.stringify(token);
  return index === undefined ? quoted : `${index}: ${quoted}`;
}

/** Put `token` into `el` as text, with the classes and attributes described above. */
export function renderToken(el: HTMLElement, token: string, index?: number): void {
  const display = tokenDisplay(token);
  el.textContent = display.text;
  el.classList.add("mi-tok");
  el.classList.toggle("mi-token-empty", display.empty);
  el.classList.toggle("mi-token-blank", display.blank);
  el.dir = "auto";
  el.dataset.token = token;
  el.title = tokenTitle(token, index);
}

export const TOKEN_CSS = `
.mi-tok {
  white-space: pre;
  unicode-bidi: isolate;
  font-family: var(--mi-mono);
}
.mi-token-empty { font-style: italic; }
.mi-token-blank { text-decoration: underline dotted; text-decoration-color: var(--mi-muted); }
`;
