// Words for the per-image consistency test behind a classifier verdict, shared by the engine
// (statements, PDF, CLI) and the renderer; part of the wording layer (wording.ts decides what an
// inconsistent verdict is worded). The test itself is src/engine/attribution/consistency.ts.
import { displayText } from './display-text.js';
import { formatPValue as formatP, formatT } from './numbers.js';

/** Whether the images consistently favour the chosen entry over the runner-up (one-sided paired t-test). */
export interface ConsistencyTest {
  /** The runner-up entry the chosen one is tested against. */
  versus: string;
  images: number;
  /** Images whose own log-probability ratio favours the chosen entry. */
  favouring: number;
  /** Mean over the images of log p(chosen | image) − log p(runner-up | image). */
  meanLogRatio: number;
  /** Student t statistic of that mean (± Infinity when every image gives the same ratio). */
  t: number;
  /** One-sided p-value (Student t, images − 1 degrees of freedom). */
  pValue: number;
  /** The level below which the images count as consistent. */
  level: number;
  consistent: boolean;
}

/** e.g. "8 of 10 images favour A over B (mean per-image log-probability ratio 1.20, t = 3.10, one-sided p = 0.006)". */
export function describeConsistency(c: ConsistencyTest, chosen: string): string {
  return (
    `${c.favouring} of ${c.images} images favour ${displayText(chosen)} over ${displayText(c.versus)} ` +
    `(mean per-image log-probability ratio ${c.meanLogRatio.toFixed(2)}, t = ${formatT(c.t)}, one-sided p = ${formatP(c.pValue)}; consistent if p < ${c.level})`
  );
}

/** The caveat when the images do not consistently favour the chosen entry, else null. */
export function consistencyCaveat(c: ConsistencyTest | undefined, chosen: string | null): string | null {
  if (!c || c.consistent || chosen === null) return null;
  return (
    `the images do not consistently favour ${displayText(chosen)} over ${displayText(c.versus)} ` +
    `(${c.favouring} of ${c.images} do; paired t = ${formatT(c.t)}, one-sided p = ${formatP(c.pValue)}, consistent only if p < ${c.level})`
  );
}
