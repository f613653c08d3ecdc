// The CSV export: one row per evidence file (analysed or skipped) with its hash, metadata and
// per-image result. RFC 4180: comma separated, CRLF line ends, fields quoted when they contain a
// comma, quote, CR or LF (and when they start or end with a space, which spreadsheets trim),
// quotes doubled. UTF-8 without a byte-order mark. File names are written exactly, never altered.
import type { CaseResult } from '../types.js';
import { describeFactors, type EarlierJpegFinding, type ResamplingFinding } from '../../shared/processing-history.js';

export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(fields: (string | number | boolean | null | undefined)[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

export const CSV_BASE_COLUMNS = [
  'relPath',
  'rawNameHex',
  'status',
  'skipReason',
  'skipMessage',
  'sha256',
  'sizeBytes',
  'mtime',
  'format',
  'width',
  'height',
  'channels',
  'bitDepth',
  'hasExif',
  'crops',
  'compression',
  'resampling',
  'earlierJpeg',
  'group',
  'topCandidate',
  'score',
] as const;

/** "1.5× or 0.75×" when resampled, "no", "not measured" (under 64 px), or empty when not recorded. */
function resamplingCell(r: ResamplingFinding | undefined): string {
  if (!r) return '';
  if (!r.measured) return 'not measured';
  return r.detected ? describeFactors(r.factors) : 'no';
}

/** "q75" (or "quality not estimable") when suspected, "no", "not measured", or empty (lossy file, or not recorded). */
function earlierJpegCell(j: EarlierJpegFinding | undefined): string {
  if (!j) return '';
  if (!j.measured) return 'not measured';
  if (!j.suspected) return 'no';
  return j.quality === null ? 'quality not estimable' : `q${j.quality}`;
}

export function renderCsv(c: CaseResult): Buffer {
  const images = new Map(c.images.map((r) => [r.relPath, r]));
  // One residual-correlation column per library entry, in library order, then any others seen.
  const corrNames: string[] = c.library.entries.map((e) => e.name);
  for (const r of c.images) for (const k of Object.keys(r.residualCorr ?? {})) if (!corrNames.includes(k)) corrNames.push(k);
  const parts: string[] = [csvRow([...CSV_BASE_COLUMNS, ...corrNames.map((nme) => `residualCorr:${nme}`)])];
  for (const f of c.manifest) {
    const r = images.get(f.relPath);
    parts.push(
      csvRow([
        f.relPath,
        f.rawNameHex,
        'analysed',
        '',
        '',
        f.sha256,
        f.sizeBytes,
        Number.isFinite(f.mtimeMs) ? new Date(f.mtimeMs).toISOString() : '',
        f.format,
        f.width,
        f.height,
        f.channels,
        f.bitDepth,
        f.hasExif,
        f.crops,
        f.compression,
        resamplingCell(f.resampling),
        earlierJpegCell(f.earlierJpeg),
        r ? r.group + 1 : '',
        r?.topCandidate ?? '',
        r?.score,
        ...corrNames.map((nme) => r?.residualCorr?.[nme]),
      ]),
    );
  }
  for (const s of c.skipped) {
    parts.push(
      csvRow([
        s.relPath,
        s.rawNameHex,
        'skipped',
        s.reason,
        s.message,
        s.sha256,
        s.sizeBytes,
        ...Array(CSV_BASE_COLUMNS.length - 7 + corrNames.length).fill(''),
      ]),
    );
  }
  return Buffer.from(parts.join(''), 'utf8');
}
