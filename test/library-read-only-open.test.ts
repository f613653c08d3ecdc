// A read-only open lends the file's bytes to sql.js and adopts float blobs without copying them
// (docs/performance.md, "Ten images against a fitted 100-entry library"). What it reads must be
// exactly what a writable open reads, its SHA-256 that of the file on disk, and the file untouched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FingerprintLibrary } from '../src/engine/library/index.js';
import { blobToFloats } from '../src/engine/library/database.js';
import { writeSyntheticLibrary } from '../src/engine/library-bench.js';
import { fileSha256, SMALL_SYNTHETIC } from './helpers/library-files.js';

const dir = mkdtempSync(path.join(tmpdir(), 'genprint-ro-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('read-only library open', () => {
  it('reads the same entries as a writable open, quotes the file’s SHA-256 and leaves the file as it was', async () => {
    const file = path.join(dir, 'lib.gplib');
    await writeSyntheticLibrary(file, { ...SMALL_SYNTHETIC, manifold: true });
    const before = fileSha256(file);
    const ro = await FingerprintLibrary.open(file, { readOnly: true });
    const roEntries = ro.getAllEntries();
    const roSha = ro.fileSha256();
    // Reading an entry twice gives equal values: nothing was consumed or aliased between reads.
    expect(ro.getEntry(roEntries[0].name)).toEqual(roEntries[0]);
    ro.close();
    const rw = await FingerprintLibrary.open(file);
    const rwEntries = rw.getAllEntries();
    rw.close();
    expect(roEntries.length).toBe(SMALL_SYNTHETIC.entries);
    expect(roEntries).toEqual(rwEntries);
    expect(roEntries[0].heldOutResiduals?.data.length).toBeGreaterThan(0);
    expect(roEntries[0].manifold?.imageFeatures?.data.length).toBeGreaterThan(0);
    expect(roSha).toBe(before);
    expect(fileSha256(file)).toBe(before);
  });
});

describe('blobToFloats', () => {
  const values = Float32Array.from([1.5, -2.25, 3e-7, 1e30, -0, 7]);
  const bytes = () => new Uint8Array(values.buffer.slice(0));

  it('adopts a blob that is an array of its own', () => {
    const blob = bytes();
    const out = blobToFloats(blob, values.length, 'x');
    expect(out).toEqual(values);
    expect(out.buffer).toBe(blob.buffer);
  });

  it('copies a view into a larger buffer, aligned or not, and the copy does not follow the buffer', () => {
    for (const offset of [4, 3]) {
      const big = new Uint8Array(offset + values.byteLength + 5);
      big.set(bytes(), offset);
      const view = big.subarray(offset, offset + values.byteLength);
      const out = blobToFloats(view, values.length, 'x');
      expect(out).toEqual(values);
      expect(out.buffer).not.toBe(big.buffer);
      big.fill(0);
      expect(out).toEqual(values);
    }
  });

  it('refuses a blob of the wrong length', () => {
    expect(() => blobToFloats(bytes().subarray(0, 20), values.length, 'the part')).toThrow(/the part: 20 bytes where 24 were expected/);
  });
});
