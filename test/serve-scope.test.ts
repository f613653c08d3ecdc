// `genprint serve` answers any page that holds its token, so it keeps to what the user chose on its
// command line: cases and reference folders are read, and libraries exported or imported, only
// inside the --allow folders (default: the library's folder), symbolic links resolved. Refusals are
// 403 'forbidden' with a message that says how to allow a folder. A request body that is too large
// is answered 413, not a reset connection. The real engine behind the real HTTP bridge.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineFacade } from '../src/host/engine-host.js';
import { MAX_BODY, startServe, TOKEN_HEADER, type RunningServer } from '../src/server/serve.js';
import { EXIT } from '../src/cli/exit-codes.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'genprint-serve-scope-'));
const libDir = path.join(tmp, 'lab');
const cases = path.join(tmp, 'cases');
const elsewhere = path.join(tmp, 'elsewhere');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let engine: EngineFacade;
beforeAll(async () => {
  for (const d of [libDir, cases, elsewhere]) mkdirSync(d, { recursive: true });
  symlinkSync('/etc', path.join(cases, 'etc-link'));
  symlinkSync(elsewhere, path.join(cases, 'elsewhere-link'));
  engine = await import('../src/engine/index.js');
});

function request(server: RunningServer, method: string, body: string | Buffer, opts: { chunked?: boolean } = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', [TOKEN_HEADER]: server.token };
    if (!opts.chunked) headers['content-length'] = Buffer.byteLength(body);
    const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: `/api/${method}`, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    if (opts.chunked) {
      // Streamed in pieces with no declared length: the limit is only found while reading.
      const buf = Buffer.from(body);
      for (let i = 0; i < buf.length; i += 64 * 1024) req.write(buf.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}
const api = async (server: RunningServer, method: string, args: unknown[]) => {
  const r = await request(server, method, JSON.stringify({ args }));
  return { status: r.status, envelope: JSON.parse(r.body) as { ok: boolean; value?: unknown; error?: { code: string; message: string } } };
};

describe('serve keeps to the folders it was given', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServe({ facade: engine, libraryPath: path.join(libDir, 'lab.gplib'), allowedRoots: [cases, libDir] });
  });
  afterAll(() => server.close());

  it('refuses to analyse or enrol a folder outside them, /etc or a link that leads there', async () => {
    for (const caseRoot of ['/etc', path.join(cases, 'etc-link'), path.join(cases, 'elsewhere-link'), elsewhere, path.join(cases, '..', 'elsewhere')]) {
      const r = await api(server, 'startAnalyse', [{ caseRoot }]);
      expect(r.status, caseRoot).toBe(403);
      expect(r.envelope.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('--allow') });
    }
    const enrol = await api(server, 'startEnrol', [{ name: 'x', folders: [cases, '/etc'] }]);
    expect(enrol.status).toBe(403);
    expect(enrol.envelope.error?.message).toMatch(/^the reference folder \/etc is outside the folders this server may use/);
  });

  it('exports a library only into them, and imports only from them', async () => {
    const outsideExport = path.join(elsewhere, 'stolen.gplib');
    expect((await api(server, 'exportLibrary', [outsideExport, []])).status).toBe(403);
    expect((await api(server, 'exportLibrary', [path.join(cases, 'elsewhere-link', 'via-link.gplib'), []])).status).toBe(403);
    expect((await api(server, 'exportLibrary', ['/tmp/genprint-serve-scope-new.gplib', []])).status).toBe(403);
    expect(existsSync(outsideExport)).toBe(false);
    expect(existsSync(path.join(elsewhere, 'via-link.gplib'))).toBe(false);
    expect(existsSync('/tmp/genprint-serve-scope-new.gplib')).toBe(false);
    expect((await api(server, 'importLibrary', ['/etc/passwd'])).status).toBe(403);

    // Inside: the real engine writes the export (of the library, created on first use).
    expect((await api(server, 'listLibrary', [])).status).toBe(200);
    const inside = path.join(cases, 'copy.gplib');
    const ok = await api(server, 'exportLibrary', [inside, []]);
    expect(ok.status, JSON.stringify(ok.envelope)).toBe(200);
    expect(existsSync(inside)).toBe(true);
  });

  it('answers a body over the limit with 413, declared or streamed, and keeps serving', async () => {
    const big = JSON.stringify({ args: ['x'.repeat(MAX_BODY + 10)] });
    const declared = await request(server, 'listLibrary', big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual({ ok: false, error: { code: 'bad-argument', message: `request body is larger than ${MAX_BODY} bytes` } });
    const streamed = await request(server, 'listLibrary', big, { chunked: true });
    expect(streamed.status).toBe(413);
    expect((await api(server, 'listLibrary', [])).status).toBe(200);
  });
});

describe('serve without --allow', () => {
  it("keeps to the library's own folder", async () => {
    const server = await startServe({ facade: engine, libraryPath: path.join(libDir, 'own.gplib') });
    try {
      expect(server.allowedRoots).toEqual([libDir]);
      expect((await api(server, 'listLibrary', [])).status).toBe(200);
      expect((await api(server, 'startAnalyse', [{ caseRoot: cases }])).status).toBe(403);
      expect((await api(server, 'exportLibrary', [path.join(cases, 'x.gplib'), []])).status).toBe(403);
      expect((await api(server, 'exportLibrary', [path.join(libDir, 'export.gplib'), []])).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('the CLI refuses an --allow folder that does not exist (exit 3)', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(__dirname, '..', 'bin', 'genprint.js'), 'serve', '-l', path.join(libDir, 'cli.gplib'), '--allow', path.join(tmp, 'nope')],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(EXIT.input);
    expect(r.stderr).toMatch(/no such folder: .*nope/);
  });
});
