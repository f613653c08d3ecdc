// Damage that SQLite cannot see — a changed byte inside a stored blob or text — is detected and
// named, never silently turned into different scores. Real library files, written by the library
// code; bytes flipped at seeded positions inside each kind of stored content, and at random.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FingerprintLibrary, LibraryError } from '../src/engine/library/index.js';
import { fitLibrary } from '../src/engine/library-ops.js';
import { forgetClassifiers } from '../src/engine/attribution/prepared-library.js';
import { openFittedLibrary, SYNTHETIC_MODEL_HASH, writeSyntheticLibrary } from '../src/engine/library-bench.js';
import { serializeClassifier } from '../src/engine/classifier/serialize.js';
import { createRandom } from '../src/engine/util/random.js';
import type { LibraryEntry } from '../src/engine/types.js';
import { recordReliability } from './helpers/reliability.js';

let dir: string;
let file: string;
let pristine: Buffer;
let entries: LibraryEntry[];
let classifierKey: string;
let classifierBytes: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'genprint-damage-'));
  file = path.join(dir, 'lab.gplib');
  await writeSyntheticLibrary(file, { entries: 4, references: 12, side: 16 });
  await fitLibrary(file);
  pristine = readFileSync(file);
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  entries = lib.getAllEntries();
  const key = lib.storedClassifierKeys().find((c) => c.view === 'phi')!.key;
  classifierKey = key;
  classifierBytes = serializeClassifier(lib.storedClassifier(key)!.classifier);
  lib.close();
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Where 32 consecutive bytes of `content` lie in the file (a blob may be split over overflow pages, so a window is searched for). */
function locate(content: Buffer, rand: () => number): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = Math.floor(rand() * Math.max(1, content.length - 32));
    const at = pristine.indexOf(content.subarray(start, start + 32));
    if (at >= 0 && pristine.indexOf(content.subarray(start, start + 32), at + 1) < 0) return at;
  }
  throw new Error('content not found in the file');
}

/** A copy of the library with 1–4 bytes flipped inside `content`, at seeded positions. */
function damagedCopy(name: string, content: Buffer, seed: number): string {
  const rand = createRandom(seed);
  const at = locate(content, rand);
  const bytes = Buffer.from(pristine);
  const flips = 1 + Math.floor(rand() * 4);
  for (let f = 0; f < flips; f++) bytes[at + Math.floor(rand() * 32)] ^= 1 + Math.floor(rand() * 255);
  const out = path.join(dir, `${name}-${seed}.gplib`);
  writeFileSync(out, bytes);
  return out;
}

async function readAll(f: string): Promise<LibraryEntry[]> {
  const lib = await FingerprintLibrary.open(f, { readOnly: true });
  try {
    return lib.getAllEntries();
  } finally {
    lib.close();
  }
}

