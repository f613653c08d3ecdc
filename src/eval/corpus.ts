// Evaluation domains: the corpus's (MANIFEST.tsv) and the project's own demo zoo, as pools of
// image files per generator, with families and the encoder's training split from the model card.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildDemo } from '../engine/demo/index.js';
import { repoRoot } from '../engine/version.js';

export interface GeneratorPool {
  /** Name as enrolled: the generator folder name (unique within a domain). */
  name: string;
  family: string;
  sourceRepo: string;
  /** Absolute paths, all below the domain root. */
  files: string[];
  /** True when the encoder was trained on this generator (model card `data.trainGenerators`). */
  trained: boolean;
}

export interface Domain {
  name: string;
  root: string;
  source: 'corpus' | 'demo';
  generators: GeneratorPool[];
  imageSize: string;
}

export interface ManifestRow {
  domain: string;
  generator: string;
  family: string;
  source_repo: string;
  format: string;
  count: number;
  image_size: string;
}

export function defaultCorpusDir(): string {
  return path.resolve(repoRoot(), '../shared/corpus');
}

export function parseManifest(text: string): ManifestRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (lines.length === 0) return [];
  const header = lines[0].split('\t');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    const rec: Record<string, string> = {};
    header.forEach((h, i) => (rec[h] = cells[i] ?? ''));
    return {
      domain: rec.domain,
      generator: rec.generator,
      family: rec.family || 'unknown',
      source_repo: rec.source_repo ?? '',
      format: rec.format ?? '',
      count: Number(rec.count) || 0,
      image_size: rec.image_size ?? '',
    };
  });
}

const IMAGE = /\.(png|jpe?g|webp|tiff?|gif|bmp)$/i;

function listImages(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => IMAGE.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export interface TrainingSplit {
  train: Set<string>;
  heldOut: Set<string>;
}

/** `<domain>/<generator>` sets from a model card (empty when the card has no data split). */
export function trainingSplit(card: unknown): TrainingSplit {
  const data = (card as { data?: { trainGenerators?: string[]; heldOutGenerators?: string[] } } | null)?.data;
  return { train: new Set(data?.trainGenerators ?? []), heldOut: new Set(data?.heldOutGenerators ?? []) };
}

/** Corpus domains with their generator pools; null when the corpus is absent. */
export function corpusDomains(corpusDir: string, split: TrainingSplit): Domain[] | null {
  const manifest = path.join(corpusDir, 'MANIFEST.tsv');
  if (!existsSync(manifest)) return null;
  const rows = parseManifest(readFileSync(manifest, 'utf8'));
  const byDomain = new Map<string, ManifestRow[]>();
  for (const r of rows) byDomain.set(r.domain, [...(byDomain.get(r.domain) ?? []), r]);
  return [...byDomain.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, rs]) => ({
      name,
      root: path.join(corpusDir, name),
      source: 'corpus' as const,
      imageSize: [...new Set(rs.map((r) => r.image_size))].join(', '),
      generators: rs
        .map((r) => ({
          name: r.generator,
          family: r.family,
          sourceRepo: r.source_repo,
          files: listImages(path.join(corpusDir, name, r.generator)),
          trained: split.train.has(`${name}/${r.generator}`),
        }))
        .filter((g) => g.files.length > 0),
    }));
}

/**
 * The demo zoo as one domain: each generator's reference images plus every case image it made
 * (single, mixed and foreign case folders), so the foreign generator is a generator like the others.
 */
export async function demoDomain(dir: string, opts: { quick?: boolean } = {}): Promise<Domain> {
  const manifest = await buildDemo(dir, opts.quick ? { referencePerGenerator: 24, casePerFolder: 12 } : {});
  const pools = new Map<string, string[]>();
  for (const ref of manifest.reference)
    pools.set(
      ref.generator,
      ref.files.map((f) => path.join(dir, ref.folder, f)),
    );
  for (const c of manifest.cases)
    for (const [file, gen] of Object.entries(c.perFile)) pools.set(gen, [...(pools.get(gen) ?? []), path.join(dir, c.folder, file)]);
  const families = new Map(manifest.generators.map((g) => [g.name, g.family]));
  return {
    name: 'demo-zoo',
    root: dir,
    source: 'demo',
    imageSize: `${manifest.size}x${manifest.size}`,
    generators: [...pools.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, files]) => ({ name, family: families.get(name) ?? 'unknown', sourceRepo: 'genprint demo', files, trained: false })),
  };
}

/** Generators that count for the headline tables: corpus ones held out of training; all demo ones. */
export function heldOutGenerators(d: Domain, split: TrainingSplit): GeneratorPool[] {
  if (d.source === 'demo') return d.generators;
  return d.generators.filter((g) => split.heldOut.has(`${d.name}/${g.name}`));
}

/**
 * The generators a `--robustness-only` run measures on a domain. The held-out scope when it has at
 * least two generators (the headline protocol). Otherwise, the domain's other generators would never
 * be measured at all, because that run has no "all generators" scope: t2i has one held-out generator,
 * and t2i-modern none (its generators joined the corpus after φ was trained, so the model card lists
 * them neither as trained nor as held out). There the rows run on every generator of the domain,
 * labelled as the "all" scope, and `trained` says which of them φ saw. Null when fewer than two
 * generators leave nothing to attribute between.
 */
export function robustnessScope(d: Domain, split: TrainingSplit): { scope: 'held-out' | 'all'; gens: GeneratorPool[] } | null {
  if (d.generators.length < 2) return null;
  const held = heldOutGenerators(d, split);
  return held.length >= 2 ? { scope: 'held-out', gens: held } : { scope: 'all', gens: d.generators };
}

/**
 * Held-out generators that share a source repository (same codebase, often the same training
 * data or a sibling checkpoint) with a training generator anywhere in the corpus.
 */
export function familyOverlaps(domains: Domain[], split: TrainingSplit): { heldOut: string; trainedSiblings: string[]; repo: string }[] {
  const all = domains.flatMap((d) => d.generators.map((g) => ({ id: `${d.name}/${g.name}`, g })));
  const out: { heldOut: string; trainedSiblings: string[]; repo: string }[] = [];
  for (const { id, g } of all) {
    if (!split.heldOut.has(id)) continue;
    const sibs = all.filter((o) => o.g.sourceRepo === g.sourceRepo && split.train.has(o.id)).map((o) => o.id);
    if (sibs.length) out.push({ heldOut: id, trainedSiblings: sibs, repo: g.sourceRepo });
  }
  return out;
}
