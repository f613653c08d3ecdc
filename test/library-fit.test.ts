// The library classifier is fitted when the library changes and stored in the file; an analysis
// reads it and never fits it. Real library files, the real fit (ONNX Runtime's GEMM), synthetic
// entries shaped like enrolled ones (src/engine/library-bench.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FingerprintLibrary, LibraryError, loadSql, SCHEMA_VERSION, withLibrary } from '../src/engine/library/index.js';
import { fitLibrary, importLibrary, removeEntry, renameEntry, exportLibrary, estimateLibraryErrorRates } from '../src/engine/library-ops.js';
import {
  classifierFitCount,
  classifierParts,
  fitPlannedClassifier,
  forgetClassifiers,
  planClassifier,
  prepareLibrary,
} from '../src/engine/attribution/prepared-library.js';
import { predictFusedLogProba, type FusedClassifier } from '../src/engine/classifier/fused.js';
import { deserializeClassifier, serializeClassifier } from '../src/engine/classifier/serialize.js';
import { openFittedLibrary, syntheticEntries, SYNTHETIC_MODEL_HASH, writeSyntheticLibrary } from '../src/engine/library-bench.js';
import { featureCachePath, withClassifierStore } from '../src/engine/attributor.js';
import type { LibraryEntry, Progress } from '../src/engine/types.js';
import type { JobEvent } from '../src/shared/api.js';
import { EngineHost } from '../src/host/engine-host.js';
import { realEngine } from '../src/host/engine-facade.js';
import { inProcessClient, jobEventHub } from '../src/host/protocol.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'genprint-fit-'));
  forgetClassifiers(); // every test reads what the files hold, not what this process remembers
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SMALL = { entries: 5, references: 16, side: 16 };
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function readEntries(file: string): Promise<LibraryEntry[]> {
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  try {
    return lib.getAllEntries();
  } finally {
    lib.close();
  }
}

async function storedViews(file: string): Promise<string[]> {
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  try {
    return lib.storedClassifierKeys().map((c) => c.view);
  } finally {
    lib.close();
  }
}

/** Log-probabilities of every enrolment image of every entry under `c` (the φ view's blocks). */
function scores(c: FusedClassifier, entries: LibraryEntry[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const e of entries) {
    const f = e.imageFeatures!;
    const s = e.residualStatistics!;
    for (let i = 0; i < f.sha256.length; i++) {
      const parts = classifierParts(c, f.data.subarray(i * f.dim, (i + 1) * f.dim), s.data.subarray(i * s.dim, (i + 1) * s.dim))!;
      out.push(predictFusedLogProba(c, parts));
    }
  }
  return out;
}

