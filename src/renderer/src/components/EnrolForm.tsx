import { useEffect, useState, type FormEvent } from 'react';
import type { GenprintApi, HostInfo } from '../../../shared/api.js';
import { isRunning, type JobsState } from '../hooks/useJobs.js';
import { JobProgressBar } from './JobProgressBar.js';
import { PathField } from './PathField.js';
import { displayText } from '../../../shared/display-text.js';
import { describeBankIds, sharedBanksText } from '../../../shared/processing-grid.js';

const FAMILIES = ['gan', 'diffusion', 't2i', 'vae', 'flow', 'autoregressive', 'real', 'unknown'];

export function EnrolForm(props: { api: GenprintApi; info: HostInfo | null; jobs: JobsState; droppedPath: string | null; onError(m: string): void }) {
  const { api, info, jobs, onError } = props;
  const [name, setName] = useState('');
  const [family, setFamily] = useState('gan');
  const [notes, setNotes] = useState('');
  const [folders, setFolders] = useState<string[]>(['']);
  useEffect(() => {
    if (props.droppedPath) setFolders((f) => [...f.filter((x) => x.trim()), props.droppedPath!]);
  }, [props.droppedPath]);
  const job = jobs.jobs.enrol;
  const running = isRunning(job);
  const chosen = folders.map((f) => f.trim()).filter(Boolean);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || chosen.length === 0) return onError('An entry needs a name and at least one reference folder.');
    api.startEnrol({ name: name.trim(), family: family.trim() || 'unknown', notes, folders: chosen }).catch((err: Error) => onError(err.message));
  };

  return (
    <form className="enrol-form" onSubmit={submit} aria-label="Enrol a generator">
      <div className="form-grid">
        <div className="field">
          <label htmlFor="enrol-name">Entry name</label>
          <input id="enrol-name" name="name" value={name} onChange={(e) => setName(e.target.value)} disabled={running} placeholder="e.g. StyleGAN2-FFHQ" />
        </div>
        <div className="field">
          <label htmlFor="enrol-family">Family</label>
          <input id="enrol-family" list="enrol-families" value={family} onChange={(e) => setFamily(e.target.value)} disabled={running} />
          <datalist id="enrol-families">
            {FAMILIES.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </div>
        <div className="field wide">
          <label htmlFor="enrol-notes">Notes (provenance of the reference images)</label>
          <input id="enrol-notes" value={notes} onChange={(e) => setNotes(e.target.value)} disabled={running} />
        </div>
      </div>
      {folders.map((f, i) => (
        <PathField
          key={i}
          name="folder"
          label={folders.length > 1 ? `Reference folder ${i + 1}` : 'Reference folder (read-only)'}
          value={f}
          disabled={running}
          onChange={(v) => setFolders((all) => all.map((x, k) => (k === i ? v : x)))}
          onBrowse={info?.nativeDialogs ? () => api.pickFolder('Choose a folder of reference images') : undefined}
        />
      ))}
      <div className="form-actions">
        <button type="button" onClick={() => setFolders((f) => [...f, ''])} disabled={running}>
          Add another folder
        </button>
        <button type="submit" className="primary" disabled={running || !name.trim() || chosen.length === 0}>
          Enrol
        </button>
      </div>
      <JobProgressBar job={job} idleText="No enrolment running." onCancel={() => job && void api.cancelJob(job.jobId)} />
      {job?.status === 'done' && jobs.lastEnrol && (
        <p className="hint" role="status">
          Enrolled <strong>{displayText(jobs.lastEnrol.entry.name)}</strong> from {jobs.lastEnrol.entry.provenance.fileCount} images
          {jobs.lastEnrol.skipped.length > 0 && `; ${jobs.lastEnrol.skipped.length} files skipped`};{' '}
          {jobs.lastEnrol.banks.length > 0 ? `reference banks: ${describeBankIds(jobs.lastEnrol.banks)}` : 'no reference banks'}.
          {jobs.lastEnrol.sharedBanks && ` ${sharedBanksText(jobs.lastEnrol)}`}
        </p>
      )}
    </form>
  );
}
