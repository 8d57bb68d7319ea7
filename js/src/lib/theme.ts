/**
 * Light/dark theme: read it the way JupyterLab publishes it and follow its changes.
 *
 * JupyterLab (and the exported-report runtime) set `data-jp-theme-light` on `<body>`;
 * without it we follow `prefers-color-scheme`. Views style themselves through `--mi-*`
 * variables defined here, which use JupyterLab's variables when present and our own
 * light/dark fallbacks otherwise (exported reports have no JupyterLab variables).
 */

/** True when the page is in a dark theme. */
export function isDark(doc: Document = document): boolean {
  const flag = doc.body?.dataset.jpThemeLight;
  if (flag === "false") return true;
  if (flag === "true") return false;
  return doc.defaultView?.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

/** Call `callback(dark)` whenever the theme may have changed; returns a disposer. */
export function onThemeChange(callback: (dark: boolean) => void, doc: Document = document): () => void {
  let last = isDark(doc);
  const check = () => {
    const now = isDark(doc);
    if (now !== last) {
      last = now;
      callback(now);
    }
  };
  const observer = new MutationObserver(check);
  if (doc.body) observer.observe(doc.body, { attributes: true });
  const media = doc.defaultView?.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener?.("change", check);
  return () => {
    observer.disconnect();
    media?.removeEventListener?.("change", check);
  };
}

/** Class a view root gets in dark mode (selects the dark fallbacks). */
export const DARK_CLASS = "mi-dark";

/** Theme variables for `.mi-root`; JupyterLab variables win when they exist. */
export const THEME_CSS = `
.mi-root {
  --mi-bg: var(--jp-layout-color0, #ffffff);
  --mi-panel: var(--jp-layout-color1, #ffffff);
  --mi-fg: var(--jp-ui-font-color1, rgba(0, 0, 0, 0.87));
  --mi-muted: var(--jp-ui-font-color2, rgba(0, 0, 0, 0.6));
  --mi-border: var(--jp-border-color1, #c8c8c8);
  --mi-accent: #d9480f;
  --mi-hover: rgba(217, 72, 15, 0.18);
  --mi-font: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --mi-mono: var(--jp-code-font-family, ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace);
  color-scheme: light;
  background: var(--mi-bg);
  color: var(--mi-fg);
  font-family: var(--mi-font);
}
.mi-root.${DARK_CLASS} {
  --mi-bg: var(--jp-layout-color0, #111318);
  --mi-panel: var(--jp-layout-color1, #1b1e25);
  --mi-fg: var(--jp-ui-font-color1, rgba(255, 255, 255, 0.87));
  --mi-muted: var(--jp-ui-font-color2, rgba(255, 255, 255, 0.6));
  --mi-border: var(--jp-border-color1, #4a4f5a);
  --mi-accent: #4fd1ff;
  --mi-hover: rgba(79, 209, 255, 0.22);
  color-scheme: dark;
}
`;

/** Apply the theme class to a view root. */
export function applyTheme(root: HTMLElement, dark: boolean): void {
  root.classList.toggle(DARK_CLASS, dark);
}

/** Resolved colours of a themed root, for drawing on canvases. */
export interface ThemeColors {
  bg: string;
  fg: string;
  muted: string;
  accent: string;
  hover: string;
}

/** Read the resolved `--mi-*` colours of `root` (with sane defaults outside a page). */
export function themeColors(root: HTMLElement, dark: boolean): ThemeColors {
  const style = root.ownerDocument.defaultView?.getComputedStyle(root);
  const read = (name: string, fallback: string) => style?.getPropertyValue(name).trim() || fallback;
  return {
    bg: read("--mi-bg", dark ? "#111318" : "#ffffff"),
    fg: read("--mi-fg", dark ? "#e0e0e0" : "#222222"),
    muted: read("--mi-muted", dark ? "#9a9a9a" : "#666666"),
    accent: read("--mi-accent", dark ? "#4fd1ff" : "#d9480f"),
    hover: read("--mi-hover", dark ? "rgba(79,209,255,0.22)" : "rgba(217,72,15,0.18)"),
  };
}