describe('the library classifier is fitted when the library changes', () => {
  it('a stored classifier gives the posteriors of a fresh fit on the same content', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, SMALL);
    expect(await storedViews(file)).toEqual([]);
    const fit = await fitLibrary(file);
    expect(fit.fitted.map((f) => f.view)).toEqual(['phi', 'manifold:projector']);
    expect(fit.fitted[0].regressions).toBe(15); // 3 blocks × (1 full + 4 folds)
    expect(await storedViews(file)).toEqual(['manifold:projector', 'phi']);

    forgetClassifiers();
    const stored = await openFittedLibrary(file, SYNTHETIC_MODEL_HASH);
    expect(stored.classifierOrigin).toBe('library');
    const entries = await readEntries(file);
    const fresh = await fitPlannedClassifier(planClassifier(entries, SYNTHETIC_MODEL_HASH, 'phi').plan!);
    const a = scores(stored.classifier!, entries);
    const b = scores(fresh, entries);
    let maxDiff = 0;
    a.forEach((row, i) => row.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - b[i][k])))));
    // The fit is deterministic and the file keeps every float64: equal to the last bit in our runs;
    // the bound allows only float round-off.
    expect(maxDiff).toBeLessThanOrEqual(1e-12);
    expect(stored.classifier!.blocks.map((x) => x.weight)).toEqual(fresh.blocks.map((x) => x.weight));
    expect(stored.classifier!.bagTemperature).toEqual(fresh.bagTemperature);
    expect(stored.classifier!.heldBack!.logProba).toEqual(fresh.heldBack!.logProba);
  });

  it('serialises a classifier without losing a bit', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    const entries = await readEntries(file);
    const c = await fitPlannedClassifier(planClassifier(entries, SYNTHETIC_MODEL_HASH, 'phi').plan!);
    const back = deserializeClassifier(serializeClassifier(c));
    expect(back).toEqual(c);
    expect(() => deserializeClassifier(serializeClassifier(c).subarray(0, 100))).toThrow(RangeError);
  });

  it('an analysis of an unchanged library reads the stored classifier and fits nothing', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, SMALL);
    await fitLibrary(file);
    const bytes = sha(file);
    forgetClassifiers();
    const before = classifierFitCount();
    for (let run = 0; run < 2; run++) {
      const ready = await openFittedLibrary(file, SYNTHETIC_MODEL_HASH);
      expect(ready.classifierOrigin).toBe('library');
      expect(ready.classifier!.classes).toEqual(ready.entries.map((e) => e.name));
    }
    const rates = await estimateLibraryErrorRates(file, { sizes: [1, 5], modelsDir: dir });
    expect(classifierFitCount()).toBe(before);
    expect(rates.note).not.toBeNull(); // no φ model in `dir`: no classifier, and nothing fitted for it
    expect(sha(file)).toBe(bytes); // reading never writes the library
    expect(existsSync(featureCachePath(file))).toBe(false);
  });

  it('rename, remove, import and export leave a fitted library behind; a fit with nothing to do changes nothing', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, SMALL);
    const phases = new Set<string>();
    const onProgress = (p: Progress) => phases.add(p.phase);
    await fitLibrary(file);
    const fitted = sha(file);
    const again = await fitLibrary(file);
    expect(again.fitted).toEqual([]);
    expect(again.kept).toEqual(['phi', 'manifold:projector']);
    expect(sha(file)).toBe(fitted);

    await renameEntry(file, 'synthetic-001', 'renamed', { onProgress });
    forgetClassifiers();
    let ready = await openFittedLibrary(file, SYNTHETIC_MODEL_HASH);
    expect(ready.classifierOrigin).toBe('library');
    expect(ready.classifier!.classes).toContain('renamed');

    await removeEntry(file, 'synthetic-002', { onProgress });
    forgetClassifiers();
    ready = await openFittedLibrary(file, SYNTHETIC_MODEL_HASH);
    expect(ready.classifierOrigin).toBe('library');
    expect(ready.classifier!.classes).toHaveLength(SMALL.entries - 1);

    const other = path.join(dir, 'other.gplib');
    await FingerprintLibrary.create(other).then((l) => l.close());
    await withLibrary(other, (lib) => void lib.addEntry({ ...syntheticEntries({ ...SMALL, seed: 9 })[0], name: 'imported' }));
    await importLibrary(file, other, { onProgress });
    forgetClassifiers();
    ready = await openFittedLibrary(file, SYNTHETIC_MODEL_HASH);
    expect(ready.classifierOrigin).toBe('library');
    expect(ready.classifier!.classes).toContain('imported');
    expect(phases).toEqual(new Set(['fit', 'library matrix']));

    // A whole-library export copies the stored classifier instead of fitting it again.
    const before = classifierFitCount();
    await exportLibrary(file, path.join(dir, 'copy.gplib'));
    expect(classifierFitCount()).toBe(before);
    forgetClassifiers();
    expect((await openFittedLibrary(path.join(dir, 'copy.gplib'), SYNTHETIC_MODEL_HASH)).classifierOrigin).toBe('library');
  });

  it('reports fit progress and a cancelled fit leaves the library as it was', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, SMALL);
    await fitLibrary(file);
    const bytes = sha(file);
    const controller = new AbortController();
    const seen: Progress[] = [];
    const removing = removeEntry(file, 'synthetic-003', {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.done === 2) controller.abort();
      },
    });
    await expect(removing).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen[0]).toMatchObject({ phase: 'fit', done: 0, total: 16 });
    expect(seen.map((p) => p.done)).toEqual([0, 1, 2]);
    expect(sha(file)).toBe(bytes);
    expect((await readEntries(file)).map((e) => e.name)).toContain('synthetic-003');
  });
});

