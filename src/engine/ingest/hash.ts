// SHA-256 helpers. Ingest hashes the very buffer it decodes (see index.ts); hashFile streams so that
// evidence can be re-verified later without holding a large file in memory.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { PathLike } from 'node:fs';

export function sha256Hex(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

export async function hashFile(file: PathLike): Promise<string> {
  const hash = createHash('sha256');
  // flags 'r': evidence is only ever opened read-only.
  for await (const chunk of createReadStream(file, { flags: 'r' })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
