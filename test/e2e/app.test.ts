// End-to-end: the browser build of the renderer in Debian's Chromium, talking to `genprint serve`
// (the real CLI, the real engine, a real library file) over 127.0.0.1. Opens the demo case, checks
// the verdict, heatmaps and dendrogram, enrols an entry, cancels a job, proves that the page made
// no request off the loopback interface, and saves the README screenshots to docs/img/.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { PROCESSING_IDS } from '../../src/shared/processing-grid.js';

const CHROMIUM = '/usr/bin/chromium';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IMG = path.join(repo, 'docs/img');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`e2e skipped: ${CHROMIUM} is missing (install Debian's chromium package)`);

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The report-signing key of this run's `serve` and CLI calls (never the examiner's own). */
let keyDir = '';

function genprint(args: string[]): string {
  return execFileSync(process.execPath, [path.join(repo, 'bin/genprint.js'), ...args], {
    cwd: repo,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GENPRINT_CONFIG_DIR: keyDir },
  });
}

describe.skipIf(!haveChromium)('workstation in Chromium via genprint serve', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'genprint-e2e-'));
  const demo = path.join(tmp, 'demo');
  const library = path.join(tmp, 'library.sqlite');
  keyDir = path.join(tmp, 'keys');
  let server: ChildProcess;
  let origin = '';
  let openUrl = '';
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  let refs: string[] = [];
  let families: Record<string, string> = {};
  let singleCase = { folder: '', expected: '' };
  let mixedCase = { folder: '', labels: [] as string[] };
  let foreignFolder = '';

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(repo, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'vite.web.config.ts', '--logLevel', 'warn'], {
      cwd: repo,
      stdio: 'inherit',
    });
    const { buildDemo } = await import('../../src/engine/demo/index.js');
    const manifest = await buildDemo(demo);
    refs = manifest.reference.map((r) => path.join(demo, r.folder));
    families = Object.fromEntries(manifest.reference.map((r) => [path.join(demo, r.folder), r.family]));
    const single = manifest.cases.find((c) => c.kind === 'single')!;
    singleCase = { folder: path.join(demo, single.folder), expected: single.expected! };
    const mixed = manifest.cases.find((c) => c.kind === 'mixed')!;
    mixedCase = { folder: path.join(demo, mixed.folder), labels: [...mixed.labels].sort() };
    foreignFolder = path.join(demo, manifest.cases.find((c) => c.kind === 'foreign')!.folder);
    // All but the last reference generator go in through the CLI; the UI enrols the last one.
    genprint(['library', 'init', library]);
    // One fit after the last enrolment instead of one per enrolment (each fits the clean and every bank
    // classifier), and one bank, JPEG q75 (the re-saved case below): the UI enrols its entry with the
    // same bank, chosen in Settings, so every entry has it and the UI's enrolment computes only it.
    for (const r of refs.slice(0, -1))
      genprint(['enrol', '-q', '--no-fit', '--banks', 'jpeg-q75', '-l', library, '-n', path.basename(r), '-f', families[r]!, r]);
    genprint(['library', 'fit', library]);

    // --allow: the page may open cases and reference folders of the demo only (docs/cli.md, "serve").
    server = spawn(process.execPath, [path.join(repo, 'bin/genprint.js'), 'serve', '-l', library, '--allow', demo, '--web', path.join(repo, 'out/web')], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, GENPRINT_CONFIG_DIR: keyDir },
    });
    openUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve printed no address: ${out}`)), 60_000);
      server.stdout!.on('data', (c) => {
        out += c;
        const m = /Genprint serving on (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
    origin = new URL(openUrl).origin;

    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      args: LAUNCH_ARGS,
      viewport: { width: 1280, height: 800 },
      colorScheme: 'light',
    });
    context.on('request', (r) => requests.push(r.url()));
    page = context.pages()[0] ?? (await context.newPage());
    mkdirSync(IMG, { recursive: true });
  }, 900_000);

  afterAll(async () => {
    await context?.close();
    server?.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  });

  async function analyse(folder: string): Promise<void> {
    await page.getByRole('tab', { name: 'Case' }).click();
    await page.locator('input[name=caseRoot]').fill(folder);
    await page.getByRole('button', { name: 'Analyse' }).click();
    await page
      .locator('[data-testid=job-analyse].status-running')
      .waitFor({ timeout: 30_000 })
      .catch(() => {});
    await page.locator('[data-testid=job-analyse].status-done').waitFor({ timeout: 300_000 });
    await expect.poll(() => page.locator('.case-summary dd').first().textContent()).toBe(folder);
  }

  async function scrollToSection(id: string): Promise<void> {
    // Below the sticky app bar, so the section title stays in the picture.
    await page.evaluate((sid) => window.scrollTo(0, document.getElementById(sid)!.getBoundingClientRect().top + window.scrollY - 60), id);
  }

  it('loads with the token and removes it from the address bar', async () => {
    await page.goto(openUrl);
    await expect.poll(() => page.locator('.host-badge').textContent(), { timeout: 60_000 }).toContain('Local browser');
    expect(page.url()).not.toContain('token=');
  });

  it('enrols a library entry with progress, with the reference banks chosen in Settings', async () => {
    // JPEG q75 only: the bank the CLI-enrolled entries have (and the re-saved case below needs).
    await page.getByRole('tab', { name: 'Settings' }).click();
    const banks = page.getByRole('group', { name: 'Reference banks at enrolment' });
    // The default: the whole grid, every box ticked.
    expect(await banks.getByRole('checkbox', { checked: true }).count()).toBe(PROCESSING_IDS.length);
    expect(await banks.getByRole('checkbox').count()).toBe(PROCESSING_IDS.length);
    for (const box of await banks.getByRole('checkbox').all()) await box.uncheck();
    await banks.getByRole('checkbox', { name: 'JPEG q75', exact: true }).check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved. New analyses and enrolments use these settings.').waitFor();

    await page.getByRole('tab', { name: 'Library' }).click();
    const last = refs.at(-1)!;
    const name = path.basename(last);
    await page.locator('#enrol-name').fill(name);
    await page.locator('#enrol-family').fill(families[last]!);
    await page.locator('input[name=folder]').fill(last);
    await page.getByRole('button', { name: 'Enrol', exact: true }).click();
    const done = page.getByRole('status').filter({ hasText: `Enrolled ${name}` });
    await done.waitFor({ timeout: 120_000 });
    // Every entry has the one bank, so attribution can use it: nothing narrowed, nothing to say about it.
    expect(await done.textContent()).toMatch(/; reference banks: JPEG q75\.$/);
    // The library holds exactly that bank for the entry (read by the CLI, beside the running serve).
    expect(JSON.parse(genprint(['library', 'show', library, name])).stored.referenceBanks.map((l: string) => l.split(':')[0])).toEqual(['jpeg-q75']);
    const rows = page.locator('[data-testid=library-table] tbody tr');
    await expect.poll(() => rows.count()).toBe(refs.length);
    // The library's own error rates, re-estimated for the new content: one row per entry, a rate per set size.
    const rates = page.locator('[data-testid=library-error-rates] tbody tr');
    await expect.poll(() => rates.count(), { timeout: 60_000 }).toBe(refs.length);
    expect(await page.locator('[data-testid=library-error-rates] thead th').allTextContents()).toEqual(
      expect.arrayContaining(['1 image', '10 images', 'Most often confused with (10 images)']),
    );
    for (const cell of await rates.first().locator('td.num').allTextContents()) expect(cell).toMatch(/^\d+\.\d %$/);
    await page.screenshot({ path: path.join(IMG, 'library.png') });
  }, 180_000);

  it('cancels a running enrolment without writing', async () => {
    await page.locator('#enrol-name').fill('to-be-cancelled');
    // Every reference folder at once, so the job runs long enough to be cancelled mid-way.
    for (let i = 0; i < refs.length; i++) {
      if (i > 0) await page.getByRole('button', { name: 'Add another folder' }).click();
      await page.locator('input[name=folder]').nth(i).fill(refs[i]!);
    }
    await page.getByRole('button', { name: 'Enrol', exact: true }).click();
    const cancel = page.locator('[data-testid=job-enrol] button', { hasText: 'Cancel' });
    await cancel.click({ timeout: 30_000 });
    await page.getByText('Cancelled. Nothing was written.').waitFor({ timeout: 60_000 });
    // Re-read the library from the host: still exactly the entries enrolled before.
    await page.getByRole('tab', { name: 'Case' }).click();
    await page.getByRole('tab', { name: 'Library' }).click();
    const names = await page.locator('[data-testid=library-table] tbody tr td:first-child strong').allTextContents();
    expect(names).toHaveLength(refs.length);
    expect(names).not.toContain('to-be-cancelled');
  }, 120_000);

  it('attributes a single-generator demo case to its generator', async () => {
    await analyse(singleCase.folder);
    const label = await page.locator('[data-testid=verdict-label]').first().textContent();
    expect(label).toContain(singleCase.expected);
    expect(await page.locator('[data-testid=verdict]').first().textContent()).toMatch(/Probability|Mean \|corr\|/);
    // The library classifier's evidence blocks and their weights are in the case summary.
    expect(await page.locator('[data-testid=case-classifier]').textContent()).toMatch(/^φ ×[0-9.]+( \+ residual (spectrum|pixels) ×[0-9.e-]+)*$/);
    // How the evidence and the entry's references were saved: both PNG here.
    expect(await page.locator('[data-testid=verdict-compression]').first().textContent()).toMatch(
      new RegExp(`^evidence lossless \\(\\d+\\); ${singleCase.expected}'s references lossless \\(\\d+\\) — alike$`),
    );
    // Whether the images, one by one, favour the entry over the runner-up.
    expect(await page.locator('[data-testid=verdict-consistency]').first().textContent()).toMatch(
      new RegExp(
        `^\\d+ of \\d+ images favour ${singleCase.expected} over \\S+ \\(mean per-image log-probability ratio [0-9.]+, t = [0-9.]+, one-sided p = (below 0\\.001|0\\.0[0-4]\\d); consistent if p < 0\\.05\\)$`,
      ),
    );
    // Every entry's error rate at the bag size: the demo's entries are all told apart.
    expect(await page.locator('[data-testid=case-error-rates]').textContent()).toBe('every entry below 10 % on held-back reference sets of 10 images');
    // The library's own error rate at this evidence size, on held-back reference images.
    expect(await page.locator('[data-testid=verdict-error-rate]').first().textContent()).toMatch(
      new RegExp(`^[0-9.]+ % of held-back reference sets of .* attributed to ${singleCase.expected} came from other entries \\(\\d+ draws? per entry`),
    );
  }, 400_000);

  it('saves the signed report of the case on screen, which verify-report accepts; never into the evidence folder', async () => {
    // Still showing the single-generator case analysed above.
    await page.locator('#report').scrollIntoViewIfNeeded();
    const field = page.locator('input[name=report-path]');
    const save = page.getByRole('button', { name: 'Save report' });
    await field.fill(path.join(singleCase.folder, 'inside.pdf'));
    await save.click();
    await expect.poll(() => page.locator('#report .notice-error').textContent()).toContain('into the evidence folder');
    expect(existsSync(path.join(singleCase.folder, 'inside.pdf'))).toBe(false);

    const reports = path.join(demo, 'reports');
    mkdirSync(reports);
    const pdf = path.join(reports, 'case.pdf');
    await field.fill(pdf);
    await save.click();
    await expect.poll(() => page.locator('[data-testid=report-written]').textContent(), { timeout: 120_000 }).toMatch(/signed with this installation's key/);
    expect(existsSync(`${pdf}.sha256`)).toBe(true);
    const verified = genprint(['verify-report', pdf, singleCase.folder]);
    expect(verified).toMatch(/VERIFIED: evidence unchanged, report signed by a trusted key/);
  }, 300_000);

  it('shows verdicts, heatmaps with legends and values on hover, the dendrogram and the stability chart', async () => {
    // Still showing the single-generator case analysed above.
    const heatmaps = page.locator('[data-testid=heatmap]');
    await expect.poll(() => heatmaps.count()).toBe(2);
    expect(await heatmaps.nth(1).locator('rect[fill^="#"]').count()).toBeGreaterThanOrEqual(refs.length * refs.length);
    expect(await page.locator('[data-testid=legend]').count()).toBe(2);
    const leaves = (await page.locator('[data-testid=dendrogram] text.label').allTextContents()).join('\n');
    for (const r of refs) expect(leaves).toContain(path.basename(r).slice(0, 10));
    await page.locator('[data-testid=stability] .recharts-line').first().waitFor();
    await scrollToSection('images');
    const thumbs = page.locator('[data-testid=image-table] .thumb img');
    await expect.poll(() => thumbs.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(IMG, 'case.png') });

    await scrollToSection('heatmaps');
    await heatmaps
      .nth(1)
      .locator('rect[fill^="#"]')
      .nth(refs.length + 2)
      .hover();
    await expect.poll(() => heatmaps.nth(1).locator('.tooltip').textContent()).toMatch(/corr = -?\d\.\d{4}/);
    await page.screenshot({ path: path.join(IMG, 'heatmap.png') });
    await scrollToSection('dendrogram');
    await page.screenshot({ path: path.join(IMG, 'dendrogram.png') });
  }, 400_000);

  it('splits the mixed demo folder into groups and calls the foreign generator unknown', async () => {
    await analyse(mixedCase.folder);
    const cards = page.locator('[data-testid=verdict]');
    await expect.poll(() => cards.count()).toBe(3); // the whole folder and its two groups
    const groupLabels = (await page.locator('[data-testid=verdict-label]').allTextContents()).slice(1);
    expect(mixedCase.labels.every((l) => groupLabels.some((g) => g.includes(l)))).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(IMG, 'mixed.png') });

    await analyse(foreignFolder);
    expect(await page.locator('[data-testid=verdict-label]').first().textContent()).toMatch(/unknown/i);
  }, 400_000);

  /** Chooses the method (and, where given, one more select of that method) in Settings and saves. */
  async function saveSettings(method: 'dsf' | 'manifold', extra?: { select: string; value: string }): Promise<void> {
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.locator('#set-method').selectOption(method);
    if (extra) await page.locator(extra.select).selectOption(extra.value);
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved. New analyses and enrolments use these settings.').waitFor();
  }

  it('runs the manifold method with both estimates from the settings and names the estimate and the real reference', async () => {
    const useManifold = (estimate: 'knn' | 'projector') => saveSettings('manifold', { select: '#set-estimate', value: estimate });
    await useManifold('knn');
    await analyse(singleCase.folder);
    const facts = page.locator('[data-testid=manifold-params]');
    await expect.poll(() => facts.textContent()).toMatch(/knn/);
    expect(await facts.textContent()).toContain('demo-real-scenes');
    expect(await page.locator('[data-testid=verdict-label]').first().textContent()).toContain(singleCase.expected);
    await page.evaluate(() => window.scrollTo(0, document.getElementById('manifold')!.getBoundingClientRect().top + window.scrollY - 420));
    await page.screenshot({ path: path.join(IMG, 'manifold-knn.png') });

    await useManifold('projector');
    await analyse(singleCase.folder);
    await expect.poll(() => facts.textContent()).toMatch(/projector/);
    expect(await facts.textContent()).toMatch(/[0-9a-f]{24}/);
    expect(await page.locator('[data-testid=verdict]').first().textContent()).toMatch(/Probability/);

    // Back to the default for anything that runs after.
    await saveSettings('dsf');
  }, 600_000);

  it('runs the library classifier on φ alone when the settings ask for it, and says so', async () => {
    const useEvidence = (evidence: 'phi' | 'all') => saveSettings('dsf', { select: '#set-evidence', value: evidence });
    await useEvidence('phi');
    await analyse(singleCase.folder);
    await expect.poll(() => page.locator('[data-testid=case-classifier]').textContent()).toBe('φ ×1.0');
    expect(await page.locator('[data-testid=verdict-label]').first().textContent()).toContain(singleCase.expected);
    await useEvidence('all');
  }, 400_000);

  it('names the processing the references were matched to for evidence re-saved as JPEG', async () => {
    // The single case re-saved as JPEG q75 (sharp's default 4:2:0), inside the allowed folder.
    const { default: sharp } = await import('sharp');
    const jpeg = path.join(demo, 'case-jpeg75');
    mkdirSync(jpeg);
    for (const f of readdirSync(singleCase.folder).filter((n) => n.endsWith('.png')))
      await sharp(path.join(singleCase.folder, f))
        .jpeg({ quality: 75 })
        .toFile(path.join(jpeg, f.replace(/\.png$/, '.jpg')));
    await analyse(jpeg);
    await expect
      .poll(() => page.locator('[data-testid=verdict-references]').first().textContent())
      .toMatch(/^references matched to JPEG q75 \(evidence estimated JPEG q75 \(\d+\)\)$/);
  }, 400_000);

  it('made no request off the loopback interface', () => {
    expect(requests.length).toBeGreaterThan(3);
    const foreign = requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
  });
});
