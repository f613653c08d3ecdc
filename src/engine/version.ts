// Software identity for results and reports: package version and, where the source is a git
// checkout, the commit it was built from.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (the folder holding package.json), resolved from this file's location. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (pkg.name === 'genprint') return dir;
    } catch {
      /* keep walking up */
    }
    dir = path.dirname(dir);
  }
  return process.cwd();
}

let cachedVersion: string | undefined;
export function softwareVersion(): string {
  if (!cachedVersion) {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8'));
    cachedVersion = String(pkg.version);
  }
  return cachedVersion;
}

let cachedCommit: string | null | undefined;
export function gitCommit(): string | null {
  if (cachedCommit === undefined) {
    try {
      cachedCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      cachedCommit = null;
    }
  }
  return cachedCommit;
}
