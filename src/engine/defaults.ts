// The engine's defaults, in one place. The analysis parameters come from the app's default settings
// (src/shared/settings.ts), so the CLI's option defaults, EngineInfo.defaults and a new app session
// agree; the rest are the engine's own.
import { DEFAULT_SETTINGS } from '../shared/settings.js';
import type { MethodId } from './types.js';

export const DEFAULTS = {
  method: DEFAULT_SETTINGS.method as MethodId,
  /** Images per bag for a case's bag verdicts (`--bag-size`). */
  bagSize: DEFAULT_SETTINGS.bagSize,
  /** Bags drawn per case (`--bags`). */
  bags: DEFAULT_SETTINGS.bags,
  seed: DEFAULT_SETTINGS.seed,
  /** Share of enrolled generators' held-back sets the unknown test may call unknown (`--false-unknown-rate`). */
  falseUnknownRate: DEFAULT_SETTINGS.falseUnknownRate,
  /** Share of single-source held-back sets the split test may call mixed (`--false-split-rate`). */
  falseSplitRate: DEFAULT_SETTINGS.falseSplitRate,
  /** Canvas side in pixels: larger images are cropped to canvas tiles, never resampled. */
  canvas: 256,
  /** Canvas tiles per image at most (`--max-crops`; ingest/decode.ts cropRects). */
  maxCrops: DEFAULT_SETTINGS.maxCrops,
  /** ONNX Runtime intra-op threads when the caller names none (the app's setting 0 means this). */
  threads: 2,
};

/**
 * The bag embeddings stored with every entry at enrolment for Eq. 1 (paper Sec. 4.1: 100 bags per
 * model, of 10 reference images). Not the analysis bags above: these are part of the library and
 * fixed, so entries enrolled at different times compare alike.
 */
export const ENROLMENT_BAGS = { bags: 100, bagSize: 10 };
