/**
 * Sequential colour maps for probabilities in [0, 1], as 256-entry lookup tables.
 *
 * Each LUT entry is one RGBA pixel packed little-endian (`r | g << 8 | b << 16 | a << 24`),
 * ready to be written through a Uint32Array view of ImageData. Value `v` uses entry
 * `Math.round(v * 255)`.
 */

export type Rgb = [number, number, number];

/** Light theme: near white to deep blue. */
export const LIGHT_STOPS: readonly (readonly [number, string])[] = [
  [0, "#f7fafd"],
  [0.15, "#dbe8f5"],
  [0.35, "#a9cae6"],
  [0.55, "#6aa4d3"],
  [0.75, "#2f73b5"],
  [1, "#0a2f6e"],
];

/** Dark theme: near the dark background to bright yellow/orange. */
export const DARK_STOPS: readonly (readonly [number, string])[] = [
  [0, "#1b1d24"],
  [0.2, "#3a2152"],
  [0.45, "#8a2c63"],
  [0.65, "#d0503c"],
  [0.85, "#f59a2a"],
  [1, "#fde663"],
];

function hexToRgb(hex: string): Rgb {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * Interpolate the stops linearly (in sRGB) into 256 colours, entry i at t = i / 255,
 * rounded half up. Same arithmetic as `numpy.interp` (segment `t0 <= t < t1`,
 * `slope * (t - t0) + c0`), so Python tests can recompute the exact colours.
 */
export function buildColors(stops: readonly (readonly [number, string])[]): Rgb[] {
  const points = stops.map(([t, hex]) => [t, hexToRgb(hex)] as const);
  const last = points.length - 1;
  const colors: Rgb[] = [];
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let j = 0;
    while (j < last && points[j + 1][0] <= t) j++;
    const [t0, c0] = points[j];
    const channel = (c: number) => {
      if (j === last || t <= t0) return c0[c];
      const [t1, c1] = points[j + 1];
      return ((c1[c] - c0[c]) / (t1 - t0)) * (t - t0) + c0[c];
    };
    colors.push([0, 1, 2].map((c) => Math.floor(channel(c) + 0.5)) as Rgb);
  }
  return colors;
}

/** Pack colours into an opaque RGBA little-endian Uint32 LUT. */
export function packLut(colors: Rgb[]): Uint32Array {
  const lut = new Uint32Array(colors.length);
  colors.forEach(([r, g, b], i) => {
    lut[i] = (r | (g << 8) | (b << 16) | (255 << 24)) >>> 0;
  });
  return lut;
}

export const LIGHT_COLORS: readonly Rgb[] = buildColors(LIGHT_STOPS);
export const DARK_COLORS: readonly Rgb[] = buildColors(DARK_STOPS);
export const LIGHT_LUT: Uint32Array = packLut([...LIGHT_COLORS]);
export const DARK_LUT: Uint32Array = packLut([...DARK_COLORS]);

/** The LUT for a theme. */
export function probabilityLut(dark: boolean): Uint32Array {
  return dark ? DARK_LUT : LIGHT_LUT;
}

/** LUT index of a value: clamp to [0, 1], then `Math.round(v * 255)` (NaN → 0). */
export function lutIndex(value: number): number {
  if (!(value > 0)) return 0;
  if (value >= 1) return 255;
  return Math.round(value * 255);
}

/** Colour of probability `value` in the given theme. */
export function probabilityColor(value: number, dark: boolean): Rgb {
  const [r, g, b] = (dark ? DARK_COLORS : LIGHT_COLORS)[lutIndex(value)];
  return [r, g, b];
}

/** CSS `rgb(...)` string of a colour. */
export function rgb([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** CSS background and text colours for every LUT entry of a theme (for DOM styling). */
export interface CssPalette {
  background: string[];
  text: string[];
}

const palettes = new Map<boolean, CssPalette>();

/** The CSS palette of a theme, computed once. */
export function cssPalette(dark: boolean): CssPalette {
  let palette = palettes.get(dark);
  if (!palette) {
    const colors = dark ? DARK_COLORS : LIGHT_COLORS;
    palette = { background: colors.map((c) => rgb(c)), text: colors.map((c) => textColorOn(c)) };
    palettes.set(dark, palette);
  }
  return palette;
}

/** WCAG relative luminance of an sRGB colour. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Text colour (near black, or black where near black falls short of 4.5:1, or white) with the higher contrast on `background`. */
export function textColorOn(background: Rgb): string {
  const l = luminance(background);
  const onBlack = (l + 0.05) / 0.05;
  const onWhite = 1.05 / (l + 0.05);
  if (onBlack < onWhite) return "#ffffff";
  // near-black ink, unless only pure black reaches WCAG AA's 4.5:1 on this background
  return (l + 0.05) / (NEAR_BLACK_LUMINANCE + 0.05) >= 4.5 ? "#111111" : "#000000";
}

/** Relative luminance of the near-black ink `#111111`. */
const NEAR_BLACK_LUMINANCE = luminance([17, 17, 17]);
