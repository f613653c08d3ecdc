// Library analyses kept in the library file (table `library_analyses`, schema v6) as bytes: for now
// the library × library matrix of Eq. 5. Like a stored classifier (classifier/serialize.ts), every
// value is stored as the float64 it is in memory — labels in a JSON header, values little-endian —
// so an analysis that reads it shows exactly the numbers computed when the library changed (NaN,
// for an entry without held-out residuals, included).
import type { LabelledMatrix } from '../types.js';

const MAGIC = 'GPLM';
const FORMAT_VERSION = 1;

export function serializeLibraryMatrix(m: LabelledMatrix): Uint8Array {
  if (m.values.length !== m.rows.length || m.values.some((r) => r.length !== m.cols.length))
    throw new RangeError('library matrix: values do not match the labels');
  const json = Buffer.from(JSON.stringify({ rows: m.rows, cols: m.cols }), 'utf8');
  const start = Math.ceil((12 + json.length) / 8) * 8;
  const out = new Uint8Array(start + 8 * m.rows.length * m.cols.length);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let off = start;
  for (const row of m.values)
    for (const v of row) {
      view.setFloat64(off, v, true);
      off += 8;
    }
  return out;
}

/** Reads what serializeLibraryMatrix wrote; throws a RangeError on anything else (the caller names the file). */
export function deserializeLibraryMatrix(bytes: Uint8Array): LabelledMatrix {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== MAGIC) throw new RangeError('not a stored library matrix');
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) throw new RangeError(`stored library matrix format v${version} is not known to this version of Genprint`);
  const jsonLength = view.getUint32(8, true);
  if (12 + jsonLength > bytes.length) throw new RangeError('stored library matrix is truncated');
  const { rows, cols } = JSON.parse(Buffer.from(bytes.subarray(12, 12 + jsonLength)).toString('utf8')) as { rows: string[]; cols: string[] };
  if (!Array.isArray(rows) || !Array.isArray(cols)) throw new RangeError('stored library matrix has no labels');
  let off = Math.ceil((12 + jsonLength) / 8) * 8;
  if (bytes.length - off !== 8 * rows.length * cols.length) throw new RangeError('stored library matrix does not match its labels');
  const values = rows.map(() =>
    cols.map(() => {
      const v = view.getFloat64(off, true);
      off += 8;
      return v;
    }),
  );
  return { rows: [...rows], cols: [...cols], values };
}
