// Nothing leaves the machine: a whole enrol → attribute → report run of the real CLI, traced with
// strace, opens no network socket other than local (AF_UNIX, netlink) ones and writes no file
// outside the folders the run was given: the case, the library (with its feature cache and lock),
// the report, the signing-key folder and a temp dir the run owns. onnxruntime-node 1.30's telemetry
// (a device id and events under ~/.cache/Microsoft, /tmp/mat-debug-PID.log, DNS lookups of
// Microsoft's host) fails this test unless it is switched off (engine/backend/no-telemetry.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo, type DemoManifest } from '../src/engine/demo/index.js';
import { recordReliability } from './helpers/reliability.js';

const bin = path.join(__dirname, '..', 'bin', 'genprint.js');
const hasStrace = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
// CI installs strace (.ci/run); elsewhere the test skips with a reason rather than failing.
const describeTraced = hasStrace || process.env.CI ? describe : describe.skip;

const work = mkdtempSync(path.join(tmpdir(), 'genprint-offline-'));
const dirs = {
  evidence: path.join(work, 'demo'),
  out: path.join(work, 'out'),
  home: path.join(work, 'home'),
  tmp: path.join(work, 'tmp'),
  keys: path.join(work, 'keys'),
};
let demo: DemoManifest;

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  for (const d of [dirs.out, dirs.home, dirs.tmp]) mkdirSync(d, { recursive: true });
  demo = await buildDemo(dirs.evidence, { referencePerGenerator: 16, casePerFolder: 6 });
}, 120_000);

interface Traced {
  code: number | null;
  stderr: string;
  /** Absolute paths the command created, opened for writing, renamed, linked or removed. */
  written: string[];
  /** Every socket call on a family other than AF_UNIX / AF_NETLINK, and every inet address used. */
  network: string[];
  /** Socket calls of any family (local ones included): how much the trace saw. */
  socketCalls: number;
}

