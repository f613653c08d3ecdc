// What the library tests read back from library files on disk: the file's own SHA-256 (a report
// quotes it, so a read must never change it) and the entries as a fresh read-only open sees them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FingerprintLibrary } from '../../src/engine/library/index.js';
import type { LibraryEntry } from '../../src/engine/types.js';

/** A small synthetic library (writeSyntheticLibrary): fits in seconds, above the classifier's minimums. */
export const SMALL_SYNTHETIC = { entries: 5, references: 16, side: 16 };

export const fileSha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

export async function readEntries(file: string): Promise<LibraryEntry[]> {
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  try {
    return lib.getAllEntries();
  } finally {
    lib.close();
  }
}
