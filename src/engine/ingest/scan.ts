// Recursive, read-only enumeration of an evidence folder. Names are handled as raw bytes (Linux
// allows any byte but '/' and NUL), so a file with a non-UTF-8 name can still be opened; nothing
// here opens a file, so FIFOs and devices can never block the scan.
//
// A symbolic link whose target lies outside the chosen folder is not followed unless the caller
// asks for it (`followExternalLinks`): a link to /etc would otherwise put the examiner's own files
// (password hashes included) into the case. verify-report walks folders with this same scan, so
// analysis and verification always agree on which files are evidence.
import { promises as fsp } from 'node:fs';
import type { BigIntStats, Stats } from 'node:fs';
import path from 'node:path';
import type { SkippedFile, SkipReason } from '../types.js';

/** A regular file (or a link to one) that ingest should read. */
export interface ScanFile {
  kind: 'file';
  /** Absolute path as raw bytes: the only form that reaches files whose names are not UTF-8. */
  absPath: Buffer;
  /** Path relative to the root, '/'-separated, raw bytes: the sort key. */
  relBytes: Buffer;
  relPath: string;
  rawNameHex?: string;
}

export interface ScanSkip {
  kind: 'skipped';
  relBytes: Buffer;
  skipped: SkippedFile;
}

export type ScanItem = ScanFile | ScanSkip;

export interface ScanResult {
  files: ScanFile[];
  skipped: SkippedFile[];
  /** Files and skipped entries merged, sorted byte-wise by relative path: the ingest order. */
  items: ScanItem[];
}

const SLASH = Buffer.from('/');
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Lossy display path plus, when the bytes are not valid UTF-8, the exact bytes in hex. */
export function describeRelPath(relBytes: Buffer): { relPath: string; rawNameHex?: string } {
  try {
    return { relPath: utf8Strict.decode(relBytes) };
  } catch {
    return { relPath: relBytes.toString('utf8'), rawNameHex: relBytes.toString('hex') };
  }
}

export function compareRelBytes(a: { relBytes: Buffer }, b: { relBytes: Buffer }): number {
  return Buffer.compare(a.relBytes, b.relBytes);
}

function skip(relBytes: Buffer, reason: SkipReason, message: string): ScanSkip {
  return { kind: 'skipped', relBytes, skipped: { ...describeRelPath(relBytes), reason, message } };
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? '';
}

function errorSkip(relBytes: Buffer, err: unknown, what: string): ScanSkip {
  const code = errCode(err);
  const msg = (err as Error)?.message ?? String(err);
  if (code === 'EACCES' || code === 'EPERM') return skip(relBytes, 'permission-denied', `${what}: permission denied`);
  if (code === 'ELOOP') return skip(relBytes, 'symlink-loop', `${what}: symbolic links form a loop (${code})`);
  return skip(relBytes, 'io-error', `${what}: ${msg}`);
}

export function describeNonRegular(st: Stats | BigIntStats): string {
  if (st.isFIFO()) return 'named pipe (FIFO); not opened, reading it could block';
  if (st.isSocket()) return 'socket; not opened';
  if (st.isCharacterDevice()) return 'character device; not opened';
  if (st.isBlockDevice()) return 'block device; not opened';
  return 'not a regular file';
}

/** Identity of a directory that survives symlinks and bind mounts, for loop detection. */
function dirKey(st: BigIntStats): string {
  return `${st.dev}:${st.ino}`;
}

export interface ScanOptions {
  signal?: AbortSignal;
  /** Follow symbolic links whose target is outside the scanned folder (default false: list them as skipped). */
  followExternalLinks?: boolean;
}

interface WalkState {
  out: ScanItem[];
  signal?: AbortSignal;
  /** The folder's real path (links resolved): a link whose real target is not below it leaves the folder. */
  realRoot: Buffer | null;
}

/** True when `target` is `root` or lies below it (both real paths, as bytes). */
function isInside(target: Buffer, root: Buffer): boolean {
  if (target.equals(root)) return true;
  const prefix = root[root.length - 1] === SLASH[0] ? root : Buffer.concat([root, SLASH]);
  return target.length > prefix.length && target.subarray(0, prefix.length).equals(prefix);
}

async function realRootOf(root: Buffer, opts: ScanOptions): Promise<Buffer | null> {
  if (opts.followExternalLinks) return null;
  // A root that cannot be resolved holds nothing, so no link can lead into it.
  return fsp.realpath(root, { encoding: 'buffer' }).catch(() => root);
}

/**
 * Classify one entry whose lstat is known. Links are followed to files and directories; a directory
 * link whose target is one of its own ancestors is a loop (following it would never end).
 */
