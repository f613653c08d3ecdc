// The real engine behind the EngineFacade the host is written against. Electron's utility process
// and `genprint serve` take it from here, so neither reaches into the engine itself; unit tests
// inject a stand-in facade instead (test/ipc.test.ts).
import * as engine from '../engine/index.js';
import type { EngineFacade } from './engine-host.js';

export const realEngine: EngineFacade = engine;
