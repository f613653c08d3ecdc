import { useEffect, useState, type FormEvent } from 'react';
import {
  CLASSIFIER_EVIDENCE,
  DEFAULT_MANIFOLD_K,
  ESTIMATE_CHOICES,
  MAX_CROPS_RANGE,
  PROVIDER_CHOICES,
  REAL_FAMILY,
  type GenprintApi,
  type HostInfo,
  type LibraryEntrySummary,
  type ManifoldOptions,
  type Settings,
} from '../../../shared/api.js';
import { ESTIMATE_NAMES, shortHash } from '../format.js';
import { Section } from './Section.js';
import { displayText } from '../../../shared/display-text.js';
import { CALIBRATION_RATE_RANGE } from '../../../shared/calibration.js';
import { PROCESSING_GRID, PROCESSING_IDS, describeProcessing } from '../../../shared/processing-grid.js';

const EVIDENCE_NAMES: Record<Settings['classifierEvidence'], string> = {
  all: 'φ + residual spectrum + residual pixels (default)',
  phi: 'φ alone',
};

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

/** A rate entered as a percentage (one decimal), kept as a fraction. */
function PercentField(props: { id: string; label: string; value: number; hint: string; onChange(v: number): void }) {
  const [lo, hi] = CALIBRATION_RATE_RANGE;
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label} (%)</label>
      <input
        id={props.id}
        type="number"
        min={100 * lo}
        max={100 * hi}
        step={0.1}
        value={Number((100 * props.value).toFixed(1))}
        onChange={(e) => props.onChange(Number(e.target.value) / 100)}
        aria-describedby={`${props.id}-hint`}
      />
      <span id={`${props.id}-hint`} className="muted small">
        {props.hint}
      </span>
    </div>
  );
}

/** A labelled choice among fixed values, each shown by its name, with a hint below. */
function ChoiceField<T extends string>(props: {
  id: string;
  label: string;
  value: T;
  choices: readonly T[];
  names: Record<T, string>;
  hint: string;
  onChange(v: T): void;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value as T)} aria-describedby={`${props.id}-hint`}>
        {props.choices.map((c) => (
          <option key={c} value={c}>
            {props.names[c]}
          </option>
        ))}
      </select>
      <span id={`${props.id}-hint`} className="muted small">
        {props.hint}
      </span>
    </div>
  );
}

/**
 * The reference banks new entries are enrolled with: one checkbox per processing of the grid, named
 * in words ("JPEG q75"). The list is kept in the grid's order, the order enrolment reports it.
 */
function ReferenceBankFields({ value, onChange }: { value: readonly string[]; onChange(v: string[]): void }) {
  return (
    <fieldset className="field wide check-group" aria-describedby="set-banks-hint">
      <legend>Reference banks at enrolment</legend>
      <div className="checks">
        {PROCESSING_GRID.map((p) => (
          <label key={p.id}>
            <input
              type="checkbox"
              name="referenceBanks"
              value={p.id}
              checked={value.includes(p.id)}
              onChange={(e) => onChange(PROCESSING_IDS.filter((id) => (id === p.id ? e.target.checked : value.includes(id))))}
            />
            {describeProcessing(p)}
          </label>
        ))}
      </div>
      <span id="set-banks-hint" className="muted small">
        Each bank lets re-saved evidence be compared with references saved the same way; it costs one more pass over the references at enrolment and one more
        classifier at each library change. Attribution uses only the banks every entry has
      </span>
    </fieldset>
  );
}

/**
 * The manifold method's options: the estimate and, for knn, the real reference entry and k. The
 * reference list is the library's entries of family "real"; the engine checks the choice again when
 * the analysis runs and says plainly what is missing.
 */
