// The tile limit as a setting, a CLI option and a library property (the engine's end-to-end checks
// are in engine.test.ts, "large images"; the tile geometry in ingest.test.ts).
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { validateSettingsPatch } from '../src/shared/validate.js';
import { DEFAULT_SETTINGS, settingsFromSaved } from '../src/shared/settings.js';
import { MAX_CROPS_RANGE } from '../src/shared/api.js';
import { DEFAULTS } from '../src/engine/defaults.js';
import { cropLimitCaution, libraryCropLimit } from '../src/engine/attributor.js';
import { parseMaxCrops } from '../src/cli/common.js';
import type { EnrolmentProvenance } from '../src/shared/types.js';
import type { Canvas } from '../src/engine/types.js';
import { EnrolmentBuilder } from '../src/engine/attribution/enrolment.js';
import { createRandom, gaussian } from '../src/engine/util/random.js';

const entry = (maxCrops?: number): { provenance: EnrolmentProvenance } => ({
  provenance: { sourceFolders: [], fileCount: 1, skippedCount: 0, sha256ListDigest: '', ...(maxCrops === undefined ? {} : { maxCrops }) },
});

describe('the tile limit as a setting and an option', () => {
  it('has one default, shared by the settings, the engine and the CLI', () => {
    expect(DEFAULTS.maxCrops).toBe(DEFAULT_SETTINGS.maxCrops);
    expect(MAX_CROPS_RANGE[0]).toBeLessThanOrEqual(DEFAULT_SETTINGS.maxCrops);
  });

  it('accepts an integer from 1 to 64 and refuses anything else with a clear message', () => {
    expect(validateSettingsPatch({ maxCrops: 16 })).toEqual({ maxCrops: 16 });
    expect(validateSettingsPatch({ maxCrops: 1 })).toEqual({ maxCrops: 1 });
    for (const bad of [0, 65, 2.5, '16', null, Number.NaN])
      expect(() => validateSettingsPatch({ maxCrops: bad })).toThrow(/maxCrops must be an integer in \[1, 64\]/);
    const read = settingsFromSaved({ maxCrops: 0, bagSize: 5 });
    expect(read.settings.maxCrops).toBe(DEFAULT_SETTINGS.maxCrops);
    expect(read.settings.bagSize).toBe(5);
    expect(read.problems).toEqual([expect.stringMatching(/maxCrops must be .*using the default/)]);
    expect(parseMaxCrops('16')).toBe(16);
    for (const bad of ['0', '65', '1.5', 'x']) expect(() => parseMaxCrops(bad)).toThrow(InvalidArgumentError);
  });
});

describe("a library's tile limit", () => {
  it('reads entries enrolled before the limit was recorded as limit 1', () => {
    expect(libraryCropLimit([entry(), entry()])).toEqual({ limit: 1, entryLimits: [1] });
    expect(libraryCropLimit([entry(16), entry(16)])).toEqual({ limit: 16, entryLimits: [16] });
  });

  it('takes the most common limit where entries disagree, and says they do', () => {
    expect(libraryCropLimit([entry(16), entry(), entry(16)])).toEqual({ limit: 16, entryLimits: [1, 16] });
    expect(libraryCropLimit([entry(4), entry(1)]).limit).toBe(4); // a tie: the larger
    expect(cropLimitCaution(16, libraryCropLimit([entry(16), entry()]))).toMatch(/enrolled with different tile limits \(1, 16 per image\)/);
  });

  it('states an override that differs, and nothing when the evidence is taken like the references', () => {
    expect(cropLimitCaution(16, libraryCropLimit([entry(16)]))).toBeNull();
    expect(cropLimitCaution(1, libraryCropLimit([entry()]))).toBeNull();
    expect(cropLimitCaution(16, libraryCropLimit([entry()]))).toMatch(/up to 16 tiles per image, the library's references with up to 1 tile: .*spread less/);
  });
});

describe('enrolment calibration of many-tile references', () => {
  // Evidence averages |corr| over an image's tiles (attributor.ts); the references' held-out
  // |corr| must be measured the same way, or the residual open-set test compares unlike numbers.
  const side = 32;
  const rng = createRandom(5);
  const trace = Float32Array.from({ length: 3 * side * side }, () => gaussian(rng));
  const canvas = (withTrace: boolean): Canvas => ({
    width: side,
    height: side,
    data: Float32Array.from(trace, (t) => (withTrace ? t : 0) + 2 * gaussian(rng)),
  });

  it("averages each reference's |corr| over all its tiles, like the evidence's", async () => {
    const allTiles = new EnrolmentBuilder({ encoder: null });
    const firstTileOnly = new EnrolmentBuilder({ encoder: null });
    for (let i = 0; i < 16; i++) {
      // The trace in the first tile only; the other three tiles carry none.
      const tiles = [canvas(true), canvas(false), canvas(false), canvas(false)];
      allTiles.add(`image-${i}`, tiles, null);
      firstTileOnly.add(`image-${i}`, tiles.slice(0, 1), null);
    }
    const many = (await allTiles.finish()).calibration.residual!.meanCorr;
    const one = (await firstTileOnly.finish()).calibration.residual!.meanCorr;
    expect(many).toBeGreaterThan(0);
    expect(many).toBeLessThan(0.6 * one);
  });
});
