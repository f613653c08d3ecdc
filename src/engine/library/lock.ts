// Writer lock: `<library>.lock`, created exclusively, naming its holder. Readers never take it: a
// library file is only ever replaced whole (see database.ts), so a reader sees the old or new file.
import { closeSync, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LibraryError } from './errors.js';

interface LockInfo {
  pid: number;
  hostname: string;
  createdAt: string;
  token: string;
}

/** A lock file that cannot be parsed and is older than this was left by a crash while being written. */
const UNREADABLE_GRACE_MS = 10_000;

export function lockPath(file: string): string {
  return `${file}.lock`;
}

/** Whether a process with this pid exists on this host. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

function readLock(file: string): { raw: string; info: LockInfo | null } | null {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const info = JSON.parse(raw) as LockInfo;
    return { raw, info: Number.isInteger(info.pid) && typeof info.hostname === 'string' ? info : null };
  } catch {
    return { raw, info: null };
  }
}

/** Why the lock is stale, or null when its holder may still be alive. */
function staleReason(file: string, info: LockInfo | null): string | null {
  if (!info) {
    try {
      return Date.now() - statSync(file).mtimeMs > UNREADABLE_GRACE_MS ? 'unreadable lock file' : null;
    } catch {
      return 'vanished';
    }
  }
  if (info.hostname !== hostname()) return null; // a pid on another machine cannot be checked
  if (info.pid === process.pid) return null; // this process holds it (another open library object)
  return pidAlive(info.pid) ? null : `process ${info.pid} no longer exists`;
}

/** Whether `library` has a writer lock whose holder may still be running (any lock that is not stale). */
export function writerMayBeActive(library: string): boolean {
  const file = lockPath(library);
  const held = readLock(file);
  return held !== null && staleReason(file, held.info) === null;
}

export class WriterLock {
  private released = false;
  private constructor(
    readonly file: string,
    private readonly token: string,
  ) {}

  /** Takes the writer lock of `library`, taking over a lock whose holder died on this host. */
  static acquire(library: string): WriterLock {
    const file = lockPath(library);
    for (let attempt = 0; attempt < 5; attempt++) {
      const info: LockInfo = { pid: process.pid, hostname: hostname(), createdAt: new Date().toISOString(), token: randomUUID() };
      let fd: number;
      try {
        fd = openSync(file, 'wx', 0o644);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new LibraryError('not-found', `cannot write ${library}: its folder does not exist`);
        if (code !== 'EEXIST') throw err;
        const held = readLock(file);
        if (!held) continue; // released meanwhile
        if (!staleReason(file, held.info)) throw lockedError(library, file, held.info);
        // Re-read just before removing, so a lock that was replaced meanwhile by a live holder survives.
        const again = readLock(file);
        if (again && again.raw === held.raw) {
          try {
            unlinkSync(file);
          } catch {
            /* another process took it over first; retry */
          }
        }
        continue;
      }
      try {
        const text = JSON.stringify(info);
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return new WriterLock(file, info.token);
    }
    const held = readLock(file);
    throw lockedError(library, file, held?.info ?? null);
  }

  /** Removes the lock file if it is still ours (never someone else's that took over a stale one). */
  release(): void {
    if (this.released) return;
    this.released = true;
    const held = readLock(this.file);
    if (held?.info?.token === this.token) {
      try {
        unlinkSync(this.file);
      } catch {
        /* already gone */
      }
    }
  }
}

function lockedError(library: string, file: string, info: LockInfo | null): LibraryError {
  const who = info ? `process ${info.pid} on ${info.hostname} since ${info.createdAt}` : 'another process';
  return new LibraryError('locked', `${library} is being written by ${who}; if that program is no longer running, delete ${file}`);
}
