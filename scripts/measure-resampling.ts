// Measures the processing-history detectors (src/engine/ingest/resampling.ts, jpeg-history.ts) on
// the public corpus: false positives on the clean images, detection rates on copies resized,
// cropped or JPEG-compressed and re-saved losslessly here with sharp, and the threshold that keeps
// false positives at or under 1 %. The table goes into docs/robustness-detection.md.
//
//   node --import tsx scripts/measure-resampling.ts [--corpus ../shared/corpus] [--per-generator 40] [--tsv out.tsv]
//
// Negatives: every corpus image of at least 64 px a side whose source was not a JPEG (MANIFEST.tsv
// format `png`), at most --per-generator per generator (seeded choice). JPEG-history negatives are
// the same images; the corpus' `png(from jpeg)` images are reported as natural positives.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { detectResampling, RESAMPLING_THRESHOLD } from '../src/engine/ingest/resampling.js';
import { EARLIER_JPEG_THRESHOLD, earlierJpegDetail, earlierJpegScore } from '../src/engine/ingest/jpeg-history.js';
import { mulberry32 } from '../src/engine/demo/prng.js';

interface Args {
  corpus: string;
  perGenerator: number;
  tsv: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { corpus: path.resolve('../shared/corpus'), perGenerator: 40, tsv: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--corpus') a.corpus = path.resolve(argv[++i]);
    else if (argv[i] === '--per-generator') a.perGenerator = Number(argv[++i]);
    else if (argv[i] === '--tsv') a.tsv = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return a;
}

interface Raw {
  rgb: Uint8Array;
  width: number;
  height: number;
}

async function raw(input: Sharp): Promise<Raw> {
  const { data, info } = await input.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { rgb: data, width: info.width, height: info.height };
}

/** The processed copies of one original: name → pixels as a lossless file would hold them. */
async function variants(file: string, width: number, height: number, rand: () => number): Promise<[string, Raw][]> {
  const out: [string, Raw][] = [];
  const src = await fs.readFile(file);
  for (const f of [0.5, 0.75, 1.5]) {
    const w = Math.round(width * f);
    const h = Math.round(height * f);
    // sharp's default kernel (lanczos3) and its default PNG round trip: what a user's resize does.
    const png = await sharp(src).resize(w, h).png().toBuffer();
    out.push([`resize-${f}`, await raw(sharp(png))]);
  }
  const d = 1 + Math.floor(rand() * 7);
  const crop = await sharp(src)
    .extract({ left: d, top: d, width: width - d, height: height - d })
    .png()
    .toBuffer();
  out.push([`crop-${d}`, await raw(sharp(crop))]);
  for (const q of [75, 90]) {
    const jpg = await sharp(src).jpeg({ quality: q }).toBuffer();
    out.push([`jpeg-q${q}-as-png`, await raw(sharp(jpg))]);
  }
  const jpg = await sharp(src).jpeg({ quality: 75 }).toBuffer();
  const cropped = await sharp(jpg)
    .extract({ left: d, top: d, width: width - d, height: height - d })
    .png()
    .toBuffer();
  out.push([`jpeg-q75-crop-${d}-as-png`, await raw(sharp(cropped))]);
  return out;
}

interface Row {
  generator: string;
  file: string;
  variant: string;
  width: number;
  resampling: number | null;
  period: number | null;
  factor: number | null;
  factors: string;
  jpeg: number | null;
  quality: number | null;
  offset: string;
  blockiness: number | null;
}

function measure(generator: string, file: string, variant: string, r: Raw): Row {
  const res = detectResampling(r.rgb, r.width, r.height);
  const jd = earlierJpegDetail(r.rgb, r.width, r.height);
  return {
    generator,
    file,
    variant,
    width: Math.min(r.width, r.height),
    resampling: res.score,
    period: res.period,
    factor: res.factor,
    factors: res.factors.join('/'),
    jpeg: jd ? earlierJpegScore(jd) : null,
    quality: jd?.quality ?? null,
    offset: jd ? `${jd.offset.x},${jd.offset.y}` : '',
    blockiness: jd ? Math.sqrt(Math.max(0, jd.blockinessX) * Math.max(0, jd.blockinessY)) : null,
  };
}

/** Smallest threshold (on a score where higher = detected) with at most `rate` of the negatives at or above it. */
function thresholdFor(neg: number[], rate: number): number {
  const s = [...neg].sort((a, b) => b - a);
  const allowed = Math.floor(rate * s.length);
  // Threshold just above the (allowed+1)-th largest negative.
  return s.length > allowed ? s[allowed] * 1.0001 + 1e-9 : 0;
}

const pct = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(1)} % (${k}/${n})` : 'n/a');

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const manifest = (await fs.readFile(path.join(args.corpus, 'MANIFEST.tsv'), 'utf8')).trim().split('\n').slice(1);
  const rows: Row[] = [];
  const rand = mulberry32(20261206);
  for (const line of manifest) {
    const [domain, generator, , , , , , format, , , size] = line.split('\t');
    const [w, h] = size.split(' ')[0].split('x').map(Number);
    if (!(w >= 64 && h >= 64)) continue;
    const dir = path.join(args.corpus, domain, generator);
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.png')).sort();
    // Seeded choice of at most perGenerator files.
    const chosen = files
      .map((f) => ({ f, k: rand() }))
      .sort((a, b) => a.k - b.k)
      .slice(0, args.perGenerator)
      .map((x) => x.f)
      .sort();
    const fromJpeg = format.startsWith('png(from jpeg');
    for (const f of chosen) {
      const file = path.join(dir, f);
      const meta = await sharp(file).metadata();
      const orig = await raw(sharp(file));
      rows.push(measure(`${domain}/${generator}`, f, fromJpeg ? 'corpus-from-jpeg' : 'clean', orig));
      if (fromJpeg) continue;
      for (const [name, r] of await variants(file, meta.width!, meta.height!, rand)) rows.push(measure(`${domain}/${generator}`, f, name, r));
    }
    process.stderr.write(`${domain}/${generator}: ${chosen.length}\n`);
  }
  if (args.tsv) {
    const keys = Object.keys(rows[0]) as (keyof Row)[];
    await fs.writeFile(args.tsv, [keys.join('\t'), ...rows.map((r) => keys.map((k) => String(r[k] ?? '')).join('\t'))].join('\n') + '\n');
  }
  report(rows);
}

function report(rows: Row[]) {
  const clean = rows.filter((r) => r.variant === 'clean');
  const kinds = [...new Set(rows.map((r) => r.variant.replace(/-\d+(-as-png)?$/, (m) => (m.endsWith('-as-png') ? '-d-as-png' : '-d'))))];
  const kindOf = (r: Row) => r.variant.replace(/-\d+(-as-png)?$/, (m) => (m.endsWith('-as-png') ? '-d-as-png' : '-d'));
  for (const [name, key, engineThreshold] of [
    ['resampling', 'resampling', RESAMPLING_THRESHOLD],
    ['earlier JPEG', 'jpeg', EARLIER_JPEG_THRESHOLD],
  ] as const) {
    const neg = clean.map((r) => r[key]).filter((v): v is number => v !== null);
    const t = thresholdFor(neg, 0.01);
    console.log(`\n${name}: threshold for ≤ 1 % false positives on ${neg.length} clean images: ${t.toFixed(3)}; the engine's: ${engineThreshold}`);
    const small = clean.filter((r) => r[key] !== null && r.width < 128);
    const large = clean.filter((r) => r[key] !== null && r.width >= 128);
    for (const [label, set] of [
      ['under 128 px', small],
      ['128 px and over', large],
    ] as const)
      console.log(`clean ${label}: ${pct(set.filter((r) => (r[key] as number) >= engineThreshold).length, set.length)} flagged at the engine's threshold`);
    for (const thr of [t, engineThreshold]) {
      console.log(`| variant | measured | detected at ${thr.toFixed(2)} |`);
      console.log('| --- | --- | --- |');
      for (const k of kinds) {
        const rs = rows.filter((r) => kindOf(r) === k);
        const m = rs.filter((r) => r[key] !== null);
        const d = m.filter((r) => (r[key] as number) >= thr);
        console.log(`| ${k} | ${m.length}/${rs.length} | ${pct(d.length, m.length)} |`);
      }
    }
  }
  // Factor estimates of the detected resized copies.
  for (const f of ['0.5', '0.75', '1.5']) {
    const rs = rows.filter((r) => r.variant === `resize-${f}` && r.factor !== null);
    const right = rs.filter((r) => Math.abs((r.factor as number) - Number(f)) < 0.02).length;
    const among = rs.filter((r) => r.factors.split('/').some((x) => Math.abs(Number(x) - Number(f)) < 0.02)).length;
    console.log(`resize ${f}: factor estimated right ${pct(right, rs.length)}, among the candidates ${pct(among, rs.length)} (of those with a detected peak)`);
  }
  const jq = rows.filter((r) => /^jpeg-q\d+-as-png$/.test(r.variant) && r.quality !== null);
  for (const q of [75, 90]) {
    const rs = jq.filter((r) => r.variant === `jpeg-q${q}-as-png`);
    console.log(
      `jpeg q${q}: quality estimated exactly ${pct(rs.filter((r) => r.quality === q).length, rs.length)}, within 5 ${pct(rs.filter((r) => Math.abs((r.quality as number) - q) <= 5).length, rs.length)}`,
    );
  }
  const jc = rows.filter((r) => /^jpeg-q75-crop-\d+-as-png$/.test(r.variant) && r.jpeg !== null && r.jpeg >= EARLIER_JPEG_THRESHOLD);
  const offRight = jc.filter((r) => {
    const d = Number(/crop-(\d+)/.exec(r.variant)![1]);
    const want = (8 - d) % 8;
    return r.offset === `${want},${want}`;
  }).length;
  console.log(`jpeg q75 then cropped: grid offset right ${pct(offRight, jc.length)} (of those detected)`);
}

await main();
