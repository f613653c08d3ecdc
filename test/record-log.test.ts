// The sidecar's record log: per-image cache records appended to a file, an index in memory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecordLog } from '../src/engine/library/record-log.js';
import { WriterLock } from '../src/engine/library/lock.js';
import { FeatureCache, featureLogPath } from '../src/engine/attributor.js';

const bytes = (...v: number[]) => Uint8Array.from(v);
const floats = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 31 + i));

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'genprint-rlog-'));
  file = path.join(dir, 'lib.gplib.feature-log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('RecordLog', () => {
  it('reads back what was appended, in this process and after reopening; a later record wins', () => {
    const log = RecordLog.open(file);
    expect(log.get('a')).toBeUndefined();
    expect(
      log.append([
        { key: 'a', payload: bytes(1, 2, 3) },
        { key: 'b', payload: bytes() },
      ]),
    ).toBe(true);
    expect(log.append([{ key: 'a', payload: bytes(9) }])).toBe(true);
    expect([...log.get('a')!]).toEqual([9]);
    expect([...log.get('b')!]).toEqual([]);
    log.close();
    const again = RecordLog.open(file);
    expect(again.size).toBe(2);
    expect([...again.get('a')!]).toEqual([9]);
    expect(again.get('c')).toBeUndefined();
    again.close();
  });

  it('treats a record whose bytes changed as absent, and keeps reading the records after it', () => {
    const log = RecordLog.open(file);
    log.append([
      { key: 'first', payload: bytes(10, 20, 30, 40) },
      { key: 'second', payload: bytes(50, 60) },
    ]);
    log.close();
    const raw = readFileSync(file);
    const at = raw.indexOf(Buffer.from([10, 20, 30, 40]));
    raw[at + 1] ^= 0xff;
    writeFileSync(file, raw);
    const damaged = RecordLog.open(file);
    expect(damaged.get('first')).toBeUndefined();
    expect([...damaged.get('second')!]).toEqual([50, 60]);
    damaged.close();
  });

  it('ignores a record cut short by a crash and cuts it off before the next append', () => {
    const log = RecordLog.open(file);
    log.append([{ key: 'whole', payload: bytes(1, 2) }]);
    log.close();
    const whole = statSync(file).size;
    // A torn append: a header promising 100 payload bytes, and only 54 of them (longer than the next record).
    const torn = Buffer.alloc(64);
    torn.writeUInt32LE(100, 0);
    torn.writeUInt16LE(4, 4);
    torn.write('torn', 6, 'latin1');
    appendFileSync(file, torn);
    const reader = RecordLog.open(file);
    expect(reader.size).toBe(1);
    expect(reader.get('torn')).toBeUndefined();
    expect(reader.append([{ key: 'next', payload: bytes(7) }])).toBe(true);
    reader.close();
    const after = RecordLog.open(file);
    expect([...after.get('whole')!]).toEqual([1, 2]);
    expect([...after.get('next')!]).toEqual([7]);
    after.close();
    // header 6 + key 4 + payload 1 + checksum 16 after the whole record: the torn bytes are gone.
    expect(statSync(file).size).toBe(whole + 6 + 4 + 1 + 16);
  });

  it('sees records another writer appended meanwhile, and does not overwrite them', () => {
    const one = RecordLog.open(file);
    const two = RecordLog.open(file);
    expect(one.append([{ key: 'from-one', payload: bytes(1) }])).toBe(true);
    expect(two.append([{ key: 'from-two', payload: bytes(2) }])).toBe(true);
    expect([...two.get('from-one')!]).toEqual([1]); // indexed when two appended after it
    one.close();
    two.close();
    const fresh = RecordLog.open(file);
    expect([...fresh.get('from-one')!]).toEqual([1]);
    expect([...fresh.get('from-two')!]).toEqual([2]);
    fresh.close();
  });

  it('writes nothing while another process holds the lock, and reads a foreign file as empty', () => {
    writeFileSync(file, 'not a record log at all');
    const log = RecordLog.open(file);
    expect(log.size).toBe(0);
    const held = WriterLock.acquire(file);
    try {
      // Same process, same pid: the lock is not stale, so the append must give up.
      expect(log.append([{ key: 'k', payload: bytes(1) }])).toBe(false);
    } finally {
      held.release();
    }
    expect(readFileSync(file, 'utf8')).toBe('not a record log at all');
    expect(log.append([{ key: 'k', payload: bytes(1) }])).toBe(true);
    expect([...log.get('k')!]).toEqual([1]);
    log.close();
  });
});

describe('FeatureCache over the record log', () => {
  it('appends records as they accumulate, before persist, and serves them back bit for bit', async () => {
    const library = path.join(dir, 'lib.gplib');
    const cache = await FeatureCache.open(library);
    const n = 600; // more than the records it holds in memory before appending
    for (let i = 0; i < n; i++) cache.put(`sha${i}`, 'model', floats(640, i));
    // Most records are on disk already: memory does not grow with the folder.
    const early = RecordLog.open(featureLogPath(library));
    expect(early.size).toBeGreaterThanOrEqual(n - 256);
    expect(early.size).toBeLessThan(n);
    early.close();
    expect(cache.get('sha5', 'model')).toEqual(floats(640, 5));
    await cache.persist();
    const reopened = await FeatureCache.open(library);
    for (const i of [0, 255, 256, 599]) expect(reopened.get(`sha${i}`, 'model')).toEqual(floats(640, i));
    expect(reopened.get('sha0', 'other-model')).toBeUndefined();
    reopened.close();
  });
});
