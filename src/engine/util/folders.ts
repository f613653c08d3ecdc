// A folder named by the caller is checked before any slow work (opening models, fitting the library
// classifier), so a typo costs nothing and says what is wrong.
import { stat } from 'node:fs/promises';
import { EngineError } from '../errors.js';

export async function requireFolder(folder: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(folder)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new EngineError('not-found', `no such folder: ${folder}`, { cause: err });
    throw err;
  }
  if (!isFolder) throw new EngineError('not-a-folder', `not a folder: ${folder}`);
}
