/**
 * The diverging colour map of activations (neurons, SAE features): negative blue, 0 neutral,
 * positive red (light) or orange (dark). A value `v` on the scale `s` uses LUT entry
 * `lutIndex(0.5 + 0.5 * v / s)` (so 0 is entry 128 and ±s the ends).
 */

import { buildColors, lutIndex, packLut, rgb, textColorOn, type Rgb } from "./colormap";

export const LIGHT_DIVERGING_STOPS: readonly (readonly [number, string])[] = [
  [0, "#08306b"],
  [0.2, "#2f6fb3"],
  [0.4, "#a9cbe6"],
  [0.5, "#f7f7f7"],
  [0.6, "#f6b899"],
  [0.8, "#d2492f"],
  [1, "#67000d"],
];

export const DARK_DIVERGING_STOPS: readonly (readonly [number, string])[] = [
  [0, "#9fd8ff"],
  [0.2, "#3f8fd0"],
  [0.4, "#23415f"],
  [0.5, "#1b1d24"],
  [0.6, "#6a3320"],
  [0.8, "#d9702a"],
  [1, "#ffd37a"],
];

export const LIGHT_DIVERGING: readonly Rgb[] = buildColors(LIGHT_DIVERGING_STOPS);
export const DARK_DIVERGING: readonly Rgb[] = buildColors(DARK_DIVERGING_STOPS);
const LUTS = { light: packLut([...LIGHT_DIVERGING]), dark: packLut([...DARK_DIVERGING]) };

/** Packed RGBA LUT of a theme (for canvases). */
export function divergingLut(dark: boolean): Uint32Array {
  return dark ? LUTS.dark : LUTS.light;
}

/** LUT index of activation `value` on the symmetric scale `[-scale, scale]`. */
export function divergingIndex(value: number, scale: number): number {
  return lutIndex(0.5 + (0.5 * value) / scale);
}

/** The scale for values whose largest magnitude is `peak` (1 when everything is 0). */
export function scaleFor(peak: number): number {
  return peak > 0 && Number.isFinite(peak) ? peak : 1;
}

export interface Palette {
  background: string[];
  text: string[];
}

const palettes = new Map<boolean, Palette>();

/** CSS background and text colours of every LUT entry of a theme. */
export function divergingPalette(dark: boolean): Palette {
  let palette = palettes.get(dark);
  if (!palette) {
    const colors = dark ? DARK_DIVERGING : LIGHT_DIVERGING;
    palette = { background: colors.map((c) => rgb(c)), text: colors.map((c) => textColorOn(c)) };
    palettes.set(dark, palette);
  }
  return palette;
}

/** Short text for an activation: 4 decimals, exponent form past 1e4. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1e4 ? value.toExponential(3) : value.toFixed(4);
}
