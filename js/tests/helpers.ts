/** Test helpers: build encoded arrays the way the Python encoder does. */
// biome-ignore-all lint/suspicious/noExplicitAny: the fake model records and replays untyped anywidget messages and traits

import type { Dtype, EncodedArray, Layout } from "../src/lib/binary";

const SIZE: Record<Dtype, number> = { uint8: 1, float16: 2, float32: 4, int32: 4 };

/** Lower triangles (row by row) of `[m][q][k]` matrices, flattened. */
export function trilValues(matrices: number[][][]): number[] {
  const out: number[] = [];
  for (const matrix of matrices) {
    for (const [q, row] of matrix.entries()) out.push(...row.slice(0, q + 1));
  }
  return out;
}

/**
 * Encode stored values as little-endian bytes, placed at byte `pad` of a larger buffer so the
 * DataView is unaligned and has junk on both sides.
 */
export function encodeStored(
  dtype: Dtype,
  values: number[],
  shape: number[],
  options: { layout?: Layout; scale?: number; offset?: number; pad?: number } = {},
): EncodedArray {
  const pad = options.pad ?? 0;
  const size = values.length * SIZE[dtype];
  const buffer = new ArrayBuffer(pad + size + 3);
  new Uint8Array(buffer).fill(0xee);
  const view = new DataView(buffer, pad, size);
  values.forEach((v, i) => {
    if (dtype === "uint8") view.setUint8(i, v);
    else if (dtype === "float16") view.setUint16(2 * i, v, true);
    else if (dtype === "float32") view.setFloat32(4 * i, v, true);
    else view.setInt32(4 * i, v, true);
  });
  return {
    dtype,
    shape,
    scale: options.scale ?? 1,
    offset: options.offset ?? 0,
    layout: options.layout ?? "dense",
    data: view,
  };
}

type Handler = (...args: any[]) => void;

/** A minimal anywidget-like model recording sends and dispatching events. */
export class FakeModel {
  sent: any[] = [];
  handlers = new Map<string, Handler[]>();
  state: Record<string, any>;

  constructor(state: Record<string, any>) {
    this.state = { ...state };
  }

  get(name: string): any {
    return this.state[name];
  }

  set(name: string, value: any): void {
    this.state[name] = value;
    this.emit(`change:${name}`);
  }

  save_changes(): void {}

  on(event: string, handler: Handler): void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
  }

  off(event?: string | null, handler?: Handler | null): void {
    if (!event) this.handlers.clear();
    else this.handlers.set(event, (this.handlers.get(event) ?? []).filter((h) => handler && h !== handler));
  }

  send(content: any): void {
    this.sent.push(content);
  }

  emit(event: string, ...args: any[]): void {
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
  }

  listenerCount(): number {
    let count = 0;
    for (const list of this.handlers.values()) count += list.length;
    return count;
  }
}

/** The element inside `parent` matching `selector`; throws (failing the test) when there is none. */
export function find<T extends Element = HTMLElement>(parent: ParentNode, selector: string): T {
  const el = parent.querySelector<T>(selector);
  if (!el) throw new Error(`no element matches ${selector}`);
  return el;
}
