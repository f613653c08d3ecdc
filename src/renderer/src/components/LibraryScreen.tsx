import { useCallback, useEffect, useState } from 'react';
import type { GenprintApi, HostInfo, LibraryEntrySummary, LibraryErrorRates, LibraryView } from '../../../shared/api.js';
import { isRunning, type JobsState } from '../hooks/useJobs.js';
import { shortHash } from '../format.js';
import { Section } from './Section.js';
import { LibraryTable } from './LibraryTable.js';
import { EnrolForm } from './EnrolForm.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { PathDialog } from './PathDialog.js';
import { LibraryErrorRatesTable } from './LibraryErrorRatesTable.js';
import { JobProgressBar } from './JobProgressBar.js';
import { displayText } from '../../../shared/display-text.js';

export function LibraryScreen(props: { api: GenprintApi; info: HostInfo | null; jobs: JobsState; droppedPath: string | null; onError(m: string): void }) {
  const { api, info, jobs, onError } = props;
  const [library, setLibrary] = useState<LibraryView | null>(null);
  const [removing, setRemoving] = useState<LibraryEntrySummary | null>(null);
  const [asking, setAsking] = useState<'import' | 'export' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  // A library change (rename, remove, import, export) runs as a job: its classifier fit can take a while.
  const busy = isRunning(jobs.jobs.enrol) || isRunning(jobs.jobs.library);

  const reload = useCallback(() => {
    api.listLibrary().then(setLibrary, (e: Error) => onError(e.message));
  }, [api, onError]);
  useEffect(reload, [reload, jobs.libraryVersion]);

  // Estimated whenever the library's content changes, from the classifier stored with it.
  const [rates, setRates] = useState<{ value: LibraryErrorRates | null; error: string | null }>({ value: null, error: null });
  useEffect(() => {
    let current = true;
    setRates({ value: null, error: null });
    api.libraryErrorRates().then(
      (value) => current && setRates({ value, error: null }),
      (e: Error) => current && setRates({ value: null, error: e.message }),
    );
    return () => {
      current = false;
    };
  }, [api, library?.sha256]);

  const act = (p: Promise<LibraryView>, done: string) =>
    p.then(
      (v) => {
        setLibrary(v);
        setMessage(done);
      },
      (e: Error) => onError(e.message),
    );

  const chooseFile = async (mode: 'import' | 'export') => {
    if (info?.nativeDialogs) {
      const p = await api.pickLibraryFile(mode === 'import' ? 'open' : 'save');
      if (p) runFileAction(mode, p);
    } else setAsking(mode);
  };
  const runFileAction = (mode: 'import' | 'export', p: string) => {
    if (mode === 'import') act(api.importLibrary(p), `Imported entries from ${p}.`);
    else
      api.exportLibrary(p, []).then(
        (v) => setMessage(`Exported ${v.entries.length} entries to ${displayText(v.path)}.`),
        (e: Error) => onError(e.message),
      );
  };

  return (
    <div className="screen">
      <Section
        id="library"
        title="Fingerprint library"
        aside={
          <>
            <button onClick={() => void chooseFile('import')} disabled={busy}>
              Import…
            </button>
            <button onClick={() => void chooseFile('export')} disabled={!library?.entries.length}>
              Export…
            </button>
          </>
        }
      >
        <p className="muted small library-path" title={library?.sha256}>
          {library ? `${displayText(library.path)} · ${library.entries.length} entries · SHA-256 ${shortHash(library.sha256)}` : 'Loading…'}
        </p>
        {message && (
          <p className="hint" role="status">
            {message}
          </p>
        )}
        {jobs.jobs.library && (
          <JobProgressBar job={jobs.jobs.library} idleText="" onCancel={() => jobs.jobs.library && void api.cancelJob(jobs.jobs.library.jobId)} />
        )}
        {library && (
          <LibraryTable
            entries={library.entries}
            busy={busy}
            onRename={(e, name) => act(api.renameEntry(String(e.id), name), `Renamed ${displayText(e.name)} to ${displayText(name)}.`)}
            onRemove={setRemoving}
          />
        )}
      </Section>
      {library && library.entries.length > 1 && (
        <Section id="error-rates" title="How reliably the library tells its entries apart">
          <LibraryErrorRatesTable rates={rates.value} error={rates.error} />
        </Section>
      )}
      <Section id="enrol" title="Enrol a generator">
        <EnrolForm api={api} info={info} jobs={jobs} droppedPath={props.droppedPath} onError={onError} />
      </Section>
      <ConfirmDialog
        open={removing !== null}
        title="Remove library entry?"
        confirmLabel="Remove"
        danger
        onCancel={() => setRemoving(null)}
        onConfirm={() => {
          const e = removing!;
          setRemoving(null);
          act(api.removeEntry(String(e.id)), `Removed ${displayText(e.name)}.`);
        }}
      >
        <p>
          <strong>{displayText(removing?.name ?? '')}</strong> ({displayText(removing?.family ?? '')}, {removing?.provenance.fileCount} images) will be deleted
          from the library. Cases already analysed keep their results; to use this generator again it must be enrolled again.
        </p>
      </ConfirmDialog>
      <PathDialog
        open={asking !== null}
        title={asking === 'import' ? 'Import a library file' : 'Export the library'}
        label={asking === 'import' ? 'Library file to merge in' : 'New library file to write'}
        confirmLabel={asking === 'import' ? 'Import' : 'Export'}
        onDone={(p) => {
          const mode = asking!;
          setAsking(null);
          if (p) runFileAction(mode, p);
        }}
      />
    </div>
  );
}
