// `window.genprint` for the browser build, over the `genprint serve` HTTP bridge (see
// src/server/serve.ts). The token arrives once in the address (?token=…); it is moved to
// sessionStorage and removed from the address bar so it does not linger in history or screenshots.
import { API_METHODS, ApiError, unwrap, type ApiMethods, type Envelope, type GenprintApi, type JobEvent } from '../../shared/api.js';

const TOKEN_KEY = 'genprint.token';
const TOKEN_HEADER = 'x-genprint-token';

function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function createHttpApi(): GenprintApi {
  const token = takeToken();
  const listeners = new Set<(e: JobEvent) => void>();
  let streaming = false;

  async function call(method: string, args: unknown[]): Promise<unknown> {
    const res = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
      body: JSON.stringify({ args }),
    });
    if (res.status === 401) throw new ApiError('forbidden', 'This page has no valid access token: open the address printed by `genprint serve`.');
    if (!(res.headers.get('content-type') ?? '').includes('application/json')) throw new ApiError('unavailable', `${res.status} ${await res.text()}`);
    return unwrap((await res.json()) as Envelope<unknown>);
  }

  // Server-Sent Events read through fetch, because EventSource cannot send the token header.
  async function stream(): Promise<void> {
    for (let delay = 500; ; delay = Math.min(delay * 2, 8000)) {
      try {
        const res = await fetch('/api/events', { headers: { [TOKEN_HEADER]: token }, cache: 'no-store' });
        if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            if (data) {
              const event = JSON.parse(data) as JobEvent;
              for (const l of listeners) l(event);
            }
          }
        }
      } catch {
        /* reconnect below */
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  const methods = Object.fromEntries(API_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as ApiMethods;
  return {
    ...methods,
    platform: 'browser',
    onJobEvent(listener) {
      listeners.add(listener);
      if (!streaming) {
        streaming = true;
        void stream();
      }
      return () => listeners.delete(listener);
    },
    pathForFile: () => null,
  };
}
