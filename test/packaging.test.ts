// The packaging config as electron-builder itself reads and validates it (its own loader and JSON
// schema; packaging cannot run here, it downloads Electron). The Electron fuses must be set so the
// installed app cannot be made to run other code: no ELECTRON_RUN_AS_NODE, no NODE_OPTIONS or
// --inspect, and the app loaded only from an integrity-checked app.asar.
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '..');
// app-builder-lib is electron-builder's own library; resolved through electron-builder so the
// version is the one `npm run dist` uses.
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const { getConfig, validateConfiguration } = fromBuilder('app-builder-lib/out/util/config/config.js') as {
  getConfig(dir: string, file: string | null, options: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, logger: unknown): Promise<void>;
};
const { DebugLogger } = fromBuilder('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

describe('electron-builder configuration', () => {
  it('parses and passes electron-builder’s own schema', async () => {
    const config = await getConfig(repoRoot, null, null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    // The check can fail: a misspelt fuse is refused.
    await expect(validateConfiguration({ ...config, electronFuses: { runAsnode: false } }, new DebugLogger(false))).rejects.toThrow(/configuration/i);
  });

  it('sets the fuses: no run-as-node, no NODE_OPTIONS or --inspect, ASAR integrity, app only from the ASAR', async () => {
    const config = await getConfig(repoRoot, null, null);
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // ASAR integrity needs the app packed into an archive, with its integrity hash embedded.
    expect(config.asar).not.toBe(false);
    expect((config.asar as { disableIntegrity?: boolean } | undefined)?.disableIntegrity).not.toBe(true);
  });
});
