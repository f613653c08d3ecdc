// The folders a host may read evidence from and write library files to. `genprint serve` answers
// any page that holds its token, so it keeps to the folders the user named on its command line
// (`--allow`, default the library's folder): without that, the API would hash any folder of the
// machine (/etc included) into a case and write a library file to any new path. The Electron app
// has no scope: its paths come from the user's own native dialogs.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../shared/api.js';

/**
 * A path with every symbolic link in its existing part resolved: a link inside an allowed folder
 * that points elsewhere leads elsewhere. A part that does not exist yet (a new export) is kept as written.
 */
export function resolveReal(p: string): string {
  let existing = path.resolve(p);
  const missing: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...missing);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(p);
      missing.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

export class PathScope {
  /** Allowed folders, as real paths. */
  readonly roots: string[];

  constructor(roots: string[]) {
    if (roots.length === 0) throw new Error('a path scope needs at least one folder');
    this.roots = [...new Set(roots.map(resolveReal))];
  }

  contains(p: string): boolean {
    const real = resolveReal(p);
    return this.roots.some((root) => real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
  }

  /** Throws ApiError 'forbidden' unless `p` lies in one of the allowed folders. */
  check(p: string, what: string): void {
    if (this.contains(p)) return;
    throw new ApiError(
      'forbidden',
      `${what} ${p} is outside the folders this server may use (${this.roots.join(', ')}); restart \`genprint serve\` with --allow FOLDER to add one`,
    );
  }
}
