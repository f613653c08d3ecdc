// The analysis defaults, declared once: the app's settings start from DEFAULT_SETTINGS, the engine's
// DEFAULTS (and so the CLI's option defaults and EngineInfo.defaults) take their method, bag size,
// bags and seed from it, and docs/method.md ("default 20 × 10") describes these values.
import type { Settings } from './api.js';
import { ApiError } from './api.js';
import { validateSettingsPatch } from './validate.js';
import { PROCESSING_IDS } from './processing-grid.js';

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
  /** "Unknown generator" thresholds are set so that at most 5 % of enrolled generators' held-back sets are called unknown. */
  falseUnknownRate: 0.05,
  /** A folder is split only where at most 1 % of single-source held-back sets of its size would be. */
  falseSplitRate: 0.01,
  /**
   * Canvas tiles per image at most, at enrolment (recorded with each entry) and for evidence: every
   * non-overlapping 256 × 256 tile of a large image, up to this many. 1 (the centre crop) stays the
   * default: up to 16 tiles measured no better on t2i-modern (docs/results.md, "Multi-tile evidence").
   */
  maxCrops: 1,
  /** The whole grid: re-compressed evidence then has a bank of its processing wherever the grid has one. */
  referenceBanks: Object.freeze([...PROCESSING_IDS]),
} satisfies Settings);

export const defaultSettings = (): Settings => ({
  ...DEFAULT_SETTINGS,
  manifold: { ...DEFAULT_SETTINGS.manifold },
  referenceBanks: [...DEFAULT_SETTINGS.referenceBanks],
});

export interface SettingsReading {
  settings: Settings;
  /** One line per field that was not used, with the reason; empty when the whole file was good. */
  problems: string[];
}

/**
 * Saved beside `referenceBanks`: the grid the list was chosen from. A later release's grid may have
 * more banks; a list that held every bank of its grid then gains them (all stays all), a list that
 * left some out is kept as chosen.
 */
const BANK_GRID_KEY = 'referenceBankGrid';

/** What a settings file holds: the settings, and the bank grid their `referenceBanks` was chosen from. */
export function settingsForSaving(settings: Settings): Settings & { [BANK_GRID_KEY]: string[] } {
  return { ...settings, [BANK_GRID_KEY]: [...PROCESSING_IDS] };
}

/**
 * Settings as saved in a settings file (parsed JSON), checked field by field with the same validator
 * that guards updateSettings: a valid field is kept, an invalid or unknown one is replaced by its
 * default and named in `problems`, so one bad value neither reaches the engine nor costs the rest.
 */
export function settingsFromSaved(saved: unknown): SettingsReading {
  const settings = defaultSettings();
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved))
    return { settings, problems: ['not a JSON object: every setting is at its default'] };
  const problems: string[] = [];
  const { [BANK_GRID_KEY]: savedGrid, ...fields } = saved as Record<string, unknown>;
  let banksRead = false;
  for (const [key, value] of Object.entries(fields)) {
    try {
      Object.assign(settings, validateSettingsPatch({ [key]: value }));
      if (key === 'referenceBanks') banksRead = true;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const fallback = key in DEFAULT_SETTINGS ? `; using the default, ${JSON.stringify(DEFAULT_SETTINGS[key as keyof Settings])}` : '; ignored';
      problems.push(`${err.message}${fallback}`);
    }
  }
  // Banks added to the grid since the file was saved: on where every bank of its grid was chosen.
  if (banksRead && Array.isArray(savedGrid) && savedGrid.every((id) => typeof id === 'string')) {
    const chosen = settings.referenceBanks;
    const hadAll = savedGrid.every((id) => chosen.includes(id) || !PROCESSING_IDS.includes(id));
    if (hadAll) settings.referenceBanks = PROCESSING_IDS.filter((id) => chosen.includes(id) || !savedGrid.includes(id));
  }
  return { settings, problems };
}