describe('a damaged entry is named', () => {
  const parts: [string, (e: LibraryEntry) => Buffer][] = [
    ['residual fingerprint', (e) => bytesOf(e.residualFingerprint.data)],
    ['φ features', (e) => bytesOf(e.imageFeatures!.data)],
    ['residual statistics', (e) => bytesOf(e.residualStatistics!.data)],
    ['held-out residuals', (e) => bytesOf(e.heldOutResiduals!.data)],
    ['bag embeddings', (e) => bytesOf(e.bagEmbeddings!.data)],
    ['manifold features', (e) => bytesOf(e.manifold!.imageFeatures!.data)],
    ['calibration', (e) => Buffer.from(JSON.stringify(e.calibration))],
    ['provenance', (e) => Buffer.from(JSON.stringify(e.provenance))],
  ];
  it.each(parts.map(([what, get], i) => [what, get, i] as const))('bytes flipped in the %s', async (what, get, i) => {
    for (const seed of [1, 2, 3]) {
      const victim = entries[(i + seed) % entries.length];
      const copy = damagedCopy(what.replace(/\W+/g, '-'), get(victim), 100 * i + seed);
      // SQLite's own check on open does not see it…
      const lib = await FingerprintLibrary.open(copy, { readOnly: true });
      expect(lib.integrityCheck()).toEqual(['ok']);
      lib.close();
      // …the entry's digest does, and the error names the entry.
      const err = await readAll(copy).catch((e: unknown) => e);
      expect(err, `${what}, seed ${seed}`).toBeInstanceOf(LibraryError);
      expect(err).toMatchObject({ code: 'damaged' });
      expect((err as Error).message).toContain(`"${victim.name}" (id ${victim.id})`);
      for (const other of entries.filter((e) => e !== victim)) expect((err as Error).message).not.toContain(`"${other.name}"`);
      // What an analysis does first fails the same way.
      forgetClassifiers();
      await expect(openFittedLibrary(copy, SYNTHETIC_MODEL_HASH)).rejects.toMatchObject({ code: 'damaged' });
    }
    recordReliability('library-damage', `1–4 bytes flipped inside an entry's ${what} (3 seeded positions)`, 'refused: damaged, the entry named', { count: 3 });
  });

  it('bytes flipped in the stored classifier', async () => {
    for (const seed of [1, 2, 3]) {
      const copy = damagedCopy('classifier', Buffer.from(classifierBytes), 900 + seed);
      expect(await readAll(copy)).toHaveLength(entries.length); // the entries are intact
      const lib = await FingerprintLibrary.open(copy, { readOnly: true });
      expect(() => lib.storedClassifier(classifierKey)).toThrow(/stored library classifier \(phi\) is damaged/);
      lib.close();
      forgetClassifiers();
      await expect(openFittedLibrary(copy, SYNTHETIC_MODEL_HASH)).rejects.toMatchObject({ code: 'damaged' });
    }
    recordReliability(
      'library-damage',
      '1–4 bytes flipped inside the stored library classifier (3 seeded positions)',
      'refused: damaged, the classifier named',
      {
        count: 3,
      },
    );
  });

  it('several damaged entries are all named at once', async () => {
    const rand = createRandom(77);
    const bytes = Buffer.from(pristine);
    for (const e of entries.slice(0, 2)) bytes[locate(bytesOf(e.imageFeatures!.data), rand) + 5] ^= 0x40;
    const copy = path.join(dir, 'two.gplib');
    writeFileSync(copy, bytes);
    const err = (await readAll(copy).catch((e: unknown) => e)) as LibraryError;
    expect(err.code).toBe('damaged');
    expect(err.message).toMatch(/2 entries are damaged/);
    for (const e of entries.slice(0, 2)) expect(err.message).toContain(`"${e.name}"`);
    recordReliability('library-damage', 'bytes flipped in two entries at once', 'refused: damaged, both entries named');
  });
});

describe('50 bytes flipped anywhere never change what is read without saying so', () => {
  it('each copy is refused (corrupt, damaged, not a library) or reads back exactly as before', async () => {
    const outcomes = new Map<string, number>();
    for (let trial = 0; trial < 24; trial++) {
      const rand = createRandom(5000 + trial);
      const bytes = Buffer.from(pristine);
      for (let f = 0; f < 50; f++) bytes[Math.floor(rand() * bytes.length)] ^= 1 + Math.floor(rand() * 255);
      const copy = path.join(dir, `random-${trial}.gplib`);
      writeFileSync(copy, bytes);
      let outcome: string;
      try {
        const lib = await FingerprintLibrary.open(copy, { readOnly: true });
        try {
          const got = lib.getAllEntries();
          const stored = lib.storedClassifier(classifierKey);
          expect(got).toEqual(entries);
          expect(stored && Buffer.from(serializeClassifier(stored.classifier)).equals(Buffer.from(classifierBytes))).toBe(true);
          outcome = 'unchanged';
        } finally {
          lib.close();
        }
      } catch (err) {
        if (!(err instanceof LibraryError)) throw err; // anything else would be an undetected change or a crash
        outcome = err.code;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    console.log('50 random flips, 24 copies:', Object.fromEntries(outcomes));
    expect([...outcomes.keys()].every((o) => ['unchanged', 'corrupt', 'damaged', 'not-a-library'].includes(o))).toBe(true);
    expect(outcomes.get('damaged') ?? 0).toBeGreaterThan(0);
    recordReliability(
      'library-damage',
      '50 bytes flipped at random positions of a library file (24 seeded copies)',
      [...outcomes].map(([o, n]) => `${n} ${o === 'unchanged' ? 'read back unchanged' : `refused: ${o}`}`).join(', '),
      { count: 24 },
    );
  });
});
