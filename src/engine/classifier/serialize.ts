// A fitted library classifier as bytes, for keeping it inside the library file (library.ts, table
// `classifiers`) or in the feature-cache sidecar. Every number is stored as the float64 it is in
// memory — the scalars in a JSON header (JavaScript writes the shortest text that reads back to the
// same double), the arrays as little-endian float64 — so a stored classifier gives exactly the
// posteriors of the one that was fitted.
import type { FusedClassifier } from './fused.js';
import { readFloat64Record, writeFloat64Record } from '../util/float64-record.js';

const MAGIC = 'GPCL';
const FORMAT_VERSION = 1;
const WHAT = 'stored classifier';

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
  return writeFloat64Record(MAGIC, FORMAT_VERSION, JSON.stringify(header), arrays);
}

/** Reads what serializeClassifier wrote; throws a RangeError on anything else (the caller names the file). */
export function deserializeClassifier(bytes: Uint8Array): FusedClassifier {
  const record = readFloat64Record(bytes, MAGIC, FORMAT_VERSION, WHAT);
  const header = JSON.parse(record.header) as Header;
  let off = 0;
  const take = (n: number): Float64Array => {
    if (off + n > record.values.length) throw new RangeError(`${WHAT} is truncated`);
    off += n;
    return record.values.slice(off - n, off);
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
  if (off !== record.values.length) throw new RangeError(`${WHAT} has trailing bytes`);
  return {
    classes: header.classes,
    blocks,
    heldOutAccuracy: header.heldOutAccuracy,
    weighting: header.weighting,
    bagTemperature: header.bagTemperature,
    heldBack,
  };
}
