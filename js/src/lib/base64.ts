/**
 * Base64 → bytes, with the native `Uint8Array.fromBase64` when the browser has it.
 */

type FromBase64 = (text: string) => Uint8Array;

/** Decode base64 text (surrounding whitespace allowed). */
export function base64ToBytes(text: string): Uint8Array {
  const clean = text.trim();
  const native = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;
  if (typeof native === "function") return native.call(Uint8Array, clean);
  const binary = atob(clean);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
