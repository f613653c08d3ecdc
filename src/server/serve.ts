// `genprint serve`: the app's API over HTTP on 127.0.0.1, for running the renderer in an ordinary
// browser (and for end-to-end tests in Chromium, since Electron's binary is not available
// everywhere). Same dispatcher and engine host as the desktop app; the browser shim in
// src/renderer/src/http-api.ts implements `window.genprint` over these routes:
//   POST /api/<method>   body {"args": [...]}, header X-Genprint-Token → Envelope JSON
//   GET  /api/events     header X-Genprint-Token → Server-Sent Events, one JobEvent per message
//   GET  /*              the browser build of the renderer (out/web)
// Every request must come to 127.0.0.1/localhost on our port (DNS rebinding) and, when it carries an
// Origin, from our own origin (cross-site pages); API requests need the per-run token. The API
// reads and writes only inside the folders given with `--allow` (host/path-scope.ts).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ApiErrorCode, Envelope, JobEvent } from '../shared/api.js';
import { createDispatcher, NO_DIALOGS, type Dispatch } from '../host/dispatch.js';
import { EngineHost, type EngineFacade } from '../host/engine-host.js';
import { inProcessClient, jobEventHub } from '../host/protocol.js';
import { PathScope } from '../host/path-scope.js';

export const TOKEN_HEADER = 'x-genprint-token';
export const MAX_BODY = 1 << 20;
/**
 * A body above MAX_BODY is read to its end and dropped before the 413 goes out: closing the
 * connection while the client still writes would reset it, and the client would never see the
 * answer. Above this much, draining is not worth it and the connection is closed after the 413.
 */
const MAX_DRAIN = 64 << 20;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // React and recharts set style attributes; no remote styles either way.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const STATUS: Record<ApiErrorCode, number> = {
  'bad-argument': 400,
  forbidden: 403,
  'not-found': 404,
  busy: 409,
  engine: 500,
  unavailable: 503,
};

export interface BridgeOptions {
  dispatch: Dispatch;
  subscribe: (listener: (e: JobEvent) => void) => () => void;
  token: string;
  /** Folder with the browser build (index.html and assets); a hint page is served when absent. */
  webRoot?: string;
  /** The port actually bound, known once listening; Host and Origin are checked against it. */
  port: () => number;
}

function tokenMatches(given: string | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'content-security-policy': CONTENT_SECURITY_POLICY,
  });
  res.end(body);
}

/** The body as text, or 'too-large' (drained and dropped), or 'abandon' (too large even to drain). */
function readBody(req: http.IncomingMessage): Promise<string | 'too-large' | 'abandon'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > MAX_DRAIN) return resolve('abandon');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_DRAIN) {
        req.pause();
        resolve('abandon');
      } else if (size <= MAX_BODY) chunks.push(c);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > MAX_BODY ? 'too-large' : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function tooLarge(res: http.ServerResponse, close: boolean): void {
  const env: Envelope<never> = { ok: false, error: { code: 'bad-argument', message: `request body is larger than ${MAX_BODY} bytes` } };
  if (close) res.setHeader('connection', 'close');
  send(res, 413, JSON.stringify(env), 'application/json');
  if (close) res.on('finish', () => res.req.destroy());
}

