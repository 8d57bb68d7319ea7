/**
 * Decoding of encoded arrays: a small JSON header plus raw little-endian bytes.
 *
 * Mirror of `mi_widgets/widgets/_serialization.py`. A stored value `s` means
 * `offset + scale * s`. In the `"tril"` layout the last two axes are square `N x N`
 * and only `key <= query` is stored, row by row.
 */

export type Dtype = "uint8" | "float16" | "float32" | "int32";
export type Layout = "dense" | "tril";

/** Bytes as they arrive: a (possibly unaligned) DataView, a typed array or a buffer. */
export type Bytes = DataView | ArrayBufferView | ArrayBuffer;

/** The header of an encoded array, without its bytes. */
export interface ArrayHeader {
  dtype: Dtype;
  shape: number[];
  scale: number;
  offset: number;
  layout: Layout;
}

/** An encoded array as it travels in a trait: header plus bytes. */
export interface EncodedArray extends ArrayHeader {
  data: Bytes;
}

/** Stored values: float16 is widened to Float32Array. */
export type Stored = Uint8Array | Float32Array | Int32Array;

/** A decoded array: the stored values (copied, aligned) and how to read them. */
export interface Decoded extends ArrayHeader {
  data: Stored;
  /** Size of the last axis (`N` of the `N x N` matrices). */
  n: number;
  /** Number of matrices: product of all axes but the last two. */
  matrices: number;
}

const ITEM_SIZE: Record<Dtype, number> = { uint8: 1, float16: 2, float32: 4, int32: 4 };

/** Copy `bytes` into a fresh, aligned Uint8Array (respects byteOffset/byteLength). */
export function copyBytes(bytes: Bytes): Uint8Array {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes.slice(0));
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice();
}

/** Decode one IEEE 754 half-precision value given as its 16 bits. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let halfTable: Float32Array | null = null;

/** Every float16 bit pattern decoded, built on first use (65,536 values, 256 KiB). */
function halfLookup(): Float32Array {
  if (halfTable === null) {
    halfTable = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfTable[bits] = halfToFloat(bits);
  }
  return halfTable;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Number of stored values for a header (the tril layout stores N(N+1)/2 per matrix). */
export function storedCount(header: ArrayHeader): number {
  const { shape, layout } = header;
  if (layout === "dense") return shape.reduce((a, b) => a * b, 1);
  const n = shape[shape.length - 1];
  return matrixCount(shape) * ((n * (n + 1)) / 2);
}

function matrixCount(shape: number[]): number {
  return shape.slice(0, -2).reduce((a, b) => a * b, 1);
}

function checkHeader(header: ArrayHeader): void {
  if (!(header.dtype in ITEM_SIZE)) throw new Error(`unknown dtype ${String(header.dtype)}`);
  if (header.layout !== "dense" && header.layout !== "tril") {
    throw new Error(`unknown layout ${String(header.layout)}`);
  }
  const { shape } = header;
  if (header.layout === "tril" && (shape.length < 2 || shape[shape.length - 1] !== shape[shape.length - 2])) {
    throw new Error(`layout "tril" needs square matrices, got shape [${shape.join(", ")}]`);
  }
}

/** Decode header + bytes into aligned stored values (the bytes are copied). */
export function decodeArray(header: ArrayHeader, bytes: Bytes): Decoded {
  checkHeader(header);
  const count = storedCount(header);
  const raw = copyBytes(bytes);
  const expected = count * ITEM_SIZE[header.dtype];
  if (raw.byteLength !== expected) {
    throw new Error(
      `encoded ${header.dtype} array of shape [${header.shape.join(", ")}] (${header.layout}) ` +
        `needs ${expected} bytes, got ${raw.byteLength}`,
    );
  }
  const view = new DataView(raw.buffer);
  let data: Stored;
  switch (header.dtype) {
    case "uint8":
      data = raw;
      break;
    case "float16": {
      data = new Float32Array(count);
      const table = halfLookup();
      if (LITTLE_ENDIAN) {
        const bits = new Uint16Array(raw.buffer, 0, count); // `raw` is a fresh aligned copy
        for (let i = 0; i < count; i++) data[i] = table[bits[i]];
      } else {
        for (let i = 0; i < count; i++) data[i] = table[view.getUint16(2 * i, true)];
      }
      break;
    }
    case "float32": {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
      break;
    }
    case "int32": {
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(4 * i, true);
      break;
    }
  }
  const { shape } = header;
  return {
    dtype: header.dtype,
    shape: [...shape],
    scale: header.scale,
    offset: header.offset,
    layout: header.layout,
    data,
    n: shape.length ? shape[shape.length - 1] : 1,
    matrices: shape.length >= 2 ? matrixCount(shape) : 1,
  };
}

/** Decode an encoded array as found in a trait (header and `data` together). */
export function decode(encoded: EncodedArray): Decoded {
  return decodeArray(encoded, encoded.data);
}

/** Index of the first stored value of row `q` of matrix `m` in the tril layout. */
export function trilRowOffset(m: number, q: number, n: number): number {
  return (m * n * (n + 1)) / 2 + (q * (q + 1)) / 2;
}

/** Index of the first stored value of row `q` of matrix `m` (either layout). */
export function rowOffset(d: Decoded, m: number, q: number): number {
  return d.layout === "tril" ? trilRowOffset(m, q, d.n) : (m * d.n + q) * d.n;
}

/** Decoded value of matrix `m`, row `q`, column `k` (cells above a tril diagonal are `offset`). */
export function valueAt(d: Decoded, m: number, q: number, k: number): number {
  if (d.layout === "tril" && k > q) return d.offset;
  return d.offset + d.scale * d.data[rowOffset(d, m, q) + k];
}