async function visit(absPath: Buffer, relBytes: Buffer, ancestors: Map<string, Buffer>, state: WalkState): Promise<void> {
  let lst: BigIntStats;
  try {
    lst = await fsp.lstat(absPath, { bigint: true });
  } catch (err) {
    state.out.push(errorSkip(relBytes, err, 'cannot stat'));
    return;
  }
  let st = lst;
  if (lst.isSymbolicLink()) {
    try {
      st = await fsp.stat(absPath, { bigint: true });
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        let target = '?';
        try {
          target = (await fsp.readlink(absPath, { encoding: 'buffer' })).toString('utf8');
        } catch {
          /* the message just lacks the target */
        }
        state.out.push(skip(relBytes, 'not-a-regular-file', `dangling symbolic link (target "${target}" does not exist)`));
      } else {
        state.out.push(errorSkip(relBytes, err, 'cannot follow symbolic link'));
      }
      return;
    }
    if (state.realRoot) {
      let target: Buffer;
      try {
        target = await fsp.realpath(absPath, { encoding: 'buffer' });
      } catch (err) {
        state.out.push(errorSkip(relBytes, err, 'cannot resolve symbolic link'));
        return;
      }
      if (!isInside(target, state.realRoot)) {
        const what = st.isDirectory() ? 'a folder' : 'a file';
        state.out.push(skip(relBytes, 'outside-folder', `symbolic link to ${what} outside the evidence folder ("${target.toString('utf8')}"); not followed`));
        return;
      }
    }
  }
  if (st.isDirectory()) {
    const key = dirKey(st);
    const ancestor = ancestors.get(key);
    if (ancestor) {
      const where = ancestor.length ? `"${describeRelPath(ancestor).relPath}"` : 'the evidence root';
      state.out.push(skip(relBytes, 'symlink-loop', `symbolic link points back to its ancestor ${where}; not followed`));
      return;
    }
    const next = new Map(ancestors);
    next.set(key, relBytes);
    await walkDir(absPath, relBytes, next, state);
    return;
  }
  if (st.isFile()) {
    state.out.push({ kind: 'file', absPath, relBytes, ...describeRelPath(relBytes) });
    return;
  }
  state.out.push(skip(relBytes, 'not-a-regular-file', describeNonRegular(st)));
}

async function walkDir(absDir: Buffer, relDir: Buffer, ancestors: Map<string, Buffer>, state: WalkState): Promise<void> {
  if (state.signal?.aborted) throw abortError();
  let names: Buffer[];
  try {
    names = await fsp.readdir(absDir, { encoding: 'buffer' });
  } catch (err) {
    state.out.push(errorSkip(relDir, err, 'cannot list directory'));
    return;
  }
  names.sort(Buffer.compare);
  for (const name of names) {
    const abs = Buffer.concat([absDir, SLASH, name]);
    const rel = relDir.length ? Buffer.concat([relDir, SLASH, name]) : name;
    await visit(abs, rel, ancestors, state);
  }
}

export function abortError(): Error {
  return new DOMException('Ingest aborted', 'AbortError');
}

/** Every entry under `root`, regular files as candidates and everything else with a skip reason. */
export async function scanFolder(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const absRoot = path.resolve(root);
  const st = await fsp.stat(absRoot, { bigint: true });
  if (!st.isDirectory()) throw new Error(`Evidence folder is not a directory: ${absRoot}`);
  const rootBytes = Buffer.from(absRoot);
  const state: WalkState = { out: [], signal: opts.signal, realRoot: await realRootOf(rootBytes, opts) };
  await walkDir(rootBytes, Buffer.alloc(0), new Map([[dirKey(st), Buffer.alloc(0)]]), state);
  return splitItems(state.out);
}

/** The same classification as scanFolder, for an explicit list of files (e.g. a selection in the UI). */
export async function scanFiles(root: string, absPaths: (string | Buffer)[], opts: ScanOptions = {}): Promise<ScanResult> {
  const rootBytes = Buffer.from(path.resolve(root));
  const state: WalkState = { out: [], signal: opts.signal, realRoot: await realRootOf(rootBytes, opts) };
  for (const p of absPaths) {
    const abs = typeof p === 'string' ? Buffer.from(path.resolve(p)) : p;
    const prefix = Buffer.concat([rootBytes, SLASH]);
    let rel = abs.subarray(0, prefix.length).equals(prefix) ? abs.subarray(prefix.length) : abs;
    if (path.sep === '\\') rel = Buffer.from(rel.toString('utf8').replaceAll('\\', '/'));
    // A listed file is visited on its own; a listed directory is walked like scanFolder does.
    await visit(abs, rel, new Map(), state);
  }
  return splitItems(state.out);
}

function splitItems(out: ScanItem[]): ScanResult {
  // Global byte-wise sort of full relative paths (not per directory): "a-b" < "a/b" as bytes.
  const items = out.sort(compareRelBytes);
  const files = items.filter((i): i is ScanFile => i.kind === 'file');
  const skipped = items.filter((i): i is ScanSkip => i.kind === 'skipped').map((i) => i.skipped);
  return { files, skipped, items };
}
