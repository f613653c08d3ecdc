// bin/genprint.js picks the bundled CLI only while it is newer than every source file, and the
// bundle that scripts/build-cli.mjs writes is the same CLI as the sources.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.join(__dirname, '..');

/** A stand-in checkout: the real launcher and node_modules, a one-file "source" CLI and a "bundle". */
function fakeCheckout(): { root: string; src: string; bundle: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'genprint-launcher-'));
  mkdirSync(path.join(root, 'bin'));
  copyFileSync(path.join(repo, 'bin', 'genprint.js'), path.join(root, 'bin', 'genprint.js'));
  symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'launcher-test', type: 'module' }));
  mkdirSync(path.join(root, 'src', 'cli'), { recursive: true });
  mkdirSync(path.join(root, 'out', 'cli'), { recursive: true });
  const src = path.join(root, 'src', 'cli', 'index.ts');
  const bundle = path.join(root, 'out', 'cli', 'genprint.mjs');
  writeFileSync(src, "export async function main(): Promise<number> { console.log('sources'); return 0; }\n");
  writeFileSync(bundle, "export async function main() { console.log('bundle'); return 0; }\n");
  return { root, src, bundle };
}

function launch(root: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [path.join(root, 'bin', 'genprint.js')], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('CLI launcher', () => {
  it('runs the bundle when it is newer than the sources, the sources otherwise', () => {
    const { root, src, bundle } = fakeCheckout();
    const now = Date.now() / 1000;
    utimesSync(src, now - 100, now - 100);
    utimesSync(bundle, now, now);
    expect(launch(root).stdout.trim()).toBe('bundle');
    // An edited source file makes the bundle stale: the launcher must not run old code.
    utimesSync(src, now + 5, now + 5);
    expect(launch(root).stdout.trim()).toBe('sources');
    utimesSync(src, now - 100, now - 100);
    expect(launch(root, { GENPRINT_FROM_SOURCE: '1' }).stdout.trim()).toBe('sources');
  });

  it('the bundled CLI answers like the sources', () => {
    // Built into a temporary folder that sees the repository's node_modules (packages stay external).
    const tmp = mkdtempSync(path.join(tmpdir(), 'genprint-bundle-'));
    symlinkSync(path.join(repo, 'node_modules'), path.join(tmp, 'node_modules'));
    const out = path.join(tmp, 'out');
    const r = spawnSync(process.execPath, [path.join(repo, 'scripts', 'build-cli.mjs')], { encoding: 'utf8', env: { ...process.env, GENPRINT_CLI_OUT: out } });
    expect(r.status).toBe(0);
    const fromBundle = spawnSync(
      process.execPath,
      ['-e', `import(${JSON.stringify(path.join(out, 'genprint.mjs'))}).then(async (m) => { process.exitCode = await m.main(['--help']); })`],
      {
        encoding: 'utf8',
        cwd: repo,
      },
    );
    const fromSources = spawnSync(process.execPath, [path.join(repo, 'bin', 'genprint.js'), '--help'], {
      encoding: 'utf8',
      env: { ...process.env, GENPRINT_FROM_SOURCE: '1' },
    });
    expect(fromBundle.status).toBe(0);
    expect(fromBundle.stdout).toMatch(/^Usage: genprint /);
    expect(fromBundle.stdout).toBe(fromSources.stdout);
  });
});
