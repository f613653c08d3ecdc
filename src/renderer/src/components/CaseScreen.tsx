import { useEffect, useState, type FormEvent } from 'react';
import type { GenprintApi, HostInfo } from '../../../shared/api.js';
import { isRunning, type JobsState } from '../hooks/useJobs.js';
import { JobProgressBar } from './JobProgressBar.js';
import { PathField } from './PathField.js';
import { CaseResults } from './CaseResults.js';
import { ReportExport } from './ReportExport.js';

export function CaseScreen(props: { api: GenprintApi; info: HostInfo | null; jobs: JobsState; droppedPath: string | null; onError(m: string): void }) {
  const { api, info, jobs, onError } = props;
  const [folder, setFolder] = useState('');
  useEffect(() => {
    if (props.droppedPath) setFolder(props.droppedPath);
  }, [props.droppedPath]);
  const job = jobs.jobs.analyse;
  const running = isRunning(job);

  const start = (e: FormEvent) => {
    e.preventDefault();
    if (!folder.trim()) return onError('Choose the folder of suspect images first.');
    api.startAnalyse({ caseRoot: folder.trim() }).catch((err: Error) => onError(err.message));
  };

  return (
    <div className="screen">
      <form className="toolbar card" onSubmit={start} aria-label="Analyse a folder">
        <PathField
          label="Suspect image folder (read-only)"
          name="caseRoot"
          value={folder}
          onChange={setFolder}
          disabled={running}
          placeholder="/evidence/case-0042  (or drop a folder on the window)"
          onBrowse={info?.nativeDialogs ? () => api.pickFolder('Choose the folder of suspect images') : undefined}
        />
        <button type="submit" className="primary" disabled={running || !folder.trim()}>
          Analyse
        </button>
      </form>
      <JobProgressBar job={job} idleText="No analysis running." onCancel={() => job && void api.cancelJob(job.jobId)} />
      {jobs.caseResult ? (
        <>
          <CaseResults api={api} result={jobs.caseResult} />
          <ReportExport api={api} info={info} result={jobs.caseResult} />
        </>
      ) : (
        <div className="empty card">
          <h2>No case open</h2>
          <p>
            Choose a folder of images to attribute. Files are only read, never modified; unreadable files are listed with the reason they were skipped. The
            verdict, correlation heatmaps, dendrogram and stability chart appear here when the analysis finishes.
          </p>
        </div>
      )}
    </div>
  );
}
