import { useCallback, useEffect, useState, type DragEvent } from 'react';
import type { GenprintApi, HostInfo } from '../../shared/api.js';
import { useJobs } from './hooks/useJobs.js';
import { CaseScreen } from './components/CaseScreen.js';
import { LibraryScreen } from './components/LibraryScreen.js';
import { SettingsScreen } from './components/SettingsScreen.js';
import { ThemeToggle } from './components/ThemeToggle.js';
import { Notice } from './components/Notice.js';
import { displayProse } from '../../shared/display-text.js';

type Tab = 'case' | 'library' | 'settings';
const TABS: { id: Tab; label: string }[] = [
  { id: 'case', label: 'Case' },
  { id: 'library', label: 'Library' },
  { id: 'settings', label: 'Settings' },
];

export function App({ api }: { api: GenprintApi }) {
  const [tab, setTab] = useState<Tab>('case');
  const [info, setInfo] = useState<HostInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [settingsNoticeDismissed, setSettingsNoticeDismissed] = useState(false);
  const [droppedCase, setDroppedCase] = useState<string | null>(null);
  const [droppedRef, setDroppedRef] = useState<string | null>(null);
  const jobs = useJobs(api);

  const refreshInfo = useCallback(() => {
    api.info().then(setInfo, (e: Error) => setError(e.message));
  }, [api]);
  useEffect(refreshInfo, [refreshInfo]);

  // Folders dropped anywhere on the window go to the screen in view.
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    if (!file) return;
    const p = api.pathForFile(file);
    if (!p) {
      setError('This browser cannot tell where a dropped folder lives: type or paste its path instead.');
      return;
    }
    if (tab === 'library') setDroppedRef(p);
    else {
      setTab('case');
      setDroppedCase(p);
    }
  };

  return (
    <div className="app" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <header className="app-bar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Genprint
        </div>
        <nav
          className="tabs"
          role="tablist"
          aria-label="Screens"
          onKeyDown={(e) => {
            // Arrow keys move between tabs, as the WAI-ARIA tabs pattern expects.
            const i = TABS.findIndex((t) => t.id === tab);
            const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
            if (!step) return;
            const next = TABS[(i + step + TABS.length) % TABS.length]!.id;
            setTab(next);
            document.getElementById(`tab-${next}`)?.focus();
          }}
        >
          {TABS.map((t) => (
            <button
              key={t.id}
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              className={tab === t.id ? 'tab active' : 'tab'}
              onClick={() => {
                setTab(t.id);
                window.scrollTo(0, 0);
              }}
            >
              {t.label}
            </button>
          ))}
        </nav>
        <div className="app-bar-end">
          <span className="host-badge" title={info ? `Library: ${info.libraryPath}` : undefined}>
            {info ? `${info.host === 'electron' ? 'Desktop' : 'Local browser'} · ${info.activeProvider ?? 'no model'} · v${info.software.version}` : '…'}
          </span>
          <ThemeToggle />
        </div>
      </header>
      {error && (
        <Notice kind="error" onDismiss={() => setError(null)}>
          {displayProse(error)}
        </Notice>
      )}
      {info?.settingsFileProblems && !settingsNoticeDismissed && (
        <Notice kind="error" onDismiss={() => setSettingsNoticeDismissed(true)}>
          <span data-testid="settings-file-problems">
            Some saved settings could not be used, so their defaults apply: {info.settingsFileProblems.join(' · ')}. Saving the settings replaces the file.
          </span>
        </Notice>
      )}
      <main className="content">
        <section id="panel-case" role="tabpanel" aria-labelledby="tab-case" hidden={tab !== 'case'}>
          <CaseScreen api={api} info={info} jobs={jobs} droppedPath={droppedCase} onError={setError} />
        </section>
        <section id="panel-library" role="tabpanel" aria-labelledby="tab-library" hidden={tab !== 'library'}>
          <LibraryScreen api={api} info={info} jobs={jobs} droppedPath={droppedRef} onError={setError} />
        </section>
        <section id="panel-settings" role="tabpanel" aria-labelledby="tab-settings" hidden={tab !== 'settings'}>
          {tab === 'settings' && <SettingsScreen api={api} info={info} onSaved={refreshInfo} onError={setError} />}
        </section>
      </main>
    </div>
  );
}
