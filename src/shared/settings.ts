// The analysis defaults, declared once: the app's settings start from DEFAULT_SETTINGS, the engine's
// DEFAULTS (and so the CLI's option defaults and EngineInfo.defaults) take their method, bag size,
// bags and seed from it, and docs/method.md ("default 20 × 10") describes these values.
import type { Settings } from './api.js';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  method: 'dsf',
  /** Images per bag for the case's bag verdicts and the library error rate at the bag size. */
  bagSize: 10,
  /** Bags drawn per case. */
  bags: 20,
  seed: 1,
  provider: 'auto',
  /** 0: the engine's default thread count (DEFAULTS.threads in src/engine/defaults.ts). */
  threads: 0,
  manifold: Object.freeze({ estimate: 'projector' }),
  classifierEvidence: 'all',
} satisfies Settings);

export const defaultSettings = (): Settings => ({ ...DEFAULT_SETTINGS, manifold: { ...DEFAULT_SETTINGS.manifold } });
