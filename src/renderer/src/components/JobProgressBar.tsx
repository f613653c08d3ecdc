import type { JobState } from '../hooks/useJobs.js';
import { formatDuration } from '../format.js';
import { displayProse } from '../../../shared/display-text.js';

/** Progress of a job, in a box of fixed height so results below do not jump as it appears and goes. */
export function JobProgressBar({ job, onCancel, idleText }: { job: JobState | undefined; onCancel(): void; idleText: string }) {
  const p = job?.progress;
  const running = job?.status === 'running';
  const fraction = p && p.total > 0 ? Math.min(1, p.done / p.total) : undefined;
  let text = idleText;
  if (job?.status === 'running') text = p ? `${displayProse(p.phase)}: ${p.done} of ${p.total}` : 'Starting…';
  else if (job?.status === 'done') text = 'Finished.';
  else if (job?.status === 'cancelled') text = 'Cancelled. Nothing was written.';
  else if (job?.status === 'failed') text = `Failed: ${job.error ?? 'unknown error'}`;
  return (
    <div className={`job-progress status-${job?.status ?? 'idle'}`} aria-live="polite" data-testid={job ? `job-${job.type}` : undefined}>
      <div className="job-line">
        <span className="job-text">{text}</span>
        {running && p && (
          <span className="job-stats">
            {p.rate !== undefined && `${p.rate.toFixed(1)} /s · `}
            elapsed {formatDuration(p.elapsedSeconds)} · ETA {formatDuration(p.etaSeconds)}
          </span>
        )}
        <button type="button" className="danger-ghost" onClick={onCancel} disabled={!running} aria-hidden={!running} tabIndex={running ? 0 : -1}>
          Cancel
        </button>
      </div>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={p?.total ?? 1} aria-valuenow={p?.done ?? 0} aria-label="Job progress">
        <div
          className={fraction === undefined && running ? 'bar-fill indeterminate' : 'bar-fill'}
          style={{ width: `${(fraction ?? (job?.status === 'done' ? 1 : 0)) * 100}%` }}
        />
      </div>
    </div>
  );
}
