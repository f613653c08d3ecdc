// Low-level storage: the sql.js module, SQLite header sanity checks, float32 ↔ BLOB coding and the
// atomic whole-file write that makes a library crash-safe.
import { createRequire } from 'node:module';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, readdirSync, linkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import path from 'node:path';
import initSqlJs from 'sql.js';
import type { Database, SqlJsStatic } from 'sql.js';
import { LibraryError } from './errors.js';

export type { Database };

let sqlModule: Promise<SqlJsStatic> | undefined;

/** The sql.js module, loaded once; the wasm file is resolved through Node's resolver so the same code
 * works from the source tree, the bundled Electron main process and the CLI. */
export function loadSql(): Promise<SqlJsStatic> {
  if (!sqlModule) {
    const wasm = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
    sqlModule = initSqlJs({ locateFile: () => wasm });
    sqlModule.catch(() => (sqlModule = undefined)); // let a later call retry
  }
  return sqlModule;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Rejects bytes that sql.js would silently treat as an empty database (zero bytes) or read past the
 * end of (a truncated file): sql.js never reports either on its own.
 */
export function checkSqliteHeader(file: string, bytes: Uint8Array): void {
  if (bytes.length === 0) throw new LibraryError('not-a-library', `${file} is empty (0 bytes), not a Genprint library`);
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 100));
  const magicLen = Math.min(head.length, SQLITE_MAGIC.length);
  if (!head.subarray(0, magicLen).equals(SQLITE_MAGIC.subarray(0, magicLen)))
    throw new LibraryError('not-a-library', `${file} is not a Genprint library (not an SQLite database)`);
  if (bytes.length < 100) throw new LibraryError('corrupt', `${file} is corrupt: truncated SQLite header (${bytes.length} bytes)`);
  const raw = head.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    throw new LibraryError('corrupt', `${file} is corrupt: invalid page size ${raw}`);
  if (bytes.length % pageSize !== 0)
    throw new LibraryError('corrupt', `${file} is corrupt: ${bytes.length} bytes is not a whole number of ${pageSize}-byte pages`);
  // The in-header page count is authoritative only when the two change counters agree.
  const pages = head.readUInt32BE(28);
  if (pages > 0 && head.readUInt32BE(24) === head.readUInt32BE(92) && bytes.length < pages * pageSize)
    throw new LibraryError('corrupt', `${file} is corrupt: truncated (${bytes.length} of ${pages * pageSize} bytes)`);
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Float32 values as little-endian bytes, the on-disk representation on every platform. */
export function floatsToBlob(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

/**
 * The blob's float32 values. A blob that is a whole array of its own (what sql.js 1.x returns for
 * every BLOB value: a fresh copy out of its heap) is adopted without a copy: an attribution reads
 * some 250 MB of them from a 100-entry library, and allocating that twice cost seconds. A view into
 * a larger buffer (at an arbitrary offset, or into the database's own memory) is copied.
 */
export function blobToFloats(blob: Uint8Array, expectedLength: number, what: string): Float32Array {
  if (blob.byteLength !== expectedLength * 4) throw new LibraryError('corrupt', `${what}: ${blob.byteLength} bytes where ${expectedLength * 4} were expected`);
  if (LITTLE_ENDIAN_HOST && blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength && blob.buffer instanceof ArrayBuffer)
    return new Float32Array(blob.buffer, 0, expectedLength);
  const out = new Float32Array(expectedLength);
  if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(blob);
  else {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let i = 0; i < expectedLength; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

const TEMP_INFIX = '.tmp-';

function tempName(file: string): string {
  return `${file}${TEMP_INFIX}${process.pid}-${randomBytes(6).toString('hex')}`;
}

function fsyncDir(dir: string): void {
  // Makes the rename itself durable. Windows cannot open a directory for fsync; NTFS journals the rename.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* best effort where the platform refuses */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeTemp(file: string, bytes: Uint8Array): string {
  const tmp = tempName(file);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkQuiet(tmp);
    throw err;
  }
  closeSync(fd);
  return tmp;
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

/**
 * Replaces `file` with `bytes` so that a crash at any instant leaves either the old or the new
 * complete file: write a temp file beside it, fsync, rename over, fsync the directory.
 */
export function atomicReplace(file: string, bytes: Uint8Array): void {
  const tmp = writeTemp(file, bytes);
  try {
    renameSync(tmp, file);
  } catch (err) {
    unlinkQuiet(tmp);
    throw err;
  }
  fsyncDir(path.dirname(file));
}

/** Like atomicReplace, but fails with 'exists' instead of replacing a file that appeared meanwhile. */
export function atomicCreate(file: string, bytes: Uint8Array): void {
  const tmp = writeTemp(file, bytes);
  try {
    try {
      linkSync(tmp, file); // atomic and never overwrites
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new LibraryError('exists', `${file} already exists; not overwriting it`);
      // Some file systems (FAT/exFAT on USB drives) have no hard links: fall back to check-then-rename,
      // safe enough because the caller holds the writer lock on this path.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV') throw err;
      if (readdirSync(path.dirname(file)).includes(path.basename(file))) throw new LibraryError('exists', `${file} already exists; not overwriting it`);
      renameSync(tmp, file);
    }
  } finally {
    unlinkQuiet(tmp);
  }
  fsyncDir(path.dirname(file));
}

/**
 * Deletes temp files left by a save that was killed mid-write (up to the size of the library each).
 * Called by the lock holder (on open and after each save), where every temp file of this library is
 * a leftover since no other process writes it meanwhile; and by readers on open with `keep`, which
 * spares the temp files of processes that may still be running (library.ts decides which).
 * Only names of the form `<this file>.tmp-<pid>-<12 hex>` are ever touched.
 */
export function removeStaleTemps(file: string, keep: (pid: number) => boolean = () => false): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-[0-9a-f]{12}$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (m && !keep(Number(m[1]))) {
      unlinkQuiet(path.join(dir, name));
      removed.push(name);
    }
  }
  return removed;
}
