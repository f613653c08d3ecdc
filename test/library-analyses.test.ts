// What an analysis needs from the library alone is computed when the library changes and stored in
// it (table `library_analyses`, schema v6): the library × library matrix of Eq. 5. Real library
// files, synthetic entries shaped like enrolled ones (src/engine/library-bench.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FingerprintLibrary, LibraryError, loadSql, SCHEMA_VERSION } from '../src/engine/library/index.js';
import { analyseLibrary, exportLibrary, fitLibrary, libraryMatrixPlans, renameEntry } from '../src/engine/library-ops.js';
import {
  FingerprintRegions,
  heldOutAbsCorrelations,
  libraryMatrix,
  libraryMatrixComputeCount,
  type MatrixEntry,
} from '../src/engine/attribution/library-analysis.js';
import { forgetClassifiers } from '../src/engine/attribution/prepared-library.js';
import { corr, centredCrop } from '../src/engine/residual/index.js';
import { featureCachePath, openAttributor } from '../src/engine/attributor.js';
import { deserializeLibraryMatrix, serializeLibraryMatrix } from '../src/engine/library/stored-analysis.js';
import { syntheticEntries, writeSyntheticLibrary } from '../src/engine/library-bench.js';
import type { LabelledMatrix, LibraryEntry } from '../src/engine/types.js';
import { SMALL_SYNTHETIC, fileSha256, readEntries } from './helpers/library-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'genprint-analyses-'));
  forgetClassifiers();
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SMALL = SMALL_SYNTHETIC;
const sha = fileSha256;

/** |corr()| of each of entry i's held-out residuals with every entry's fingerprint (the diagonal's without them), pair by pair. */
function referenceRows(entries: MatrixEntry[], i: number): number[][] {
  const src = entries[i];
  const h = src.heldOutResiduals;
  const held = h
    ? Array.from({ length: h.count }, (_, k) => ({
        width: h.width,
        height: h.height,
        data: h.data.subarray(k * 3 * h.width * h.height, (k + 1) * 3 * h.width * h.height),
      }))
    : [];
  return held.map((r) =>
    entries.map((dst, j) => {
      let fp: { width: number; height: number; data: Float32Array } = dst.fingerprint;
      if (j === i) {
        if (src.fingerprint.count <= held.length) return NaN;
        const w = Math.min(fp.width, ...held.map((x) => x.width));
        const hh = Math.min(fp.height, ...held.map((x) => x.height));
        const sum = Float32Array.from(centredCrop(fp, w, hh).data, (v) => v * src.fingerprint.count);
        for (const x of held) {
          const c = centredCrop(x, w, hh).data;
          for (let k = 0; k < sum.length; k++) sum[k] -= c[k];
        }
        for (let k = 0; k < sum.length; k++) sum[k] /= src.fingerprint.count - held.length;
        fp = { width: w, height: hh, data: sum };
      }
      return Math.abs(corr(r, fp));
    }),
  );
}

/** Eq. 5 written out pair by pair with corr(), as the analysis computed it before it was stored. */
function referenceMatrix(entries: MatrixEntry[]): number[][] {
  return entries.map((_, i) => {
    const rows = referenceRows(entries, i);
    return entries.map((_, j) => (rows.length === 0 ? NaN : rows.reduce((s, row) => s + row[j], 0) / rows.length));
  });
}

const waveletEntries = (entries: LibraryEntry[]): MatrixEntry[] =>
  entries.map((e) => ({ name: e.name, fingerprint: e.residualFingerprint, heldOutResiduals: e.heldOutResiduals }));