describe('libraries without a stored classifier', () => {
  /** Turns a current library file into what schema v4 wrote: no digests, no stored classifiers. */
  async function downgradeToV4(file: string): Promise<void> {
    const SQL = await loadSql();
    const db = new SQL.Database(readFileSync(file));
    db.exec(
      'DROP TABLE reference_banks; DROP TABLE classifiers; DROP TABLE library_analyses; ALTER TABLE entries DROP COLUMN content_sha256; PRAGMA user_version = 4',
    );
    writeFileSync(file, db.export());
    db.close();
  }

  it('are fitted for the analysis, kept in the feature cache, and stored by `library fit`, which adds the digests', async () => {
    const file = path.join(dir, 'old.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await downgradeToV4(file);
    const v4 = sha(file);
    const ro = await FingerprintLibrary.open(file, { readOnly: true });
    expect(ro.schemaVersion).toBe(4);
    expect(ro.unverifiedEntries()).toHaveLength(SMALL.entries);
    ro.close();

    const before = classifierFitCount();
    const first = await openFittedLibrary(file, SYNTHETIC_MODEL_HASH);
    expect(first.classifierOrigin).toBe('fitted');
    expect(first.classifierFitSeconds).toBeGreaterThan(0);
    expect(classifierFitCount()).toBe(before + 1);
    expect(sha(file)).toBe(v4); // the library is never written by an analysis; the sidecar is
    expect(existsSync(featureCachePath(file))).toBe(true);
    forgetClassifiers();
    const second = await openFittedLibrary(file, SYNTHETIC_MODEL_HASH);
    expect(second.classifierOrigin).toBe('feature-cache');
    expect(classifierFitCount()).toBe(before + 1);

    const fit = await fitLibrary(file);
    expect(fit.fitted.map((f) => f.view)).toEqual(['phi']);
    const upgraded = await FingerprintLibrary.open(file, { readOnly: true });
    expect(upgraded.schemaVersion).toBe(SCHEMA_VERSION);
    expect(upgraded.unverifiedEntries()).toEqual([]);
    upgraded.close();
    forgetClassifiers();
    expect((await openFittedLibrary(file, SYNTHETIC_MODEL_HASH)).classifierOrigin).toBe('library');
  });

  it('views chosen at attribution time (φ alone) are fitted on demand and cached beside the library, never in it', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const bytes = sha(file);
    const phiOnly = () =>
      withClassifierStore(file, (entries, store) => prepareLibrary(entries, SYNTHETIC_MODEL_HASH, 'phi', { store, classifierEvidence: 'phi' }));
    const first = await phiOnly();
    expect(first.classifierOrigin).toBe('fitted');
    expect(first.classifier!.blocks.map((b) => b.name)).toEqual(['phi']);
    forgetClassifiers();
    expect((await phiOnly()).classifierOrigin).toBe('feature-cache');
    expect(sha(file)).toBe(bytes);
  });

  it('a stored classifier that fails its digest is refused, naming it', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const SQL = await loadSql();
    const db = new SQL.Database(readFileSync(file));
    const data = db.exec('SELECT data FROM classifiers')[0].values[0][0] as Uint8Array;
    data[data.length - 3] ^= 0x10;
    db.run('UPDATE classifiers SET data = ?', [data]);
    writeFileSync(file, db.export());
    db.close();
    forgetClassifiers();
    const err = await openFittedLibrary(file, SYNTHETIC_MODEL_HASH).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryError);
    expect(err).toMatchObject({ code: 'damaged', message: expect.stringMatching(/stored library classifier \(phi\) is damaged.*library fit/) });
  });
});

describe('in the app, a library change is a job whose fit reports progress and can be cancelled', () => {
  it('remove runs as a `library` job with `fit` progress; a cancelled one leaves the file as it was', async () => {
    const file = path.join(dir, 'app.gplib');
    await writeSyntheticLibrary(file, SMALL);
    await fitLibrary(file);
    const hub = jobEventHub();
    const events: JobEvent[] = [];
    hub.subscribe((e) => events.push(e));
    const host = new EngineHost({ facade: realEngine, libraryPath: file, host: 'serve', nativeDialogs: false, emit: hub.emit, progressIntervalMs: 0 });
    const client = inProcessClient(host, hub);

    const view = await client.call('removeEntry', ['synthetic-004']);
    expect(view.entries.map((e) => e.name)).not.toContain('synthetic-004');
    const job = events.find((e) => e.kind === 'started')!;
    expect(job.type).toBe('library');
    const mine = events.filter((e) => e.jobId === job.jobId);
    const progress = mine.flatMap((e) => (e.kind === 'progress' ? [e.progress] : []));
    const fit = progress.filter((p) => p.phase === 'fit');
    expect(new Set(progress.map((p) => p.phase))).toEqual(new Set(['fit', 'library matrix']));
    expect(fit.at(-1)).toMatchObject({ done: 16, total: 16 });
    expect(mine.at(-1)).toMatchObject({ kind: 'done', type: 'library' });
    forgetClassifiers();
    expect((await openFittedLibrary(file, SYNTHETIC_MODEL_HASH)).classifierOrigin).toBe('library');

    const before = sha(file);
    events.length = 0;
    const removing = client.call('removeEntry', ['synthetic-005']);
    const started = await new Promise<JobEvent>((resolve) => {
      const poll = () => {
        const hit = events.find((e) => e.kind === 'progress' && e.progress.phase === 'fit' && e.progress.done >= 1);
        if (hit) resolve(hit);
        else setTimeout(poll, 5);
      };
      poll();
    });
    expect(await client.call('cancelJob', [started.jobId])).toBe(true);
    await expect(removing).rejects.toThrow(/cancelled/);
    expect(events.find((e) => e.jobId === started.jobId && e.kind === 'cancelled')).toBeDefined();
    expect(sha(file)).toBe(before);
  });
});
