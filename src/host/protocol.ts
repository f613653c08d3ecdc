// Messages between the Electron main process and the engine's utility process, and the two ends
// that speak them. Written against a minimal port interface so the same code runs over Electron's
// parentPort / UtilityProcess and over an in-memory pair in the unit tests.
import { ApiError, toErrorInfo, type ApiArgs, type ApiResult, type Envelope, type JobEvent } from '../shared/api.js';
import type { EngineHost } from './engine-host.js';
import { HOST_METHODS, type HostMethod } from './host-methods.js';

export type HostRequest = { type: 'call'; id: number; method: HostMethod; args: unknown[] };
export type HostMessage = { type: 'reply'; id: number; envelope: Envelope<unknown> } | { type: 'job'; event: JobEvent };

/** One end of a message channel. */
export interface PortLike<In, Out> {
  post(message: Out): void;
  onMessage(listener: (message: In) => void): void;
}

/** Something that answers host calls: the host itself, or a proxy to it in another process. */
export interface EngineClient {
  call<M extends HostMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>>;
  onJobEvent(listener: (event: JobEvent) => void): () => void;
}

/** Utility-process side: answers requests arriving on the port. Arguments were validated by the sender. */
export function serveHost(host: EngineHost, port: PortLike<HostRequest, HostMessage>): void {
  port.onMessage((msg) => {
    if (msg?.type !== 'call' || !HOST_METHODS.includes(msg.method)) return;
    host.call(msg.method, msg.args as never).then(
      (value) => port.post({ type: 'reply', id: msg.id, envelope: { ok: true, value } }),
      (err) => port.post({ type: 'reply', id: msg.id, envelope: { ok: false, error: toErrorInfo(err) } }),
    );
  });
}

/** Main-process side: a client whose calls travel over the port. */
export function portClient(port: PortLike<HostMessage, HostRequest>): EngineClient & { failAll(reason: string): void } {
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(e: JobEvent) => void>();
  port.onMessage((msg) => {
    if (msg?.type === 'reply') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.envelope.ok) p.resolve(msg.envelope.value);
      else p.reject(ApiError.from(msg.envelope.error));
    } else if (msg?.type === 'job') {
      for (const l of listeners) l(msg.event);
    }
  });
  return {
    call(method, args) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        port.post({ type: 'call', id, method, args: args as unknown[] });
      });
    },
    onJobEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    failAll(reason) {
      for (const p of pending.values()) p.reject(new ApiError('unavailable', reason));
      pending.clear();
    },
  };
}

/** A client calling a host in the same process (the serve bridge, tests). */
export function inProcessClient(host: EngineHost, events: { subscribe(l: (e: JobEvent) => void): () => void }): EngineClient {
  return {
    call: (method, args) => host.call(method, args),
    onJobEvent: (listener) => events.subscribe(listener),
  };
}

/** A tiny event hub for job events, handed to the host as its `emit`. */
export function jobEventHub() {
  const listeners = new Set<(e: JobEvent) => void>();
  return {
    emit: (e: JobEvent) => {
      for (const l of listeners) l(e);
    },
    subscribe: (l: (e: JobEvent) => void) => {
      listeners.add(l);
      return () => {
        listeners.delete(l);
      };
    },
  };
}
