// The library classifier is fitted when the library changes and stored in the file; an analysis
// reads it and never fits it. Real library files, the real fit (ONNX Runtime's GEMM), synthetic
// entries shaped like enrolled ones (src/engine/library-bench.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FingerprintLibrary, LibraryError, loadSql, SCHEMA_VERSION, withLibrary } from '../src/engine/library/index.js';
import { fitLibrary, importLibrary, removeEntry, renameEntry, exportLibrary, estimateLibraryErrorRates } from '../src/engine/library-ops.js';
import {
  calibrationComputeCount,
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
import { calibrateLibrary, calibrationData, DEFAULT_CALIBRATION } from '../src/engine/attribution/calibration.js';
import { deserializeCalibrationStatistics, serializeCalibrationStatistics } from '../src/engine/library/stored-analysis.js';
import type { LibraryEntry, Progress } from '../src/engine/types.js';
import type { JobEvent } from '../src/shared/api.js';
import { EngineHost } from '../src/host/engine-host.js';
import { realEngine } from '../src/host/engine-facade.js';
import { inProcessClient, jobEventHub } from '../src/host/protocol.js';
import { SMALL_SYNTHETIC, fileSha256, readEntries } from './helpers/library-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'genprint-fit-'));
  forgetClassifiers(); // every test reads what the files hold, not what this process remembers
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SMALL = SMALL_SYNTHETIC;
const sha = fileSha256;

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

  it('a library with reference banks fits and stores one classifier and one calibration per bank beside the clean one', async () => {
    const file = path.join(dir, 'banked.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, banks: 2 });
    const fit = await fitLibrary(file);
    expect(fit.fitted.map((f) => f.view)).toEqual(['phi', 'manifold:projector', 'phi@jpeg-q90', 'phi@jpeg-q75']);
    expect(fit.calibrations.map((c) => c.view)).toEqual(['phi', 'phi@jpeg-q90', 'phi@jpeg-q75']);
    const again = await fitLibrary(file);
    expect(again.fitted).toEqual([]);
    expect(again.kept).toEqual(['phi', 'manifold:projector', 'phi@jpeg-q90', 'phi@jpeg-q75']);
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
    expect(phases).toEqual(new Set(['fit', 'library matrix', 'calibrate']));

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
    // …and `library fit` fits it again, as the message says.
    expect((await fitLibrary(file)).fitted.map((f) => f.view)).toEqual(['phi']);
    forgetClassifiers();
    expect((await openFittedLibrary(file, SYNTHETIC_MODEL_HASH)).classifierOrigin).toBe('library');
  });
});