function ManifoldFields({ value, entries, onChange }: { value: ManifoldOptions; entries: LibraryEntrySummary[] | null; onChange(m: ManifoldOptions): void }) {
  const reals = (entries ?? []).filter((e) => e.family === REAL_FAMILY);
  // A saved reference that is no longer a real entry stays visible, so the choice is not changed silently.
  const stale = value.reference !== undefined && !reals.some((e) => e.name === value.reference);
  return (
    <>
      <ChoiceField
        id="set-estimate"
        label="Manifold estimate"
        value={value.estimate}
        choices={ESTIMATE_CHOICES}
        names={ESTIMATE_NAMES}
        hint="How each image is projected onto the manifold of real images; the artifact is its distance from that projection"
        onChange={(estimate) => onChange({ ...value, estimate })}
      />
      {value.estimate === 'knn' && (
        <>
          <div className="field">
            <label htmlFor="set-reference">Real reference entry</label>
            <select
              id="set-reference"
              value={value.reference ?? ''}
              onChange={(e) => {
                const { reference: _old, ...rest } = value;
                onChange(e.target.value ? { ...rest, reference: e.target.value } : rest);
              }}
              aria-describedby="set-reference-hint"
            >
              <option value="">automatic: the only real entry</option>
              {reals.map((e) => (
                <option key={e.id} value={e.name}>
                  {displayText(e.name)} ({e.provenance.fileCount} images)
                </option>
              ))}
              {stale && <option value={value.reference}>{value.reference} (not a real entry of this library)</option>}
            </select>
            <span id="set-reference-hint" className="muted small">
              {entries && reals.length === 0
                ? `The library has no entry of family "${REAL_FAMILY}": enrol real images of the evidence's domain with that family first`
                : "Real images of the evidence's domain"}
            </span>
          </div>
          <NumberField
            id="set-k"
            label="Nearest neighbours (k)"
            value={value.k ?? DEFAULT_MANIFOLD_K}
            min={1}
            max={256}
            onChange={(k) => onChange({ ...value, k })}
          />
        </>
      )}
    </>
  );
}

export function SettingsScreen({ api, info, onSaved, onError }: { api: GenprintApi; info: HostInfo | null; onSaved(): void; onError(m: string): void }) {
  const [s, setS] = useState<Settings | null>(info?.settings ?? null);
  const [saved, setSaved] = useState(false);
  const [entries, setEntries] = useState<LibraryEntrySummary[] | null>(null);
  useEffect(() => setS(info?.settings ?? null), [info]);
  // Library entries for the knn reference choice; a failure only leaves the list empty.
  useEffect(() => {
    api.listLibrary().then(
      (v) => setEntries(v.entries),
      () => setEntries([]),
    );
  }, [api]);
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
          {s.method === 'dsf' && (
            <ChoiceField
              id="set-evidence"
              label="Classifier evidence"
              value={s.classifierEvidence}
              choices={CLASSIFIER_EVIDENCE}
              names={EVIDENCE_NAMES}
              hint="What the library classifier reads; φ alone is for comparison on a case"
              onChange={(classifierEvidence) => set({ classifierEvidence })}
            />
          )}
          {s.method === 'manifold' && <ManifoldFields value={s.manifold} entries={entries} onChange={(manifold) => set({ manifold })} />}
          <NumberField
            id="set-bag"
            label="Images per bag"
            value={s.bagSize}
            min={1}
            max={10000}
            onChange={(v) => set({ bagSize: v })}
            hint="Set size for the stability analysis"
          />
          <PercentField
            id="set-false-unknown"
            label="False-unknown rate"
            value={s.falseUnknownRate}
            onChange={(falseUnknownRate) => set({ falseUnknownRate })}
            hint="How often an enrolled generator's held-back reference sets may be called unknown; the library's thresholds are set for it"
          />
          <PercentField
            id="set-false-split"
            label="False-split rate"
            value={s.falseSplitRate}
            onChange={(falseSplitRate) => set({ falseSplitRate })}
            hint="How often single-source held-back sets of a folder's size may be split into a mixed folder"
          />
          <NumberField id="set-bags" label="Bags" value={s.bags} min={1} max={10000} onChange={(v) => set({ bags: v })} />
          <NumberField
            id="set-max-crops"
            label="Tiles per image"
            value={s.maxCrops}
            min={MAX_CROPS_RANGE[0]}
            max={MAX_CROPS_RANGE[1]}
            onChange={(v) => set({ maxCrops: v })}
            hint="At most this many 256 × 256 tiles of a large image, at enrolment (recorded with the entry); analyses take the evidence with the library's limit"
          />
          <ReferenceBankFields value={s.referenceBanks} onChange={(referenceBanks) => set({ referenceBanks })} />
          <NumberField
            id="set-seed"
            label="Seed"
            value={s.seed}
            min={0}
            max={2147483647}
            onChange={(v) => set({ seed: v })}
            hint="Same seed, same bags: results are reproducible"
          />
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
          <NumberField
            id="set-threads"
            label="Threads"
            value={s.threads}
            min={0}
            max={256}
            onChange={(v) => set({ threads: v })}
            hint="0 uses the engine's default thread count"
          />
          <div className="form-actions wide">
            <button type="submit" className="primary">
              Save settings
            </button>
            {saved && <span role="status">Saved. New analyses and enrolments use these settings.</span>}
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
