// The φ features of a case's images, on disk instead of in memory (issue #16: memory flat in the
// folder's size). A verdict on any subset of the images needs their features (the set-encoder's bag
// embedding of the subset's mean), and they are the largest part of what an analysis holds per image
// (640 floats: 2.5 KB, a third of the per-image growth measured at 10,000 images). They are written
// once, as the images are examined, and read back when a verdict needs them: the folder, its groups
// and the bags, a few reads per image. Reads come from the page cache and cost microseconds.
//
// The file lives in the system's temporary folder (never beside the evidence, which is read-only),
// is created with mode 0600 and is unlinked as soon as it is open, so nothing is left behind by a
// crash and no other process finds it by name; the descriptor is closed when the evidence that reads
// it is garbage-collected. Where the file cannot be created or written (no space, say), the features
// simply stay in memory; where an open file cannot be unlinked (Windows), it is deleted when closed
// or at exit.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImageEvidence } from './judge.js';

/** Where a spilled evidence object keeps its row index (not enumerable: a spread does not copy it). */
const ROW = Symbol('feature spill row');

/** Rows held in memory before one write (about 640 KB of φ features). */
const WRITE_ROWS = 256;

/** Closes a spill's descriptor once nothing can read from it any more. */
const descriptors = new FinalizationRegistry<{ fd: number; leftover: string | null }>(({ fd, leftover }) => {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
  if (leftover) removeLeftover(leftover);
});

/** Files that could not be unlinked while open (Windows): removed when the descriptor closes, else at exit. */
const leftovers = new Set<string>();
let exitHook = false;
function removeLeftover(dir: string): void {
  leftovers.delete(dir);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    /* still open elsewhere: the temporary folder's own clean-up takes it */
  }
}

export class FeatureSpill {
  /** Where each row starts in the file, and its length in floats. */
  private readonly offsets: number[] = [];
  private readonly lengths: number[] = [];
  /** Rows not written yet, the file offset the first of them will have, and their bytes. */
  private pending: Float32Array[] = [];
  private pendingFrom = 0;
  private pendingBytes = 0;
  private fileEnd = 0;
  /** A write failed: rows already added stay readable (from memory), no more are taken. */
  private failed = false;

  /** The getter every evidence object of this spill shares (`this` is the evidence). */
  private readonly readFeatures: (this: { [ROW]: number }) => Float32Array;

  private constructor(private readonly fd: number) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getter's own `this` is the evidence object
    const spill = this;
    this.readFeatures = function () {
      return spill.read(this[ROW]);
    };
  }

  /** A new spill file, or null where none can be made (the caller keeps features in memory). */
  static create(): FeatureSpill | null {
    let dir: string | null = null;
    try {
      dir = mkdtempSync(path.join(os.tmpdir(), 'genprint-features-'));
      const file = path.join(dir, 'features.f32');
      const fd = openSync(file, 'wx+', 0o600);
      let leftover: string | null = null;
      try {
        unlinkSync(file);
        rmSync(dir, { recursive: true, force: true });
      } catch {
        leftover = dir; // an open file cannot be unlinked here: remove it when done, or at exit
        leftovers.add(dir);
        if (!exitHook) {
          exitHook = true;
          process.once('exit', () => [...leftovers].forEach(removeLeftover));
        }
      }
      const spill = new FeatureSpill(fd);
      descriptors.register(spill, { fd, leftover });
      return spill;
    } catch {
      if (dir) rmSync(dir, { recursive: true, force: true });
      return null;
    }
  }

  /** Appends one row and returns its index for `read`, or null once a write has failed. */
  add(row: Float32Array): number | null {
    if (this.failed) return null;
    const index = this.offsets.length;
    this.offsets.push(this.pendingFrom + this.pendingBytes);
    this.lengths.push(row.length);
    this.pending.push(row);
    this.pendingBytes += row.byteLength;
    if (this.pending.length >= WRITE_ROWS) this.flush();
    return index;
  }

  /** Writes the rows held in memory; where that fails they stay in memory and no more rows are taken. */
  flush(): void {
    if (this.pending.length === 0 || this.failed) return;
    const buf = Buffer.allocUnsafe(this.pendingBytes);
    let at = 0;
    for (const r of this.pending) {
      buf.set(new Uint8Array(r.buffer, r.byteOffset, r.byteLength), at);
      at += r.byteLength;
    }
    try {
      for (let done = 0; done < buf.byteLength;) done += writeSync(this.fd, buf, done, buf.byteLength - done, this.pendingFrom + done);
    } catch {
      this.failed = true; // no space left, say: the rows in `pending` are still read from memory
      return;
    }
    this.fileEnd = this.pendingFrom + this.pendingBytes;
    this.pendingFrom = this.fileEnd;
    this.pendingBytes = 0;
    this.pending = [];
  }

  /** Row `index` as written (a fresh array each time: read it once per use). */
  read(index: number): Float32Array {
    const offset = this.offsets[index];
    const length = this.lengths[index];
    if (offset === undefined) throw new RangeError(`feature spill: no row ${index}`);
    if (offset >= this.fileEnd) {
      // Still in memory: find it among the pending rows.
      let at = this.pendingFrom;
      for (const r of this.pending) {
        if (at === offset) return Float32Array.from(r);
        at += r.byteLength;
      }
      throw new RangeError(`feature spill: row ${index} lost`);
    }
    const out = new Float32Array(length);
    const view = new Uint8Array(out.buffer);
    for (let done = 0; done < view.byteLength;) {
      const n = readSync(this.fd, view, done, view.byteLength - done, offset + done);
      if (n === 0) throw new Error(`feature spill: row ${index} is cut short`);
      done += n;
    }
    return out;
  }

  /**
   * The evidence with its features in the spill: a copy of `evidence` whose `features` property
   * reads the row back from the file on each access (a spread copies the value out, as it would a
   * plain property). Where writing has failed, `evidence` itself, features in memory.
   *
   * A copy, not a change in place: redefining an existing property as an accessor turns an object
   * into a dictionary (~0.7 KB more per image); a new object of the same keys, its row in a hidden
   * field and one getter per spill keep every evidence object of a case on one fast shape.
   */
  attach(evidence: ImageEvidence): ImageEvidence {
    const row = evidence.features;
    if (!row) return evidence;
    const index = this.add(row);
    if (index === null) return evidence;
    const spilled: Record<string | symbol, unknown> = {};
    for (const key of Object.keys(evidence)) if (key !== 'features') spilled[key] = evidence[key as keyof ImageEvidence];
    Object.defineProperty(spilled, ROW, { value: index, enumerable: false });
    Object.defineProperty(spilled, 'features', { get: this.readFeatures, enumerable: true, configurable: true });
    return spilled as unknown as ImageEvidence;
  }
}
