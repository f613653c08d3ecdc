// Evidence ingest: folder → one event per file (decoded canvas crops, or a reasoned skip).
//
// Decisions:
// - Each file is read ONCE into a buffer; that buffer is hashed and that same buffer is decoded.
//   Hashing a second read could certify bytes other than the ones analysed (file replaced or still
//   being written), which would break the chain from report to evidence.
// - Evidence is opened read-only (O_RDONLY, plus O_NONBLOCK so a FIFO swapped in after the scan can
//   never block) and is never written, moved or renamed; no temporary files are created beside it.
// - No resampling: larger images are centre-cropped to the canvas, smaller ones kept at their own
//   size. Generator fingerprints are high-frequency, pixel-grid-aligned patterns; any interpolation
//   low-pass filters and shifts exactly the signal under analysis.
// - Alpha is dropped, not flattened: compositing over white would mix a synthetic background into the
//   RGB values wherever alpha < 255, inventing pixels the generator did not produce.
// - Every entry of the folder ends up in the manifest, either as an image or as a skip with a stable
//   reason code; bad input never aborts a run. Files above `maxFileBytes` (default 1 GiB) are skipped
//   with reason 'pixel-limit' (the reason set in types.ts is left unchanged).
// - Output order is the byte-wise order of relative paths, independent of concurrency (at most 2
//   decodes in flight, at most that many decoded images held).
import { constants as fsc, promises as fsp } from 'node:fs';
import type { DecodedImage, EvidenceFile, IngestEvent, IngestOptions, SkippedFile, SkipReason } from '../types.js';
import { decodeImageBuffer, type DecodeOptions } from './decode.js';
import { sha256Hex } from './hash.js';
import { abortError, describeNonRegular, scanFiles, scanFolder, type ScanFile, type ScanItem, type ScanResult } from './scan.js';

export { sha256Hex, hashFile } from './hash.js';
export {
  decodeImageBuffer,
  decodeBmp,
  cropRects,
  sniffFormat,
  DEFAULT_CANVAS,
  DEFAULT_MIN_SIZE,
  DEFAULT_PIXEL_LIMIT,
  type DecodeOptions,
  type DecodeResult,
  type ImageInfo,
  type CropRect,
} from './decode.js';
export { scanFolder, scanFiles, describeRelPath, type ScanOptions, type ScanResult, type ScanItem, type ScanFile, type ScanSkip } from './scan.js';

export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;

export interface IngestModuleOptions extends IngestOptions {
  /** Files larger than this are not read (skipped as 'pixel-limit'). Default 1 GiB. */
  maxFileBytes?: number;
  /** Files decoded concurrently, 1 or 2. Default 2. */
  concurrency?: number;
  /**
   * What an earlier decode of exactly these bytes found (the manifest fields beyond names, hash,
   * size and time), when the caller holds everything it needs from that decode: the file is then
   * read and hashed but not decoded, and its image event has no crops. A re-analysis of unchanged
   * files (the evidence cache beside the library) decodes nothing.
   */
  known?: (sha256: string) => DecodedInfo | undefined;
}

/** The fields of an EvidenceFile that decoding the bytes determines. */
export type DecodedInfo = Omit<EvidenceFile, 'relPath' | 'rawNameHex' | 'sha256' | 'sizeBytes' | 'mtimeMs'>;

function ioSkip(err: unknown): { reason: SkipReason; message: string } {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  const msg = (err as Error)?.message ?? String(err);
  if (code === 'EACCES' || code === 'EPERM') return { reason: 'permission-denied', message: 'cannot open for reading: permission denied' };
  if (code === 'ENOENT') return { reason: 'io-error', message: 'file disappeared after the folder scan' };
  if (code === 'EISDIR') return { reason: 'not-a-regular-file', message: 'became a directory after the folder scan' };
  return { reason: 'io-error', message: `read failed: ${msg}` };
}

