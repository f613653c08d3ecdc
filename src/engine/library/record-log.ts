// An append-only file of keyed binary records: the per-image cache (φ features, evidence records)
// beside a library. The sidecar database (sql.js) holds its whole file in memory and rewrites it
// whole on every save, so a cache of 100k images in it cost memory in proportion to the folder and
// a full rewrite per analysis. Here only an index (key → offset) is held; a record is read from disk
// when asked for, and new records are appended.
//
// Why not a library: the choices on npm without native code are sql.js (whole file in memory, the
// problem above) or key-value stores that pull in a runtime of their own; what a cache needs is
// ~150 lines. Why not one file per record: 100k small files in a folder is slow to create and copy.
//
// Layout: the 16-byte MAGIC, then records, each
//   u32 LE payload bytes · u16 LE key bytes · key (UTF-8) · payload · first 16 bytes of
//   SHA-256(key bytes ‖ payload)
// A record whose checksum fails is a miss (the cache only costs recomputation). A record cut short
// by a crash ends the readable part: the next writer cuts the file there before appending.
// Writers append under the file's writer lock (lock.ts); readers never lock. A key written twice
// resolves to the later record.
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { WriterLock } from './lock.js';

const MAGIC = Buffer.from('GENPRINT-RLOG-1\n', 'latin1');
const HEAD = 6;
const CHECK = 16;
/** Larger values are not records this code writes: the file is damaged from there on. */
const MAX_KEY = 1024;
const MAX_PAYLOAD = 256 * 2 ** 20;
const READ_CHUNK = 2 ** 20;

interface Located {
  /** Offset of the key bytes (the checksum covers key and payload). */
  at: number;
  keyLength: number;
  payloadLength: number;
}

function checksum(keyAndPayload: Uint8Array): Buffer {
  return createHash('sha256').update(keyAndPayload).digest().subarray(0, CHECK);
}

export class RecordLog {
  private readonly index = new Map<string, Located>();
  /** Where the records read or written so far end. */
  private end = MAGIC.length;

  private constructor(
    readonly file: string,
    private fd: number | null,
  ) {}

  /** Opens `file` for reading (a missing or foreign file reads as empty) and indexes its records. */
  static open(file: string): RecordLog {
    let fd: number | null;
    try {
      fd = existsSync(file) ? openSync(file, 'r') : null;
    } catch {
      fd = null; // unreadable: an empty cache
    }
    const log = new RecordLog(file, fd);
    if (fd !== null && !log.hasMagic(fd)) {
      closeSync(fd);
      log.fd = null;
    }
    if (log.fd !== null) log.end = log.scan(log.fd, MAGIC.length);
    return log;
  }

  get size(): number {
    return this.index.size;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** The payload stored under `key`, or undefined (absent, or its checksum fails). */
  get(key: string): Uint8Array | undefined {
    const r = this.index.get(key);
    if (!r || this.fd === null) return undefined;
    const body = Buffer.allocUnsafe(r.keyLength + r.payloadLength + CHECK);
    if (readSync(this.fd, body, 0, body.length, r.at) !== body.length) return undefined;
    const stored = body.subarray(r.keyLength + r.payloadLength);
    if (!checksum(body.subarray(0, r.keyLength + r.payloadLength)).equals(stored)) return undefined;
    return body.subarray(r.keyLength, r.keyLength + r.payloadLength);
  }

  /**
   * Appends the records under the writer lock. Returns false, writing nothing, when another
   * process holds the lock or the file cannot be written: a cache write is best effort.
   */
  append(records: Iterable<{ key: string; payload: Uint8Array }>): boolean {
    const parts: Buffer[] = [];
    const pending: { key: string; offset: number; keyLength: number; payloadLength: number }[] = [];
    let length = 0;
    for (const { key, payload } of records) {
      const k = Buffer.from(key, 'utf8');
      if (k.length > MAX_KEY || payload.length > MAX_PAYLOAD) throw new Error(`record-log: record ${key} too large`);
      const head = Buffer.alloc(HEAD);
      head.writeUInt32LE(payload.length, 0);
      head.writeUInt16LE(k.length, 4);
      const p = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      parts.push(head, k, p, createHash('sha256').update(k).update(p).digest().subarray(0, CHECK));
      pending.push({ key, offset: length + HEAD, keyLength: k.length, payloadLength: p.length });
      length += HEAD + k.length + p.length + CHECK;
    }
    if (pending.length === 0) return true;
    let lock: WriterLock;
    try {
      lock = WriterLock.acquire(this.file);
    } catch {
      return false;
    }
    let wfd: number | null = null;
    try {
      wfd = openSync(this.file, existsSync(this.file) ? 'r+' : 'w+', 0o644);
      // Another process may have appended (index its records) or a crash left a torn record (cut it).
      let start: number;
      if (fstatSync(wfd).size < MAGIC.length || !this.hasMagic(wfd)) {
        ftruncateSync(wfd, 0);
        writeSync(wfd, MAGIC, 0, MAGIC.length, 0);
        this.index.clear();
        start = MAGIC.length;
      } else {
        start = this.scan(wfd, this.fd === null ? MAGIC.length : this.end);
        if (fstatSync(wfd).size > start) ftruncateSync(wfd, start);
      }
      const all = Buffer.concat(parts, length);
      writeSync(wfd, all, 0, all.length, start);
      for (const r of pending) this.index.set(r.key, { at: start + r.offset, keyLength: r.keyLength, payloadLength: r.payloadLength });
      this.end = start + length;
      if (this.fd === null) this.fd = openSync(this.file, 'r');
      return true;
    } catch {
      return false;
    } finally {
      if (wfd !== null) closeSync(wfd);
      lock.release();
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private hasMagic(fd: number): boolean {
    const head = Buffer.alloc(MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(MAGIC);
  }

  /** Indexes the records from `from` on; returns where the last whole record ends. */
  private scan(fd: number, from: number): number {
    const size = fstatSync(fd).size;
    const window = Buffer.allocUnsafe(READ_CHUNK);
    let windowAt = -1;
    let windowLength = 0;
    const bytesAt = (pos: number, n: number): Buffer | null => {
      if (pos + n > size) return null;
      if (windowAt < 0 || pos < windowAt || pos + n > windowAt + windowLength) {
        if (n > window.length) return null;
        windowAt = pos;
        windowLength = readSync(fd, window, 0, Math.min(window.length, size - pos), pos);
        if (pos + n > windowAt + windowLength) return null;
      }
      return window.subarray(pos - windowAt, pos - windowAt + n);
    };
    let pos = from;
    for (;;) {
      const head = bytesAt(pos, HEAD);
      if (!head) break;
      const payloadLength = head.readUInt32LE(0);
      const keyLength = head.readUInt16LE(4);
      if (keyLength === 0 || keyLength > MAX_KEY || payloadLength > MAX_PAYLOAD) break;
      const total = HEAD + keyLength + payloadLength + CHECK;
      if (pos + total > size) break;
      const key = bytesAt(pos + HEAD, keyLength);
      if (!key) break;
      this.index.set(key.toString('utf8'), { at: pos + HEAD, keyLength, payloadLength });
      pos += total;
    }
    return pos;
  }
}
