import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FingerprintLibrary, lockPath, withLibrary } from '../src/engine/library/index.js';
import { crashEntry } from './fixtures/library-crash-child.js';
import { recordReliability } from './helpers/reliability.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = path.join(repoRoot, 'test/fixtures/library-crash-child.ts');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'genprint-crash-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Moment =
  /** SIGKILL as soon as the child reports save n complete. */
  | { after: 'saved'; n: number }
  /** SIGKILL as soon as the child announces save n, optionally after a delay (ms). */
  | { after: 'saving'; n: number; delayMs?: number }
  /** SIGKILL the instant a temp file of save n appears in the folder: mid-write. */
  | { after: 'temp'; n: number }
  /** SIGKILL the instant save n renames its temp file over the library, before it can report success. */
  | { after: 'rename'; n: number };

interface Outcome {
  lastSaved: number;
  lastSaving: number;
  tempSeen: boolean;
  exitSignal: NodeJS.Signals | null;
}

/** Runs the child until the chosen moment, kills it with SIGKILL, and reports what it had announced. */
function runAndKill(file: string, moment: Moment): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, file], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Outcome = { lastSaved: 0, lastSaving: 0, tempSeen: false, exitSignal: null };
    let stderr = '';
    let buf = '';
    let watcher: ReturnType<typeof watch> | null = null;
    const kill = () => proc.kill('SIGKILL');
    const tempPattern = new RegExp(`^${path.basename(file).replace(/\./g, '\\.')}\\.tmp-`);
    proc.stderr.on('data', (d) => (stderr += d));
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [what, num] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        const n = Number(num);
        if (what === 'saving') out.lastSaving = n;
        if (what === 'saved') out.lastSaved = n;
        if (moment.after === 'saved' && what === 'saved' && n === moment.n) kill();
        if (moment.after === 'saving' && what === 'saving' && n === moment.n) {
          if (moment.delayMs) setTimeout(kill, moment.delayMs);
          else kill();
        }
        if ((moment.after === 'temp' || moment.after === 'rename') && what === 'saved' && n === moment.n - 1 && !watcher)
          watcher = watch(dir, (_ev, name) => {
            if (!name || out.lastSaving !== moment.n) return;
            if (tempPattern.test(String(name))) {
              out.tempSeen = true;
              if (moment.after === 'temp') kill();
            } else if (moment.after === 'rename' && out.tempSeen && String(name) === path.basename(file)) kill();
          });
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      watcher?.close();
      out.exitSignal = signal;
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}/${signal} before being killed: ${stderr}`));
      else resolve(out);
    });
  });
}

async function expectIntactLibrary(file: string, out: Outcome): Promise<number> {
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  try {
    expect(lib.integrityCheck()).toEqual(['ok']);
    const names = lib.listEntries().map((e) => e.name);
    const n = names.length;
    // Exactly the state of a completed save: the last one reported, or the one cut short if its rename landed.
    expect([out.lastSaved, out.lastSaving]).toContain(n);
    expect(new Set(names)).toEqual(new Set(Array.from({ length: n }, (_, i) => `entry-${i}`)));
    for (let i = 0; i < n; i++) {
      const got = lib.getEntry(`entry-${i}`).residualFingerprint.data;
      const want = crashEntry(i).residualFingerprint.data;
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    }
    return n;
  } finally {
    lib.close();
  }
}

const moments: Moment[] = [
  { after: 'saved', n: 2 },
  { after: 'saving', n: 3 },
  { after: 'temp', n: 4 },
  { after: 'saving', n: 3, delayMs: 5 + Math.floor(Math.random() * 20) },
  { after: 'temp', n: 5 },
  { after: 'saving', n: 6, delayMs: Math.floor(Math.random() * 60) },
  { after: 'rename', n: 4 },
];

describe('a library survives its writer being killed at any moment', () => {
  it.each(moments.map((m, i) => [i, m] as const))('run %i: SIGKILL %o', async (i, moment) => {
    const file = path.join(dir, `lib-${i}.gplib`);
    await FingerprintLibrary.create(file).then((l) => l.close());
    const out = await runAndKill(file, moment);
    expect(out.exitSignal).toBe('SIGKILL');
    if (moment.after === 'temp' || moment.after === 'rename') expect(out.tempSeen).toBe(true);
    const leftovers = readdirSync(dir).filter((f) => f.startsWith(`lib-${i}.gplib.tmp-`));
    const n = await expectIntactLibrary(file, out);
    if (moment.after === 'rename') expect(n).toBe(moment.n); // the rename is the commit point
    console.log(
      `run ${i} (${JSON.stringify(moment)}): saved ${out.lastSaved}, announced ${out.lastSaving}, ` +
        `library holds ${n}, temp files left ${leftovers.length}, lock left ${existsSync(lockPath(file))}`,
    );

    // A reader opening the library clears the dead writer's half-written temp file (up to a whole
    // library in size); the next writer takes over the dead writer's lock.
    if (moment.after === 'temp') expect(leftovers.length).toBeGreaterThan(0);
    (await FingerprintLibrary.open(file, { readOnly: true })).close();
    expect(readdirSync(dir).filter((f) => f.startsWith(`lib-${i}.gplib.tmp-`))).toEqual([]);
    await withLibrary(file, (lib) => void lib.addEntry(crashEntry(n)));
    expect(readdirSync(dir).filter((f) => f.startsWith(`lib-${i}.gplib`))).toEqual([`lib-${i}.gplib`]);
    const after = await FingerprintLibrary.open(file, { readOnly: true });
    expect(after.listEntries()).toHaveLength(n + 1);
    after.close();
    recordReliability(
      'kill',
      `SIGKILL ${describeMoment(moment)}`,
      `library intact: ${n} complete entries, integrity ok, leftover temp files removed by the next open`,
    );
  });
});

function describeMoment(m: Moment): string {
  if (m.after === 'saved') return `right after save ${m.n} completed`;
  if (m.after === 'saving') return `as save ${m.n} began${m.delayMs ? ` (+${m.delayMs} ms)` : ''}`;
  if (m.after === 'temp') return `mid-write of save ${m.n} (temp file just created)`;
  return `as save ${m.n} renamed its temp file over the library`;
}

describe('two writers at once', () => {
  it('a second writer process is refused while the first holds the library, and nothing is lost', async () => {
    const file = path.join(dir, 'concurrent.gplib');
    const first = await FingerprintLibrary.create(file);
    first.addEntry(crashEntry(0));
    first.save();
    // The second writer is a real process (the crash child), started while this one holds the lock.
    const second = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, file, '5'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d) => (stdout += d));
      proc.stderr.on('data', (d) => (stderr += d));
      proc.on('error', reject);
      proc.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/locked/);
    expect(second.stdout).not.toMatch(/saving/);
    first.addEntry(crashEntry(1));
    first.save();
    first.close();
    const lib = await FingerprintLibrary.open(file, { readOnly: true });
    expect(lib.integrityCheck()).toEqual(['ok']);
    expect(lib.listEntries().map((e) => e.name)).toEqual(['entry-0', 'entry-1']);
    lib.close();
    recordReliability(
      'concurrent',
      'a second writer process opens a library another process is writing',
      'refused: locked; the first writer saved on, library intact',
    );
  });
});
