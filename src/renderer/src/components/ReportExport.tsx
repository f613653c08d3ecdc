import { useState } from 'react';
import type { CaseResult, GenprintApi, HostInfo, ReportExport as Written, ReportFormatChoice } from '../../../shared/api.js';
import { REPORT_FORMATS } from '../../../shared/api.js';
import { Notice } from './Notice.js';
import { PathField } from './PathField.js';
import { Section } from './Section.js';

const FORMAT_LABELS: Record<ReportFormatChoice, string> = {
  pdf: 'PDF (signed, for the case file)',
  json: 'JSON (signed, machine-readable)',
  csv: 'CSV (table of files and verdicts, not signed)',
};

/** A file name for the case's report: the case id, made safe for any file system. */
function defaultName(caseId: string, format: ReportFormatChoice): string {
  return `${caseId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'case'}.report.${format}`;
}

/** The report of the case on screen, written by the engine host (which signs only what it computed). */
export function ReportExport({ api, info, result }: { api: GenprintApi; info: HostInfo | null; result: CaseResult }) {
  const [format, setFormat] = useState<ReportFormatChoice>('pdf');
  const [dest, setDest] = useState('');
  const [busy, setBusy] = useState(false);
  const [written, setWritten] = useState<Written | null>(null);
  const [error, setError] = useState<string | null>(null);

  const write = (p: string) => {
    setBusy(true);
    setError(null);
    setWritten(null);
    api
      .exportReport(result.caseId, p, format)
      .then(
        (w) => setWritten(w),
        (e: Error) => setError(e.message),
      )
      .finally(() => setBusy(false));
  };

  return (
    <Section id="report" title="Report">
      <div className="report-export">
        <div className="field">
          <label htmlFor="report-format">Format</label>
          <select id="report-format" value={format} onChange={(e) => setFormat(e.target.value as ReportFormatChoice)} disabled={busy}>
            {REPORT_FORMATS.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
        </div>
        {info?.nativeDialogs ? (
          <button type="button" disabled={busy} onClick={() => void api.pickReportFile(defaultName(result.caseId, format), format).then((p) => p && write(p))}>
            Save report…
          </button>
        ) : (
          <>
            <PathField
              label="Save as"
              name="report-path"
              value={dest}
              onChange={setDest}
              placeholder={`/path/to/${defaultName(result.caseId, format)}`}
              disabled={busy}
            />
            <button type="button" disabled={busy || !dest.trim()} onClick={() => write(dest.trim())}>
              Save report
            </button>
          </>
        )}
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {written && (
        <Notice kind="info">
          <span data-testid="report-written">
            Saved {written.path} ({written.format.toUpperCase()}
            {written.pages ? `, ${written.pages} pages` : ''}) · SHA-256 {written.sha256} in {written.sha256Path}
            {written.signedBy ? ` · signed with this installation's key ${written.signedBy.slice(0, 16)}…` : ' · not signed'}
          </span>
        </Notice>
      )}
    </Section>
  );
}
