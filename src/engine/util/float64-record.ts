// The byte layout every stored numeric artefact of a library uses (the classifier, the library ×
// library matrix, the calibration statistics): a 4-byte magic, a little-endian uint32 format
// version, a uint32 JSON length, the JSON header, then — from the next 8-byte boundary — the values
// as little-endian float64. Each format owns its magic, version, header and the order of its
// values; this module owns the framing and its checks, so the three cannot drift apart.
import { endianness } from 'node:os';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Frames a header and float64 values (typed arrays are copied as they are in memory when the host is little-endian). */
export function writeFloat64Record(magic: string, version: number, header: string, arrays: readonly ArrayLike<number>[]): Uint8Array {
  const json = Buffer.from(header, 'utf8');
  const start = Math.ceil((12 + json.length) / 8) * 8;
  const count = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Uint8Array(start + 8 * count);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(magic, 'latin1'), 0);
  view.setUint32(4, version, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let off = start;
  for (const a of arrays) {
    if (LITTLE_ENDIAN_HOST && a instanceof Float64Array) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    else for (let i = 0; i < a.length; i++) view.setFloat64(off + 8 * i, a[i], true);
    off += 8 * a.length;
  }
  return out;
}

/**
 * Reads the framing writeFloat64Record wrote: the header text and the values. Throws a RangeError
 * naming `what` ("stored classifier") when the magic, the version or the lengths do not fit; the
 * format checks that its header and the number of values agree.
 */
export function readFloat64Record(bytes: Uint8Array, magic: string, version: number, what: string): { header: string; values: Float64Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== magic) throw new RangeError(`not a ${what}`);
  const found = view.getUint32(4, true);
  if (found !== version) throw new RangeError(`${what} format v${found} is not known to this version of Genprint`);
  const jsonLength = view.getUint32(8, true);
  if (12 + jsonLength > bytes.length) throw new RangeError(`${what} is truncated`);
  const header = Buffer.from(bytes.subarray(12, 12 + jsonLength)).toString('utf8');
  const start = Math.ceil((12 + jsonLength) / 8) * 8;
  if (start > bytes.length || (bytes.length - start) % 8 !== 0) throw new RangeError(`${what} is truncated`);
  const values = new Float64Array((bytes.length - start) / 8);
  if (LITTLE_ENDIAN_HOST) new Uint8Array(values.buffer).set(bytes.subarray(start));
  else for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(start + 8 * i, true);
  return { header, values };
}
