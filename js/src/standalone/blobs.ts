/**
 * The binary blobs of an exported report: `<script type="application/octet-stream"
 * id="mi-blob-<id>">base64</script>`, decoded on first use.
 */

import { base64ToBytes } from "../lib/base64";

export class BlobStore {
  private cache = new Map<string, DataView>();

  constructor(private readonly doc: Document) {}

  /** True when the page holds blob `id`. */
  has(id: string): boolean {
    return this.cache.has(id) || this.doc.getElementById(`mi-blob-${id}`) !== null;
  }

  /** The bytes of blob `id` as a DataView (throws when the blob is not in the page). */
  get(id: string): DataView {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const script = this.doc.getElementById(`mi-blob-${id}`);
    if (!script) throw new Error(`blob ${id} is not in this report`);
    const bytes = base64ToBytes(script.textContent ?? "");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.cache.set(id, view);
    return view;
  }
}

/** Replace every `{"$blob": id}` inside `value` by the blob's DataView. */
export function reviveBlobs(value: unknown, blobs: BlobStore): unknown {
  if (Array.isArray(value)) return value.map((item) => reviveBlobs(item, blobs));
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === "$blob") return blobs.get(String(record.$blob));
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = reviveBlobs(record[key], blobs);
    return out;
  }
  return value;
}