describe('the library × library matrix (Eq. 5)', () => {
  it('is what corr() gives pair by pair, bit for bit, whatever the sizes, with NaN where an entry has no held-out residuals', async () => {
    const mixed = [...syntheticEntries({ entries: 3, references: 20, side: 32 }), ...syntheticEntries({ entries: 2, references: 8, side: 12, seed: 3 })].map(
      (e, i) => ({ ...e, name: `e${i}`, id: i + 1, createdAt: '' }) as LibraryEntry,
    );
    delete mixed[1].heldOutResiduals;
    const entries = waveletEntries(mixed);
    const m = await libraryMatrix({ entries });
    const expected = referenceMatrix(entries);
    m.values.forEach((row, i) => row.forEach((v, j) => expect(Object.is(v, expected[i][j]), `(${i}, ${j}): ${v} vs ${expected[i][j]}`).toBe(true)));
    expect(m.values[1].every((v) => Number.isNaN(v))).toBe(true);
    expect(m.values[0].some((v) => Number.isNaN(v))).toBe(false);
  });

  it("reads each held-out residual's |corr| as corr() gives it, bit for bit, the rows the calibration's left-out test draws from", () => {
    const mixed = [...syntheticEntries({ entries: 3, references: 20, side: 32 }), ...syntheticEntries({ entries: 2, references: 8, side: 12, seed: 3 })].map(
      (e, i) => ({ ...e, name: `e${i}`, id: i + 1, createdAt: '' }) as LibraryEntry,
    );
    delete mixed[1].heldOutResiduals;
    const entries = waveletEntries(mixed);
    const fingerprints = new FingerprintRegions(entries);
    entries.forEach((_, i) => {
      const rows = heldOutAbsCorrelations(entries, i, fingerprints);
      const expected = referenceRows(entries, i);
      expect(rows.length).toBe(expected.length);
      rows.forEach((row, k) =>
        row.forEach((v, j) => expect(Object.is(v, expected[k][j]), `entry ${i} residual ${k} × ${j}: ${v} vs ${expected[k][j]}`).toBe(true)),
      );
    });
    expect(heldOutAbsCorrelations(entries, 1, fingerprints)).toEqual([]);
  });

  it('is stored by a library change and serialised without losing a bit (NaN included)', () => {
    const m: LabelledMatrix = {
      rows: ['a', 'b'],
      cols: ['a', 'b'],
      values: [
        [0.25, NaN],
        [1 / 3, 0.1 + 0.2],
      ],
    };
    const back = deserializeLibraryMatrix(serializeLibraryMatrix(m));
    expect(back.rows).toEqual(m.rows);
    back.values.forEach((row, i) => row.forEach((v, j) => expect(Object.is(v, m.values[i][j])).toBe(true)));
    expect(() => deserializeLibraryMatrix(serializeLibraryMatrix(m).subarray(0, 30))).toThrow(RangeError);
  });

  it('`library fit` stores one per residual view; an analysis reads it and computes none', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, SMALL);
    const fit = await fitLibrary(file);
    expect(fit.matrices.map((m) => m.view)).toEqual(['wavelet', 'projector-artifacts']);
    const entries = await readEntries(file);
    const plans = libraryMatrixPlans(entries);
    const lib = await FingerprintLibrary.open(file, { readOnly: true });
    const stored = plans.map((p) => lib.storedLibraryMatrix(p.key));
    lib.close();
    for (const [k, plan] of plans.entries()) {
      expect(stored[k]!.view).toBe(plan.view);
      expect(stored[k]!.matrix.values).toEqual(referenceMatrix(plan.entries));
    }
    const bytes = sha(file);

    const before = libraryMatrixComputeCount();
    const attributor = await openAttributor({ libraryPath: file, method: 'residual' });
    expect(attributor.libraryMatrix).toMatchObject({ view: 'wavelet', origin: 'library' });
    expect(attributor.libraryMatrix.matrix).toEqual(stored[0]!.matrix);
    const analysis = await analyseLibrary(file, { space: 'residual' });
    expect(analysis.libraryVsLibraryOrigin).toBe('library');
    expect(analysis.libraryVsLibrary).toEqual(stored[0]!.matrix);
    expect(libraryMatrixComputeCount()).toBe(before);
    expect(sha(file)).toBe(bytes);
    expect(existsSync(featureCachePath(file))).toBe(false);

    // Nothing to do: nothing computed, the file unchanged.
    const again = await fitLibrary(file);
    expect(again.matrices).toEqual([]);
    expect(again.matricesKept).toEqual(['wavelet', 'projector-artifacts']);
    expect(sha(file)).toBe(bytes);
  });

  it('a change of the entries stores a new one; a whole-library export copies it', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const phases = new Set<string>();
    await renameEntry(file, 'synthetic-002', 'renamed', { onProgress: (p) => phases.add(p.phase) });
    expect(phases).toEqual(new Set(['fit', 'library matrix', 'calibrate']));
    const attributor = await openAttributor({ libraryPath: file, method: 'residual' });
    expect(attributor.libraryMatrix.origin).toBe('library');
    expect(attributor.libraryMatrix.matrix.rows).toContain('renamed');
    expect(attributor.libraryMatrix.matrix.values).toEqual(referenceMatrix(waveletEntries(await readEntries(file))));

    const before = libraryMatrixComputeCount();
    const copy = path.join(dir, 'copy.gplib');
    await exportLibrary(file, copy);
    expect(libraryMatrixComputeCount()).toBe(before);
    expect((await openAttributor({ libraryPath: copy, method: 'residual' })).libraryMatrix.origin).toBe('library');
  });

  it('a cancelled computation leaves the library as it was', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const bytes = sha(file);
    const controller = new AbortController();
    const renaming = renameEntry(file, 'synthetic-001', 'renamed', {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'library matrix' && p.done === 2) controller.abort();
      },
    });
    await expect(renaming).rejects.toMatchObject({ name: 'AbortError' });
    expect(sha(file)).toBe(bytes);
  });

  it('a library written before schema v6 gets it computed by the analysis, kept in the sidecar, and stored by `library fit`', async () => {
    const file = path.join(dir, 'old.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const SQL = await loadSql();
    const db = new SQL.Database(readFileSync(file));
    db.exec('DROP TABLE reference_banks; DROP TABLE library_analyses; PRAGMA user_version = 5');
    writeFileSync(file, db.export());
    db.close();
    const v5 = sha(file);

    const before = libraryMatrixComputeCount();
    const first = await openAttributor({ libraryPath: file, method: 'residual' });
    expect(first.libraryMatrix.origin).toBe('computed');
    await first.persistCache();
    expect(libraryMatrixComputeCount()).toBe(before + 1);
    expect(sha(file)).toBe(v5); // an analysis never writes the library; the sidecar keeps the matrix
    const second = await openAttributor({ libraryPath: file, method: 'residual' });
    expect(second.libraryMatrix.origin).toBe('feature-cache');
    expect(second.libraryMatrix.matrix).toEqual(first.libraryMatrix.matrix);
    expect(libraryMatrixComputeCount()).toBe(before + 1);

    const fit = await fitLibrary(file);
    expect(fit.fitted).toEqual([]); // the classifier was stored already
    expect(fit.matrices.map((m) => m.view)).toEqual(['wavelet']);
    const upgraded = await FingerprintLibrary.open(file, { readOnly: true });
    expect(upgraded.schemaVersion).toBe(SCHEMA_VERSION);
    upgraded.close();
    expect((await openAttributor({ libraryPath: file, method: 'residual' })).libraryMatrix.origin).toBe('library');
  });

  it('a stored matrix that fails its digest is refused, naming it', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const SQL = await loadSql();
    const db = new SQL.Database(readFileSync(file));
    const data = db.exec('SELECT data FROM library_analyses')[0].values[0][0] as Uint8Array;
    data[data.length - 5] ^= 0x04;
    db.run('UPDATE library_analyses SET data = ?', [data]);
    writeFileSync(file, db.export());
    db.close();
    const err = await openAttributor({ libraryPath: file, method: 'residual' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryError);
    expect(err).toMatchObject({ code: 'damaged', message: expect.stringMatching(/stored library × library matrix \(wavelet\) is damaged.*library fit/) });
  });
});
