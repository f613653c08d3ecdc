// Library analyses kept in the library file (table `library_analyses`, schema v6) as bytes: the
// library × library matrix of Eq. 5 and the calibration's held-back statistics (below). Like a stored classifier (classifier/serialize.ts), every
// value is stored as the float64 it is in memory — labels in a JSON header, values little-endian —
// so an analysis that reads it shows exactly the numbers computed when the library changed (NaN,
// for an entry without held-out residuals, included).
import type { LabelledMatrix } from '../types.js';
import type { CalibrationStatistics } from '../attribution/calibration.js';

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

// The calibration's held-back statistics (attribution/calibration.ts, CalibrationStatistics; kind
// 'calibration'): a JSON header with the structure, every typed array's values little-endian
// float64 after it. Non-finite numbers are written as {"$n": "NaN" | "Infinity" | "-Infinity"}, a
// typed array as {"$f64" | "$i32": [offset, length]} (offset in values); finite numbers round-trip
// through JSON exactly, so the thresholds derived from the stored statistics are the ones derived
// from the statistics computed when the library changed.
const CALIBRATION_MAGIC = 'GPCS';
const CALIBRATION_FORMAT_VERSION = 1;

export function serializeCalibrationStatistics(stats: CalibrationStatistics): Uint8Array {
  const arrays: (Float64Array | Int32Array)[] = [];
  let values = 0;
  const json = Buffer.from(
    JSON.stringify(stats, (_key, v: unknown) => {
      if (v instanceof Float64Array || v instanceof Int32Array) {
        const ref = { [v instanceof Float64Array ? '$f64' : '$i32']: [values, v.length] };
        arrays.push(v);
        values += v.length;
        return ref;
      }
      if (typeof v === 'number' && !Number.isFinite(v)) return { $n: String(v) };
      return v;
    }),
    'utf8',
  );
  const start = Math.ceil((12 + json.length) / 8) * 8;
  const out = new Uint8Array(start + 8 * values);
  const view = new DataView(out.buffer);
  out.set(Buffer.from(CALIBRATION_MAGIC, 'latin1'), 0);
  view.setUint32(4, CALIBRATION_FORMAT_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let off = start;
  for (const a of arrays) for (let i = 0; i < a.length; i++, off += 8) view.setFloat64(off, a[i], true);
  return out;
}

/** Reads what serializeCalibrationStatistics wrote; throws a RangeError on anything else (the caller names the file). */
export function deserializeCalibrationStatistics(bytes: Uint8Array): CalibrationStatistics {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== CALIBRATION_MAGIC)
    throw new RangeError('not stored calibration statistics');
  const version = view.getUint32(4, true);
  if (version !== CALIBRATION_FORMAT_VERSION) throw new RangeError(`stored calibration format v${version} is not known to this version of Genprint`);
  const jsonLength = view.getUint32(8, true);
  if (12 + jsonLength > bytes.length) throw new RangeError('stored calibration is truncated');
  const start = Math.ceil((12 + jsonLength) / 8) * 8;
  const count = (bytes.length - start) / 8;
  const read = (ref: unknown): number[] => {
    if (!Array.isArray(ref) || ref.length !== 2 || !ref.every(Number.isInteger) || ref[0] < 0 || ref[0] + ref[1] > count)
      throw new RangeError('stored calibration does not match its values');
    return Array.from({ length: ref[1] as number }, (_, i) => view.getFloat64(start + 8 * (ref[0] + i), true));
  };
  const stats = JSON.parse(Buffer.from(bytes.subarray(12, 12 + jsonLength)).toString('utf8'), (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if ('$f64' in o) return Float64Array.from(read(o.$f64));
      if ('$i32' in o) return Int32Array.from(read(o.$i32));
      if ('$n' in o) return Number(o.$n);
    }
    return v;
  }) as CalibrationStatistics;
  if (!stats || !Array.isArray(stats.classes) || !stats.openSet || !stats.split) throw new RangeError('stored calibration has no statistics');
  return stats;
}