describe('the calibration is stored with the classifier', () => {
  async function storedCalibrations(file: string): Promise<{ key: string; view: string }[]> {
    const lib = await FingerprintLibrary.open(file, { readOnly: true });
    try {
      return lib.storedAnalysisKeys().filter((a) => a.kind === 'calibration');
    } finally {
      lib.close();
    }
  }
  const calibrated = (file: string, settings = DEFAULT_CALIBRATION) =>
    withClassifierStore(file, (entries, store) => prepareLibrary(entries, SYNTHETIC_MODEL_HASH, 'phi', { store, calibration: settings }));

  it('an analysis of an unchanged library reads it, computes nothing, and derives any rate from it', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    const fit = await fitLibrary(file);
    expect(fit.calibrations.map((c) => c.view)).toEqual(['phi']);
    expect(await storedCalibrations(file)).toHaveLength(1);
    const bytes = sha(file);
    forgetClassifiers();
    const before = calibrationComputeCount();
    const ready = await calibrated(file);
    const looser = await calibrated(file, { falseUnknownRate: 0.2, falseSplitRate: 0.05 });
    expect(calibrationComputeCount()).toBe(before);
    expect(ready.calibrationOrigin).toBe('library');
    expect(ready.calibrationSeconds).toBeUndefined();
    // The thresholds derived from the stored statistics are those of a calibration computed now, for either setting.
    const data = calibrationData(
      ready,
      (await readEntries(file)).map((e) => e.imageFeatures),
    )!;
    expect(ready.calibration).toEqual(calibrateLibrary(data, DEFAULT_CALIBRATION));
    expect(looser.calibration).toEqual(calibrateLibrary(data, { falseUnknownRate: 0.2, falseSplitRate: 0.05 }));
    looser.calibration!.openSet.correlationZ.forEach((z, k) => expect(z).toBeLessThan(ready.calibration!.openSet.correlationZ[k]));
    expect(sha(file)).toBe(bytes);
    expect(existsSync(featureCachePath(file))).toBe(false);
  });

  it('serialises the statistics without losing a bit (−∞ and NaN included)', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const lib = await FingerprintLibrary.open(file, { readOnly: true });
    const stored = lib.storedCalibration((await storedCalibrations(file))[0].key)!;
    lib.close();
    const stats = stored.statistics;
    stats.openSet.knownZ[0][0] = -Infinity;
    stats.openSet.missing[0].noveltyExcess[1] = NaN;
    expect(deserializeCalibrationStatistics(serializeCalibrationStatistics(stats))).toEqual(stats);
    expect(() => deserializeCalibrationStatistics(serializeCalibrationStatistics(stats).subarray(0, 40))).toThrow(RangeError);
  });

  it('every change of the entries drops it and stores a new one; an export copies it', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const [first] = await storedCalibrations(file);
    const renamed = await renameEntry(file, 'synthetic-002', 'renamed');
    expect(renamed.calibrations.map((c) => c.view)).toEqual(['phi']);
    const after = await storedCalibrations(file);
    expect(after).toHaveLength(1);
    expect(after[0].key).not.toBe(first.key);
    await removeEntry(file, 'renamed');
    forgetClassifiers();
    const before = calibrationComputeCount();
    const ready = await calibrated(file);
    expect(ready.calibrationOrigin).toBe('library');
    expect(ready.calibration!.logOdds.mean).toHaveLength(SMALL.entries - 1);
    // Nothing to do: kept, not computed again.
    const again = await fitLibrary(file);
    expect(again.calibrations).toEqual([]);
    expect(again.calibrationsKept).toEqual(['phi']);
    await exportLibrary(file, path.join(dir, 'copy.gplib'));
    expect(calibrationComputeCount()).toBe(before);
    forgetClassifiers();
    expect((await calibrated(path.join(dir, 'copy.gplib'))).calibrationOrigin).toBe('library');
  });

  it('a library without one gets it computed by the analysis, kept in the sidecar, and stored by `library fit`', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const SQL = await loadSql();
    const db = new SQL.Database(readFileSync(file));
    db.run("DELETE FROM library_analyses WHERE kind = 'calibration'");
    writeFileSync(file, db.export());
    db.close();
    forgetClassifiers();
    const before = calibrationComputeCount();
    const first = await calibrated(file);
    expect(first.calibrationOrigin).toBe('computed');
    expect(first.calibrationSeconds).toBeGreaterThan(0);
    expect(calibrationComputeCount()).toBe(before + 1);
    forgetClassifiers();
    const second = await calibrated(file);
    expect(second.calibrationOrigin).toBe('feature-cache');
    expect(second.calibration).toEqual(first.calibration);
    const fit = await fitLibrary(file);
    expect(fit.fitted).toEqual([]);
    expect(fit.calibrations.map((c) => c.view)).toEqual(['phi']);
    forgetClassifiers();
    expect((await calibrated(file)).calibrationOrigin).toBe('library');
  });

  it('stored statistics that fail their digest are refused, naming them', async () => {
    const file = path.join(dir, 'lab.gplib');
    await writeSyntheticLibrary(file, { ...SMALL, manifold: false });
    await fitLibrary(file);
    const SQL = await loadSql();
    const db = new SQL.Database(readFileSync(file));
    const data = db.exec("SELECT data FROM library_analyses WHERE kind = 'calibration'")[0].values[0][0] as Uint8Array;
    data[data.length - 3] ^= 0x10;
    db.run("UPDATE library_analyses SET data = ? WHERE kind = 'calibration'", [data]);
    writeFileSync(file, db.export());
    db.close();
    forgetClassifiers();
    const err = await calibrated(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryError);
    expect(err).toMatchObject({
      code: 'damaged',
      message: expect.stringMatching(/stored calibration of the library classifier \(phi\) is damaged.*library fit/),
    });
    // `library fit` computes it again.
    await fitLibrary(file);
    forgetClassifiers();
    expect((await calibrated(file)).calibrationOrigin).toBe('library');
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
    expect(new Set(progress.map((p) => p.phase))).toEqual(new Set(['fit', 'library matrix', 'calibrate']));
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
