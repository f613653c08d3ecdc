// A fitted library classifier as bytes, for keeping it inside the library file (library.ts, table
// `classifiers`) or in the feature-cache sidecar. Every number is stored as the float64 it is in
// memory — the scalars in a JSON header (JavaScript writes the shortest text that reads back to the
// same double), the arrays as little-endian float64 — so a stored classifier gives exactly the
// posteriors of the one that was fitted.
import { endianness } from 'node:os';
import type { FusedClassifier } from './fused.js';

const MAGIC = 'GPCL';
const FORMAT_VERSION = 1;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

interface Header {
  classes: string[];
  weighting: string;
  heldOutAccuracy: number | null;
  bagTemperature: FusedClassifier['bagTemperature'];
  blocks: { name: string; description: string; weight: number; dim: number; iterations: number; converged: boolean }[];
  heldBackLabels: number[] | null;
}

export function serializeClassifier(c: FusedClassifier): Uint8Array {
  const K = c.classes.length;
  const header: Header = {
    classes: c.classes,
    weighting: c.weighting,
    heldOutAccuracy: c.heldOutAccuracy,
    bagTemperature: c.bagTemperature,
    blocks: c.blocks.map((b) => ({
      name: b.name,
      description: b.description,
      weight: b.weight,
      dim: b.model.dim,
      iterations: b.model.iterations,
      converged: b.model.converged,
    })),
    heldBackLabels: c.heldBack ? Array.from(c.heldBack.labels) : null,
  };
  const arrays: Float64Array[] = [];
  for (const b of c.blocks) {
    if (b.model.classes.length !== K || b.model.weights.length !== K * b.model.dim) throw new RangeError(`block "${b.name}" does not match the classes`);
    arrays.push(b.model.mean, b.model.scale, b.model.weights, b.model.bias);
  }
  if (c.heldBack) for (const row of c.heldBack.logProba) arrays.push(row);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerEnd = 12 + json.length;
  const start = Math.ceil(headerEnd / 8) * 8;
  const values = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Uint8Array(start + 8 * values);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let off = start;
  for (const a of arrays) {
    if (LITTLE_ENDIAN_HOST) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    else a.forEach((v, i) => view.setFloat64(off + 8 * i, v, true));
    off += a.byteLength;
  }
  return out;
}

/** Reads what serializeClassifier wrote; throws a RangeError on anything else (the caller names the file). */
export function deserializeClassifier(bytes: Uint8Array): FusedClassifier {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== MAGIC) throw new RangeError('not a stored classifier');
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) throw new RangeError(`stored classifier format v${version} is not known to this version of Genprint`);
  const jsonLength = view.getUint32(8, true);
  if (12 + jsonLength > bytes.length) throw new RangeError('stored classifier is truncated');
  const header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + jsonLength)).toString('utf8')) as Header;
  let off = Math.ceil((12 + jsonLength) / 8) * 8;
  const take = (n: number): Float64Array => {
    if (off + 8 * n > bytes.length) throw new RangeError('stored classifier is truncated');
    const a = new Float64Array(n);
    if (LITTLE_ENDIAN_HOST) new Uint8Array(a.buffer).set(bytes.subarray(off, off + 8 * n));
    else for (let i = 0; i < n; i++) a[i] = view.getFloat64(off + 8 * i, true);
    off += 8 * n;
    return a;
  };
  const K = header.classes.length;
  const blocks = header.blocks.map((b) => {
    const mean = take(b.dim);
    const scale = take(b.dim);
    const weights = take(K * b.dim);
    const bias = take(K);
    return {
      name: b.name,
      description: b.description,
      weight: b.weight,
      model: { classes: [...header.classes], dim: b.dim, mean, scale, weights, bias, iterations: b.iterations, converged: b.converged },
    };
  });
  const heldBack = header.heldBackLabels ? { labels: Int32Array.from(header.heldBackLabels), logProba: header.heldBackLabels.map(() => take(K)) } : null;
  if (off !== bytes.length) throw new RangeError('stored classifier has trailing bytes');
  return {
    classes: header.classes,
    blocks,
    heldOutAccuracy: header.heldOutAccuracy,
    weighting: header.weighting,
    bagTemperature: header.bagTemperature,
    heldBack,
  };
}