/** The request handler, separate from the listening server so tests can drive it on any port. */
export function createBridge(opts: BridgeOptions): http.RequestListener {
  const webRoot = opts.webRoot ? path.resolve(opts.webRoot) : undefined;

  const allowedHosts = () => [`127.0.0.1:${opts.port()}`, `localhost:${opts.port()}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  async function serveStatic(urlPath: string, res: http.ServerResponse): Promise<void> {
    if (!webRoot || !existsSync(path.join(webRoot, 'index.html'))) {
      send(res, 404, 'The browser build is missing: run `npm run build:web` (vite build -c vite.web.config.ts).\n');
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath);
    } catch {
      send(res, 400, 'bad path\n');
      return;
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.resolve(webRoot, '.' + rel);
    if (!file.startsWith(webRoot + path.sep)) {
      send(res, 403, 'forbidden\n');
      return;
    }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      send(res, 200, await readFile(file), MIME[path.extname(file)] ?? 'application/octet-stream');
    } catch {
      send(res, 404, 'not found\n');
    }
  }

  function events(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(': connected\n\n');
    const unsubscribe = opts.subscribe((e) => res.write(`data: ${JSON.stringify(e)}\n\n`));
    // Comments keep idle connections from being closed by anything in between.
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const stop = () => {
      clearInterval(beat);
      unsubscribe();
    };
    req.on('close', stop);
    res.on('close', stop);
  }

  return (req, res) => {
    const host = req.headers.host ?? '';
    const origin = req.headers.origin;
    if (!allowedHosts().includes(host)) return send(res, 403, 'forbidden host\n');
    if (origin !== undefined && !allowedOrigins().includes(origin)) return send(res, 403, 'forbidden origin\n');
    const url = new URL(req.url ?? '/', `http://${host}`);

    if (!url.pathname.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
      void serveStatic(url.pathname, res);
      return;
    }
    const given = req.headers[TOKEN_HEADER];
    if (!tokenMatches(Array.isArray(given) ? given[0] : given, opts.token)) return send(res, 401, 'missing or wrong token\n');

    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return send(res, 405, 'method not allowed\n');
      return events(req, res);
    }
    if (req.method !== 'POST') return send(res, 405, 'method not allowed\n');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'expected application/json\n');
    const method = url.pathname.slice('/api/'.length);
    readBody(req)
      .then(async (body) => {
        if (body === 'too-large' || body === 'abandon') return tooLarge(res, body === 'abandon');
        let args: unknown;
        try {
          args = (JSON.parse(body || '{}') as { args?: unknown }).args ?? [];
        } catch {
          const env: Envelope<never> = { ok: false, error: { code: 'bad-argument', message: 'body is not JSON' } };
          return send(res, 400, JSON.stringify(env), 'application/json');
        }
        const env = await opts.dispatch(method, args);
        send(res, env.ok ? 200 : STATUS[env.error.code], JSON.stringify(env), 'application/json');
      })
      .catch(() => {
        if (!res.headersSent) send(res, 400, 'request could not be read\n');
      });
  };
}

export interface ServeOptions {
  facade: EngineFacade;
  libraryPath: string;
  /**
   * Folders the API may read cases and references from and export or import libraries in
   * (`genprint serve --allow`); default: the library's own folder. Anything else is 'forbidden'.
   */
  allowedRoots?: string[];
  modelsDir?: string;
  webRoot?: string;
  settingsFile?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  token?: string;
}

export interface RunningServer {
  url: string;
  /** The folders the API may use (real paths). */
  allowedRoots: string[];
  /** The URL to open in a browser: carries the token, which the page moves out of its address bar. */
  openUrl: string;
  port: number;
  token: string;
  host: EngineHost;
  close(): Promise<void>;
}

export async function startServe(opts: ServeOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const hub = jobEventHub();
  const scope = new PathScope(opts.allowedRoots?.length ? opts.allowedRoots : [path.dirname(path.resolve(opts.libraryPath))]);
  const host = new EngineHost({
    facade: opts.facade,
    libraryPath: opts.libraryPath,
    scope,
    modelsDir: opts.modelsDir,
    settingsFile: opts.settingsFile,
    host: 'serve',
    nativeDialogs: false,
    emit: hub.emit,
  });
  const dispatch = createDispatcher(inProcessClient(host, hub), NO_DIALOGS);
  let port = 0;
  const server = http.createServer(createBridge({ dispatch, subscribe: hub.subscribe, token, webRoot: opts.webRoot, port: () => port }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    allowedRoots: scope.roots,
    openUrl: `${url}?token=${encodeURIComponent(token)}`,
    port,
    token,
    host,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
