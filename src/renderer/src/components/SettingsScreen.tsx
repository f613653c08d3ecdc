import { useEffect, useState, type FormEvent } from 'react';
import { PROVIDER_CHOICES, type GenprintApi, type HostInfo, type Settings } from '../../../shared/api.js';
import { shortHash } from '../format.js';
import { Section } from './Section.js';

function NumberField(props: { id: string; label: string; value: number; min: number; max: number; hint?: string; onChange(v: number): void }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        min={props.min}
        max={props.max}
        step={1}
        value={props.value}
        onChange={(e) => props.onChange(Math.round(Number(e.target.value)))}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
      />
      {props.hint && (
        <span id={`${props.id}-hint`} className="muted small">
          {props.hint}
        </span>
      )}
    </div>
  );
}

export function SettingsScreen({ api, info, onSaved, onError }: { api: GenprintApi; info: HostInfo | null; onSaved(): void; onError(m: string): void }) {
  const [s, setS] = useState<Settings | null>(info?.settings ?? null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setS(info?.settings ?? null), [info]);
  if (!info || !s) return <p className="muted">Loading…</p>;
  const set = (patch: Partial<Settings>) => {
    setSaved(false);
    setS({ ...s, ...patch });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    api.updateSettings(s).then(
      () => {
        setSaved(true);
        onSaved();
      },
      (err: Error) => onError(err.message),
    );
  };
  return (
    <div className="screen settings-grid">
      <Section id="settings" title="Analysis settings">
        <form onSubmit={submit} className="form-grid">
          <div className="field">
            <label htmlFor="set-method">Method</label>
            <select id="set-method" value={s.method} onChange={(e) => set({ method: e.target.value as Settings['method'] })}>
              {info.methods.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                  {m.isDefault ? ' (default)' : ''}
                </option>
              ))}
            </select>
          </div>
          <NumberField id="set-bag" label="Images per bag" value={s.bagSize} min={1} max={10000} onChange={(v) => set({ bagSize: v })} hint="Set size for the stability analysis" />
          <NumberField id="set-bags" label="Bags" value={s.bags} min={1} max={10000} onChange={(v) => set({ bags: v })} />
          <NumberField id="set-seed" label="Seed" value={s.seed} min={0} max={2147483647} onChange={(v) => set({ seed: v })} hint="Same seed, same bags: results are reproducible" />
          <div className="field">
            <label htmlFor="set-provider">Execution provider</label>
            <select id="set-provider" value={s.provider} onChange={(e) => set({ provider: e.target.value as Settings['provider'] })}>
              {PROVIDER_CHOICES.map((p) => (
                <option key={p} value={p} disabled={p !== 'auto' && !info.availableProviders.includes(p)}>
                  {p}
                  {p !== 'auto' && !info.availableProviders.includes(p) ? ' (not available)' : ''}
                </option>
              ))}
            </select>
          </div>
          <NumberField id="set-threads" label="Threads" value={s.threads} min={0} max={256} onChange={(v) => set({ threads: v })} hint="0 lets ONNX Runtime decide" />
          <div className="form-actions wide">
            <button type="submit" className="primary">
              Save settings
            </button>
            {saved && <span role="status">Saved. New analyses use these settings.</span>}
          </div>
        </form>
      </Section>
      <Section id="engine" title="Engine">
        <dl className="facts">
          <div>
            <dt>Active provider</dt>
            <dd data-testid="active-provider">{info.activeProvider ?? 'none (no model loaded)'}</dd>
          </div>
          <div>
            <dt>Available providers</dt>
            <dd>{info.availableProviders.join(', ') || '–'}</dd>
          </div>
          <div>
            <dt>Model φ SHA-256</dt>
            <dd className="hash" title={info.model.phiSha256 ?? undefined}>
              {shortHash(info.model.phiSha256, 24)}
            </dd>
          </div>
          <div>
            <dt>Model ρ SHA-256</dt>
            <dd className="hash" title={info.model.rhoSha256 ?? undefined}>
              {shortHash(info.model.rhoSha256, 24)}
            </dd>
          </div>
          <div>
            <dt>Configuration</dt>
            <dd>{info.model.configuration ?? '–'}</dd>
          </div>
          <div>
            <dt>Software</dt>
            <dd>
              {info.software.name} {info.software.version}
              {info.software.gitCommit && ` (${info.software.gitCommit.slice(0, 10)})`}
            </dd>
          </div>
          <div>
            <dt>Library file</dt>
            <dd className="path">{info.libraryPath}</dd>
          </div>
          <div>
            <dt>Running as</dt>
            <dd>{info.host === 'electron' ? 'desktop app (engine in a utility process)' : 'local browser via genprint serve'}</dd>
          </div>
        </dl>
      </Section>
    </div>
  );
}
