// Job state for the whole window: the latest job of each type with its progress and outcome.
// Events can arrive before the start call returns (the host announces a job at once), so state is
// keyed by what the events say, not by the caller.
import { useEffect, useState } from 'react';
import type { CaseResult, EnrolOutcome, GenprintApi, JobProgress, JobType } from '../../../shared/api.js';

export interface JobState {
  jobId: string;
  type: JobType;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  progress?: JobProgress;
  error?: string;
}

export interface JobsState {
  jobs: Partial<Record<JobType, JobState>>;
  caseResult: CaseResult | null;
  lastEnrol: EnrolOutcome | null;
  /** Bumped whenever the library may have changed, so views re-read it. */
  libraryVersion: number;
}

export function useJobs(api: GenprintApi): JobsState & { bumpLibrary(): void } {
  const [state, setState] = useState<JobsState>({ jobs: {}, caseResult: null, lastEnrol: null, libraryVersion: 0 });

  useEffect(
    () =>
      api.onJobEvent((e) => {
        setState((s) => {
          const prev = s.jobs[e.type];
          const base: JobState = prev?.jobId === e.jobId ? prev : { jobId: e.jobId, type: e.type, status: 'running' };
          let job = base;
          let { caseResult, lastEnrol, libraryVersion } = s;
          switch (e.kind) {
            case 'started':
              job = { ...base, status: 'running' };
              break;
            case 'progress':
              job = { ...base, status: 'running', progress: e.progress };
              break;
            case 'done':
              job = { ...base, status: 'done' };
              if (e.type === 'analyse') caseResult = e.result;
              else if (e.type === 'enrol') {
                lastEnrol = e.result;
                libraryVersion++;
              } else libraryVersion++;
              break;
            case 'cancelled':
              job = { ...base, status: 'cancelled' };
              break;
            case 'failed':
              job = { ...base, status: 'failed', error: e.error.message };
              break;
          }
          return { jobs: { ...s.jobs, [e.type]: job }, caseResult, lastEnrol, libraryVersion };
        });
      }),
    [api],
  );

  return { ...state, bumpLibrary: () => setState((s) => ({ ...s, libraryVersion: s.libraryVersion + 1 })) };
}

export const isRunning = (j: JobState | undefined) => j?.status === 'running';
