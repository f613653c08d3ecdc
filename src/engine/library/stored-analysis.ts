// Library analyses kept in the library file (table `library_analyses`, schema v6) as bytes: the
// library × library matrix of Eq. 5 and the calibration's held-back statistics (below). Like a stored classifier (classifier/serialize.ts), every
// value is stored as the float64 it is in memory — labels in a JSON header, values little-endian —
// so an analysis that reads it shows exactly the numbers computed when the library changed (NaN,
// for an entry without held-out residuals, included).
import type { LabelledMatrix } from '../types.js';
import type { CalibrationStatistics } from '../attribution/calibration.js';
import { readFloat64Record, writeFloat64Record } from '../util/float64-record.js';

const MAGIC = 'GPLM';
const FORMAT_VERSION = 1;

export function serializeLibraryMatrix(m: LabelledMatrix): Uint8Array {
  if (m.values.length !== m.rows.length || m.values.some((r) => r.length !== m.cols.length))
    throw new RangeError('library matrix: values do not match the labels');
  return writeFloat64Record(
    MAGIC,
    FORMAT_VERSION,
    JSON.stringify({ rows: m.rows, cols: m.cols }),
    m.values.map((row) => Float64Array.from(row)),
  );
}

/** Reads what serializeLibraryMatrix wrote; throws a RangeError on anything else (the caller names the file). */
export function deserializeLibraryMatrix(bytes: Uint8Array): LabelledMatrix {
  const record = readFloat64Record(bytes, MAGIC, FORMAT_VERSION, 'stored library matrix');
  const { rows, cols } = JSON.parse(record.header) as { rows: string[]; cols: string[] };
  if (!Array.isArray(rows) || !Array.isArray(cols)) throw new RangeError('stored library matrix has no labels');
  if (record.values.length !== rows.length * cols.length) throw new RangeError('stored library matrix does not match its labels');
  const values = rows.map((_, i) => Array.from(record.values.subarray(i * cols.length, (i + 1) * cols.length)));
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
  const header = JSON.stringify(stats, (_key, v: unknown) => {
    if (v instanceof Float64Array || v instanceof Int32Array) {
      const ref = { [v instanceof Float64Array ? '$f64' : '$i32']: [values, v.length] };
      arrays.push(v);
      values += v.length;
      return ref;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $n: String(v) };
    return v;
  });
  return writeFloat64Record(CALIBRATION_MAGIC, CALIBRATION_FORMAT_VERSION, header, arrays);
}

/** Reads what serializeCalibrationStatistics wrote; throws a RangeError on anything else (the caller names the file). */
export function deserializeCalibrationStatistics(bytes: Uint8Array): CalibrationStatistics {
  const record = readFloat64Record(bytes, CALIBRATION_MAGIC, CALIBRATION_FORMAT_VERSION, 'stored calibration');
  const read = (ref: unknown): Float64Array => {
    if (!Array.isArray(ref) || ref.length !== 2 || !ref.every(Number.isInteger) || ref[0] < 0 || ref[0] + ref[1] > record.values.length)
      throw new RangeError('stored calibration does not match its values');
    return record.values.subarray(ref[0] as number, (ref[0] as number) + (ref[1] as number));
  };
  const stats = JSON.parse(record.header, (_key, v: unknown) => {
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