/** Runs `genprint ARGS` under strace with HOME and TMPDIR pointed into the run's own folders. */
function traced(args: string[]): Traced {
  const log = path.join(work, `strace-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dirs.home, TMPDIR: dirs.tmp, FORCE_COLOR: '0', GENPRINT_CONFIG_DIR: dirs.keys };
  // The variable under test must come from the engine itself, not from the environment of the test runner.
  delete env.ORT_DISABLE_TELEMETRY;
  delete env.XDG_CACHE_HOME;
  delete env.XDG_CONFIG_HOME;
  const r = spawnSync('strace', ['-f', '-qq', '-y', '-e', 'trace=%file,%network', '-o', log, process.execPath, bin, ...args], {
    cwd: dirs.out,
    env,
    encoding: 'utf8',
  });
  const lines = readFileSync(log, 'utf8').split('\n');
  rmSync(log);
  return { code: r.status, stderr: r.stderr, ...parseTrace(lines, dirs.out) };
}

/** A path argument of a syscall: "path", or dirfd</dir> plus "path". */
function resolveArg(dirfd: string | undefined, p: string, cwd: string): string {
  if (path.isAbsolute(p)) return path.normalize(p);
  const base = dirfd && dirfd !== 'AT_FDCWD' ? (/<(.*)>$/.exec(dirfd)?.[1] ?? cwd) : cwd;
  return path.resolve(base, p);
}

export function parseTrace(lines: string[], cwd: string): { written: string[]; network: string[]; socketCalls: number } {
  const written = new Set<string>();
  const network: string[] = [];
  let socketCalls = 0;
  for (const raw of lines) {
    const line = raw.replace(/^\d+\s+/, '');
    if (/ = -1 /.test(line)) continue; // failed calls changed nothing
    let m: RegExpExecArray | null;
    if ((m = /^(open|openat|creat)\((?:([^,]+), )?"([^"]*)"(?:, ([A-Z_|]+))?/.exec(line))) {
      const [, call, dirfd, p, flags] = m;
      if (call === 'creat' || /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(flags ?? '')) written.add(resolveArg(call === 'open' ? undefined : dirfd, p!, cwd));
    } else if ((m = /^(mkdir|mkdirat|unlink|unlinkat|rmdir|truncate|chmod|fchmodat|utimensat)\((?:(AT_FDCWD|\d+<[^>]*>), )?"([^"]*)"/.exec(line))) {
      written.add(resolveArg(m[2], m[3]!, cwd));
    } else if (
      (m = /^(rename|renameat2?|link|linkat|symlink|symlinkat)\((?:(AT_FDCWD|\d+<[^>]*>), )?"([^"]*)", (?:(AT_FDCWD|\d+<[^>]*>), )?"([^"]*)"/.exec(line))
    ) {
      written.add(resolveArg(m[2], m[3]!, cwd));
      written.add(resolveArg(m[4], m[5]!, cwd));
    }
    if (/^(socket|connect|sendto|sendmsg|bind)\(/.test(line)) {
      socketCalls++;
      const family = /(AF_[A-Z0-9]+)/.exec(line)?.[1];
      if (family && family !== 'AF_UNIX' && family !== 'AF_NETLINK' && family !== 'AF_LOCAL') network.push(line);
      // A UDP socket's sendto/sendmsg to an inet address names it even without a family literal.
      else if (/inet_(addr|pton)\("/.test(line)) network.push(line);
    }
  }
  return { written: [...written], network, socketCalls };
}

describeTraced('no network and no stray files (strace)', () => {
  const allowedRoots = () => [dirs.evidence, dirs.out, dirs.tmp, dirs.keys];
  const outside = (t: Traced) =>
    t.written.filter((p) => !allowedRoots().some((root) => p === root || p.startsWith(root + path.sep)) && !/^\/(dev|proc)\//.test(p));

  it('enrol, attribute and report: loopback-free, and every write inside the run’s folders', () => {
    const lib = path.join(dirs.out, 'lab.gplib');
    const runs: Traced[] = [];
    runs.push(traced(['library', 'init', lib]));
    for (const ref of demo.reference.slice(0, 2))
      // One reference bank keeps the re-saving path in the trace at a sixth of the whole grid's cost.
      runs.push(
        traced(['enrol', '-q', '-l', lib, '-n', ref.generator, '-f', ref.family, '--no-manifold', '--banks', 'jpeg-q75', path.join(dirs.evidence, ref.folder)]),
      );
    const target = demo.cases.find((c) => c.kind === 'single' && c.expected === demo.reference[0]!.generator)!;
    const caseJson = path.join(dirs.out, 'case.json');
    runs.push(traced(['attribute', '-q', '-l', lib, '-j', caseJson, path.join(dirs.evidence, target.folder)]));
    runs.push(traced(['report', caseJson, '-o', path.join(dirs.out, 'report.pdf')]));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);

    // The trace saw the work (so an empty trace cannot pass): the library, case and report were written.
    const all = runs.flatMap((r) => r.written);
    expect(all).toContain(caseJson);
    expect(all.some((p) => p.startsWith(path.join(dirs.out, 'lab.gplib')))).toBe(true);
    expect(all.some((p) => p.startsWith(path.join(dirs.out, 'report.pdf')))).toBe(true);

    expect(runs.flatMap((r) => r.network)).toEqual([]);
    expect(runs.flatMap(outside)).toEqual([]);
    // Nothing under the fake HOME, and no onnxruntime debug log in the run's temp dir.
    expect(readdirSync(dirs.home)).toEqual([]);
    expect(readdirSync(dirs.tmp).filter((n) => n.startsWith('mat-debug'))).toEqual([]);
    expect(existsSync(path.join(dirs.home, '.cache', 'Microsoft'))).toBe(false);

    const commands = 'library init, enrol ×2, attribute, report';
    const socketCalls = runs.reduce((n, r) => n + r.socketCalls, 0);
    recordReliability('network', `${commands} under strace -f (every thread and child)`, `${socketCalls} socket calls, none off the machine`, {
      count: runs.length,
    });
    recordReliability('files-written', `${commands} under strace -f`, `${new Set(all).size} paths written, none outside the run's folders`, {
      count: runs.length,
    });
  }, 300_000);
});

describe('the strace reader', () => {
  // The assertions above are only as good as the parser: it must see writes and inet sockets.
  it('finds writes, renames and inet sockets, and ignores reads and failed calls', () => {
    const lines = [
      '12  openat(AT_FDCWD, "/root/.cache/Microsoft/x.db", O_RDWR|O_CREAT|O_CLOEXEC, 0644) = 21',
      '12  openat(AT_FDCWD, "/usr/lib/libc.so", O_RDONLY|O_CLOEXEC) = 3',
      '12  openat(AT_FDCWD, "/tmp/nope", O_WRONLY|O_CREAT, 0644) = -1 EACCES (Permission denied)',
      '12  openat(19</work/out>, "case.json", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 20',
      '12  renameat2(AT_FDCWD, "rel.tmp", AT_FDCWD, "/work/out/lab.gplib", 0) = 0',
      '12  mkdir("/root/.cache/Microsoft", 0700) = 0',
      '12  socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 22',
      '12  connect(22, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0',
      '12  socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 23',
    ];
    const { written, network } = parseTrace(lines, '/cwd');
    expect(written.sort()).toEqual(['/cwd/rel.tmp', '/root/.cache/Microsoft', '/root/.cache/Microsoft/x.db', '/work/out/case.json', '/work/out/lab.gplib']);
    expect(network).toHaveLength(2);
  });
});