/** Read, hash and decode one file. Never rejects: every failure is a skip event. */
export async function ingestOne(file: ScanFile, opts: IngestModuleOptions = {}): Promise<IngestEvent> {
  const names = { relPath: file.relPath, ...(file.rawNameHex ? { rawNameHex: file.rawNameHex } : {}) };
  const skipped = (reason: SkipReason, message: string, extra: Partial<SkippedFile> = {}): IngestEvent => ({
    kind: 'skipped',
    skipped: { ...names, reason, message, ...extra },
  });
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let buf: Buffer;
  let mtimeMs: number;
  try {
    const handle = await fsp.open(file.absPath, fsc.O_RDONLY | fsc.O_NONBLOCK);
    try {
      const st = await handle.stat();
      if (!st.isFile()) return skipped('not-a-regular-file', describeNonRegular(st));
      if (st.size > maxFileBytes) {
        return skipped('pixel-limit', `file is ${st.size} bytes, above the ${maxFileBytes}-byte size limit; not read`, {
          sizeBytes: st.size,
        });
      }
      mtimeMs = st.mtimeMs;
      buf = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    const s = ioSkip(err);
    return skipped(s.reason, s.message);
  }
  const sha256 = sha256Hex(buf);
  const sizeBytes = buf.length;
  const known = opts.known?.(sha256);
  if (known) return { kind: 'image', image: { file: { ...names, sha256, sizeBytes, mtimeMs, ...known }, crops: [] } };
  let decoded;
  try {
    decoded = await decodeImageBuffer(buf, { ...(opts as DecodeOptions), tileSeed: sha256 });
  } catch (err) {
    // decodeImageBuffer maps every known failure; anything left is still this file's problem only.
    return skipped('corrupt', `unexpected decoder failure: ${(err as Error)?.message ?? err}`, { sha256, sizeBytes });
  }
  if ('skip' in decoded) return skipped(decoded.skip, decoded.message, { sha256, sizeBytes });
  const evidence: EvidenceFile = { ...names, sha256, sizeBytes, mtimeMs, ...decoded.info };
  const image: DecodedImage = { file: evidence, crops: decoded.crops };
  return { kind: 'image', image };
}

function itemEvent(item: ScanItem, opts: IngestModuleOptions): Promise<IngestEvent> {
  return item.kind === 'skipped' ? Promise.resolve({ kind: 'skipped', skipped: item.skipped }) : ingestOne(item, opts);
}

function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Stream events for already-scanned items, in their order, with a bounded read-ahead. */
export async function* ingestItems(items: ScanItem[], opts: IngestModuleOptions = {}): AsyncGenerator<IngestEvent> {
  const { signal, onProgress } = opts;
  const concurrency = Math.min(2, Math.max(1, Math.floor(opts.concurrency ?? 2)));
  const total = items.length;
  const started = performance.now();
  const pending: Promise<IngestEvent>[] = [];
  let next = 0;
  onProgress?.({ phase: 'ingest', done: 0, total });
  for (let done = 0; done < total;) {
    if (signal?.aborted) throw abortError();
    while (pending.length < concurrency && next < total) pending.push(itemEvent(items[next++], opts));
    const event = await raceAbort(pending.shift()!, signal);
    done++;
    yield event;
    if (onProgress) {
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      onProgress({ phase: 'ingest', done, total, rate, etaSeconds: rate > 0 ? (total - done) / rate : undefined });
    }
  }
}

/**
 * Runs a folder scan between two 'scan' progress events, so a large folder shows progress from the
 * start rather than only once its first file is decoded.
 */
async function scanned(scan: () => Promise<ScanResult>, opts: IngestModuleOptions): Promise<ScanResult> {
  opts.onProgress?.({ phase: 'scan', done: 0, total: 0 });
  const result = await scan();
  opts.onProgress?.({ phase: 'scan', done: result.items.length, total: result.items.length });
  return result;
}

/** Recursively ingest an evidence folder: one event per entry, sorted byte-wise by relative path. */
export async function* ingestFolder(root: string, opts: IngestModuleOptions = {}): AsyncGenerator<IngestEvent> {
  const scan = await scanned(() => scanFolder(root, { signal: opts.signal, followExternalLinks: opts.followExternalLinks }), opts);
  yield* ingestItems(scan.items, opts);
}

/** Ingest an explicit list of files (or folders) below `root`; relPaths are relative to `root`. */
export async function* ingestFiles(root: string, absPaths: (string | Buffer)[], opts: IngestModuleOptions = {}): AsyncGenerator<IngestEvent> {
  const scan = await scanned(() => scanFiles(root, absPaths, { signal: opts.signal, followExternalLinks: opts.followExternalLinks }), opts);
  yield* ingestItems(scan.items, opts);
}
