// A JPEG with corrupt entropy data decodes (libjpeg conceals the damage) but must not be analysed
// silently: ingest records "decoded with warnings" for the file in the manifest, the verdicts that
// include it say how many images did, and the statement carries a caution.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageBuffer, ingestFolder } from '../src/engine/ingest/index.js';
import { judge, type ImageEvidence } from '../src/engine/attribution/judge.js';
import { assessVerdict, statementFor, verdictWording } from '../src/shared/wording.js';
import type { EvidenceFile } from '../src/engine/types.js';
import { handMadeLibrary } from './helpers/hand-made-library.js';

let clean: Buffer;
let damaged: Buffer;

/** A textured 128×128 JPEG, and the same file with a restart marker planted in its entropy-coded data. */
async function jpegs(): Promise<{ clean: Buffer; damaged: Buffer }> {
  const W = 128;
  const px = Buffer.alloc(W * W * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + (i >> 7) * 11 + ((i * i) % 13)) & 0xff;
  const jpg = await sharp(px, { raw: { width: W, height: W, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  const sos = jpg.indexOf(Buffer.from([0xff, 0xda]));
  const scan = sos + 2 + jpg.readUInt16BE(sos + 2);
  const bad = Buffer.from(jpg);
  const at = scan + Math.floor((bad.length - 2 - scan) / 3);
  bad[at] = 0xff;
  bad[at + 1] = 0xd0; // RST0 where none belongs: the decoder resyncs and fills in the rest
  return { clean: jpg, damaged: bad };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'genprint-decode-warn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  ({ clean, damaged } = await jpegs());
});

describe('decoding with warnings', () => {
  it('decodes corrupt entropy data, and says so; a clean file carries no warning', async () => {
    const bad = await decodeImageBuffer(damaged);
    expect('info' in bad && bad.info.decodeWarning).toMatch(/Corrupt JPEG data/);
    expect('crops' in bad && bad.crops).toHaveLength(1);
    const good = await decodeImageBuffer(clean);
    expect('info' in good && good.info).not.toHaveProperty('decodeWarning');
  });

  it('records "decoded with warnings" per file in the manifest', async () => {
    writeFileSync(path.join(dir, 'clean.jpg'), clean);
    writeFileSync(path.join(dir, 'damaged.jpg'), damaged);
    const files: EvidenceFile[] = [];
    for await (const e of ingestFolder(dir)) if (e.kind === 'image') files.push(e.image.file);
    // The flag is per file; the words are best effort: libvips keeps one error buffer per process,
    // and with two files decoding at once the damaged file's text can be cleared by the other
    // decode (then the manifest says "the decoder reported a warning"). The test above checks
    // the words with one decode in flight.
    expect(files.map((f) => [f.relPath, f.decodeWarning ?? null])).toEqual([
      ['clean.jpg', null],
      ['damaged.jpg', expect.stringMatching(/Corrupt JPEG data|the decoder reported a warning/)],
    ]);
  });

  it('puts the count on the verdict and a caution in its statement', async () => {
    const lib = handMadeLibrary();
    const images: ImageEvidence[] = Array.from({ length: 10 }, (_, i) => ({
      relPath: `${i}.jpg`,
      sha256: String(i),
      corr: Float64Array.from([0.1, 0.02]),
      logProba: null,
      novelty: null,
      features: null,
      ...(i < 2 ? { decodedWithWarnings: true } : {}),
    }));
    const v = await judge(lib, images, 'residual', null);
    expect(v.label).toBe('alpha');
    expect(v.decodedWithWarnings).toBe(2);
    expect(v.statement).toMatch(/Caution: 2 of the 10 images decoded only with warnings/);
    const cleanVerdict = await judge(
      lib,
      images.map(({ decodedWithWarnings: _, ...rest }) => rest),
      'residual',
      null,
    );
    expect(cleanVerdict).not.toHaveProperty('decodedWithWarnings');
    expect(cleanVerdict.statement).not.toMatch(/warnings/);
    // An "unknown" verdict notes it too.
    expect(statementFor({ ...v, unknown: true, label: null }, 'alpha')).toMatch(/Note: 2 of the 10 images decoded only with warnings/);
    // The strength line names it too, and it keeps an otherwise strong verdict at moderate (an
    // unknown verdict's strength is left alone: there it is a note about the images).
    expect(verdictWording(v).caveats).toContain('2 of the 10 images decoded only with warnings (damaged data the decoder concealed; see the manifest)');
    const clean = { ...v, decodedWithWarnings: undefined, margin: 0.5, evidenceCount: 40, agreement: { ...v.agreement, agree: true } };
    expect(assessVerdict(clean).strength).toBe('strong');
    expect(assessVerdict({ ...clean, decodedWithWarnings: 2 }).strength).toBe('moderate');
    expect(assessVerdict({ ...clean, decodedWithWarnings: 2, unknown: true, label: null }).strength).toBe('strong');
  });
});
