// Progress output for long jobs: a bar with rate and ETA on a terminal, plain lines otherwise
// (so logs and CI output stay readable).
import cliProgress from 'cli-progress';
import type { Progress } from '../engine/types.js';
import { displayProse } from '../shared/display-text.js';

export interface ProgressReporter {
  update(p: Progress): void;
  stop(): void;
}

export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr, quiet = false): ProgressReporter {
  if (quiet) return { update() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{phase} |{bar}| {value}/{total} · {rate}/s · ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let phase = '';
    let started = false;
    return {
      update(p) {
        if (!started || p.phase !== phase) {
          if (started) bar.stop();
          bar.start(Math.max(p.total, 1), p.done, { phase: displayProse(p.phase), rate: '–' });
          phase = p.phase;
          started = true;
        }
        bar.setTotal(Math.max(p.total, 1));
        bar.update(p.done, { phase: displayProse(p.phase), rate: p.rate ? p.rate.toFixed(1) : '–' });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  // Not a terminal: a line when a phase starts and one per 10 % of it, so logs stay short.
  let phase = '';
  let lastDecile = -1;
  return {
    update(p) {
      const decile = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 0;
      if (p.phase !== phase || decile !== lastDecile) {
        const eta = p.etaSeconds !== undefined ? `, ETA ${Math.round(p.etaSeconds)} s` : '';
        const r = p.rate ? `, ${p.rate.toFixed(1)}/s` : '';
        stream.write(`${displayProse(p.phase)}: ${p.done}/${p.total}${r}${eta}\n`);
        phase = p.phase;
        lastDecile = decile;
      }
    },
    stop() {},
  };
}
