// The case's φ features on disk (attribution/feature-spill.ts): what is read back is what was
// written, bit for bit, whether it is still in memory or already in the file; the file leaves no
// trace by name; where no file can be made the features stay in memory.
import { readdirSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FeatureSpill } from '../src/engine/attribution/feature-spill.js';
import type { ImageEvidence } from '../src/engine/attribution/judge.js';
import { createRandom, gaussian } from '../src/engine/util/random.js';

const rows = (count: number, dim: number, seed: number) => {
  const rand = createRandom(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: dim }, () => gaussian(rand)));
};
const evidence = (features: Float32Array | null): ImageEvidence => ({
  relPath: 'a.png',
  sha256: '0'.repeat(64),
  corr: new Float64Array(2),
  logProba: null,
  novelty: null,
  features,
});

const savedTmp = process.env.TMPDIR;
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});

describe('the feature spill', () => {
  it('reads back every row bit for bit, before and after it is written, rows of any length', () => {
    const spill = FeatureSpill.create()!;
    expect(spill).not.toBeNull();
    // 600 rows: two full writes of 256 and a tail still in memory; one row of another length.
    const data = [...rows(300, 640, 1), Float32Array.from([1.5, NaN, -0, Infinity]), ...rows(299, 640, 2)];
    const index = data.map((r) => spill.add(r)!);
    expect(index).toEqual(data.map((_, i) => i));
    const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    expect(data.every((r, i) => same(spill.read(index[i]), r))).toBe(true);
    spill.flush();
    expect(data.every((r, i) => same(spill.read(index[i]), r))).toBe(true);
    // A read is a copy: changing it changes nothing stored.
    spill.read(0).fill(7);
    expect(same(spill.read(0), data[0])).toBe(true);
    expect(() => spill.read(data.length)).toThrow(RangeError);
  });

  it('leaves no file by name in the temporary folder (unlinked while open)', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'genprint-spill-test-'));
    process.env.TMPDIR = tmp;
    try {
      const spill = FeatureSpill.create()!;
      spill.add(rows(1, 8, 3)[0]);
      spill.flush();
      if (process.platform !== 'win32') expect(readdirSync(tmp)).toEqual([]);
      expect(Array.from(spill.read(0))).toEqual(Array.from(rows(1, 8, 3)[0]));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('attach: the evidence reads its features from the spill, and a spread copies them', () => {
    const spill = FeatureSpill.create()!;
    const [f] = rows(1, 16, 4);
    const original = evidence(Float32Array.from(f));
    const e = spill.attach(original);
    expect(e).not.toBe(original);
    expect(Object.getOwnPropertyDescriptor(e, 'features')!.get).toBeTypeOf('function');
    expect({ ...e, features: null }).toEqual({ ...original, features: null });
    expect(Array.from(e.features!)).toEqual(Array.from(f));
    const copy = { ...e };
    expect(Object.getOwnPropertyDescriptor(copy, 'features')!.value).toBeInstanceOf(Float32Array);
    expect(Array.from(copy.features!)).toEqual(Array.from(f));
    const none = evidence(null);
    expect(spill.attach(none)).toBe(none);
    expect(Object.getOwnPropertySymbols(copy)).toEqual([]);
  });

  it('gives no spill where no file can be made, so the features stay in memory', () => {
    const notADir = path.join(mkdtempSync(path.join(os.tmpdir(), 'genprint-spill-test-')), 'file');
    writeFileSync(notADir, 'x');
    process.env.TMPDIR = notADir;
    try {
      expect(FeatureSpill.create()).toBeNull();
    } finally {
      rmSync(path.dirname(notADir), { recursive: true, force: true });
    }
  });
});
