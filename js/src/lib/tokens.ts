/**
 * Token strings are untrusted: they are shown as text (`textContent`) and never parsed.
 *
 * `tokenDisplay` makes C0 controls visible (newline `↵`, tab `⇥`, others as their Unicode
 * control pictures), keeps spaces as they are (`white-space: pre`) and shows the empty token as
 * `∅`. `visibleToken`, used wherever a token is written to the page, also replaces every other
 * invisible character (C1 controls, bidi controls, zero-width characters, BOM, ...) by
 * `⟨U+XXXX⟩` and shortens tokens longer than `MAX_TOKEN_CHARS` code points with `…`; the title
 * (`tokenTitle`) keeps the full text and names the code points. Every token is bidi-isolated so
 * right-to-left text cannot reorder its neighbours. The original string stays in `data-token`.
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

/**
 * Invisible or format characters that `tokenDisplay` leaves as they are: C1 controls, soft
 * hyphen, Arabic letter mark, Mongolian vowel separator, zero-width and direction marks,
 * bidi embeddings/overrides/isolates, word joiner and invisible operators, BOM, and the
 * interlinear annotation marks.
 */
const INVISIBLE_CHARS = /[\x80-\x9f\xad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** Longest token shown in full, in code points; longer ones end in `…` (full text in the title). */
export const MAX_TOKEN_CHARS = 64;

/** `U+202E` for a one-character string. */
export function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A visible stand-in for an invisible character: `⟨U+202E⟩`. */
export function invisibleMark(ch: string): string {
  return `⟨${codePoint(ch)}⟩`;
}

/** Zero-width (non-)joiners: invisible, but part of emoji and script sequences when between characters. */
const JOINERS_ONLY = /^[\u200c\u200d]+$/;

/** `text` with every invisible character (see `INVISIBLE_CHARS`) as `⟨U+XXXX⟩`. */
export function markInvisible(text: string): string {
  if (JOINERS_ONLY.test(text)) return Array.from(text, invisibleMark).join("");
  return text.replace(INVISIBLE_CHARS, invisibleMark);
}

/** `token` cut to `max` code points, the last one replaced by `…` when cut. */
export function truncateToken(token: string, max: number = MAX_TOKEN_CHARS): string {
  const chars = Array.from(token);
  return chars.length <= max ? token : `${chars.slice(0, Math.max(1, max - 1)).join("")}…`;
}

/** Display form of a token (pure). */
export function tokenDisplay(token: string): TokenDisplay {
  if (token.length === 0) return { text: EMPTY_MARK, empty: true, blank: false };
  const text = token.replace(CONTROL_CHARS, visibleChar);
  return { text, empty: false, blank: token.trim().length === 0 };
}

/**
 * How a token is written to the page (pure): `tokenDisplay` with every invisible character
 * as `⟨U+XXXX⟩`, cut to `max` code points (default `MAX_TOKEN_CHARS`) with `…`.
 */
export function visibleToken(token: string, max: number = MAX_TOKEN_CHARS): TokenDisplay {
  const display = tokenDisplay(truncateToken(token, max));
  return { ...display, text: markInvisible(display.text) };
}

/** Display text shortened to `max` code points (with `…`). */
export function shortToken(token: string, max: number): string {
  return truncateToken(visibleToken(token).text, max);
}

/** The invisible characters of `token`, as code points (`["U+202E"]`), each once. */
function invisibleCodePoints(token: string): string[] {
  const found = token.match(INVISIBLE_CHARS) ?? [];
  return [...new Set(found)].map(codePoint);
}

/**
 * A readable, escaped rendering of the original string (for titles): the full token quoted,
 * invisible characters escaped and listed by code point.
 */
export function tokenTitle(token: string, index?: number): string {
  const quoted = JSON.stringify(token).replace(INVISIBLE_CHARS, (ch) => `\\u${codePoint(ch).slice(2).toLowerCase()}`);
  const points = invisibleCodePoints(token);
  const text = points.length > 0 ? `${quoted} (${points.join(", ")})` : quoted;
  return index === undefined ? text : `${index}: ${text}`;
}

/** Put `token` into `el` as text, with the classes and attributes described above. */
export function renderToken(el: HTMLElement, token: string, index?: number): void {
  const display = visibleToken(token);
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
  max-width: 100%;
  overflow: hidden;
  text-overflow: ellipsis;
  unicode-bidi: isolate;
  font-family: var(--mi-mono);
}
.mi-token-empty { font-style: italic; }
.mi-token-blank { text-decoration: underline dotted; text-decoration-color: var(--mi-muted); }
`;
