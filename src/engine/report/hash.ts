// Streaming SHA-256 and the sha256sum sidecar format ("<hex>  <name>\n").
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** SHA-256 of a file, read as a stream (never loaded whole, never opened for writing). */
export function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = createReadStream(file, { flags: 'r', highWaterMark: 1 << 20, signal });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

export function sha256sumLine(hex: string, file: string): string {
  return `${hex}  ${path.basename(file)}\n`;
}

/** The hash recorded for `file` in its sidecar `file.sha256`, or null when there is no sidecar. */
export async function readSidecar(file: string): Promise<{ path: string; sha256: string | null } | null> {
  const sidecar = `${file}.sha256`;
  let text: string;
  try {
    text = await readFile(sidecar, 'utf8');
  } catch {
    return null;
  }
  const name = path.basename(file);
  for (const line of text.split(/\r?\n/)) {
    const m = /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (m && (m[2] === name || m[2]!.endsWith(`/${name}`))) return { path: sidecar, sha256: m[1]!.toLowerCase() };
  }
  const bare = /^([0-9a-fA-F]{64})\s*$/m.exec(text);
  return { path: sidecar, sha256: bare ? bare[1]!.toLowerCase() : null };
}
