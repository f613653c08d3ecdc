// Renders docs/reliability.md from the records the tests append (test/helpers/reliability.ts) and
// the summary of the vitest run that produced them. Kept apart from the script that runs the tests
// (scripts/reliability.ts) so the rendering is tested on its own (test/reliability.test.ts).

/** The environment variable naming the log file; recording is off without it. */
export const RELIABILITY_LOG_ENV = 'GENPRINT_RELIABILITY_LOG';

export interface ReliabilityRecord {
  kind: string;
  /** What was tried, in a few words. */
  what: string;
  /** What happened, in a few words: "skipped: truncated", "refused: locked", "exit 5". */
  outcome: string;
  /** Whether the system held (the safe, expected outcome). */
  held: boolean;
  /** How many times it was tried (fuzz iterations, commands traced); 1 when absent. */
  count?: number;
  /** Structured figures for the sections that show them (fuzz: per format). */
  details?: Record<string, unknown>;
  /** Test file (relative to the repository) and test name. */
  testFile: string;
  test: string;
}

export interface TestRunSummary {
  files: string[];
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
}

export interface RunContext {
  date: string;
  commit: string;
  machine: string;
}

interface Section {
  kind: string;
  title: string;
  /** The headline figure for the summary table. */
  figure(records: ReliabilityRecord[]): string;
  /** Extra reproduce hint beside the test command. */
  more?: string;
}

const total = (rs: ReliabilityRecord[]) => rs.reduce((n, r) => n + (r.count ?? 1), 0);
const heldText = (rs: ReliabilityRecord[]) => {
  const held = rs.filter((r) => r.held).length;
  return held === rs.length ? 'all held' : `${rs.length - held} DID NOT HOLD`;
};
const num = (n: number) => n.toLocaleString('en-US');

const SECTIONS: Section[] = [
  {
    kind: 'bad-input',
    title: 'Kinds of bad input tried',
    figure: (rs) => `${num(rs.length)} kinds, ${heldText(rs)} (each skipped with its reason, nothing aborted)`,
  },
  {
    kind: 'fuzz',
    title: 'Fuzz iterations',
    figure: (rs) => `${num(total(rs))} mutated inputs, ${heldText(rs)} (no crash or hang)`,
    more: 'longer: `npm run fuzz -- --iterations N [--seed S]`',
  },
  { kind: 'kill', title: 'Kills survived', figure: (rs) => `${rs.filter((r) => r.held).length} of ${rs.length} SIGKILLs of a library writer` },
  { kind: 'concurrent', title: 'Concurrent runs', figure: (rs) => `${num(total(rs))} run${total(rs) === 1 ? '' : 's'} beside another writer, ${heldText(rs)}` },
  { kind: 'network', title: 'Network sockets observed', figure: (rs) => rs.map((r) => r.outcome).join('; ') || '–' },
  { kind: 'files-written', title: "Files written outside the run's folders", figure: (rs) => rs.map((r) => r.outcome).join('; ') || '–' },
  { kind: 'tampering', title: 'Tampering attempts caught', figure: (rs) => `${rs.filter((r) => r.held).length} of ${rs.length}` },
];

function sectionFor(kind: string): Section {
  return (
    SECTIONS.find((s) => s.kind === kind) ?? {
      kind,
      title: kind.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase()),
      figure: (rs) => `${num(total(rs))} tried, ${heldText(rs)}`,
    }
  );
}

/** Text for a markdown table cell: no pipes or line breaks, control characters shown as escapes. */
function cell(text: string): string {
  return JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/\|/g, '\\|');
}

const reproduce = (rs: ReliabilityRecord[]) => [...new Set(rs.map((r) => r.testFile))].map((f) => `\`npx vitest run ${f}\``).join(', ');

function fuzzTable(rs: ReliabilityRecord[]): string[] {
  const out: string[] = [];
  for (const r of rs) {
    const d = r.details as
      | {
          seed?: number;
          byFormat?: Record<string, { inputs: number; analysed: number; skipped: number; crashes: number; hangs: number }>;
          byMutation?: Record<string, number>;
          reasons?: Record<string, number>;
          decodedWithWarnings?: number;
        }
      | undefined;
    if (!d?.byFormat) continue;
    out.push(
      '',
      `Seed ${d.seed}, ${num(r.count ?? 0)} inputs:`,
      '',
      '| Format | Inputs | Analysed | Skipped with a reason | Crashes | Hangs |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [format, f] of Object.entries(d.byFormat)) out.push(`| ${format} | ${f.inputs} | ${f.analysed} | ${f.skipped} | ${f.crashes} | ${f.hangs} |`);
    if (d.byMutation)
      out.push(
        '',
        `Mutations: ${Object.entries(d.byMutation)
          .map(([m, n]) => `${m} ${n}`)
          .join(', ')}.`,
      );
    if (d.reasons)
      out.push(
        `Skip reasons: ${Object.entries(d.reasons)
          .sort((a, b) => b[1] - a[1])
          .map(([m, n]) => `${m} ${n}`)
          .join(', ')}.`,
      );
    if (d.decodedWithWarnings !== undefined) out.push(`Analysed but flagged "decoded with warnings": ${d.decodedWithWarnings}.`);
  }
  return out;
}

/** The whole document. */
export function renderReliability(records: ReliabilityRecord[], run: TestRunSummary, ctx: RunContext): string {
  const kinds = [...SECTIONS.map((s) => s.kind), ...[...new Set(records.map((r) => r.kind))].filter((k) => !SECTIONS.some((s) => s.kind === k)).sort()];
  const byKind = (k: string) => records.filter((r) => r.kind === k);
  const lines: string[] = [
    '# Reliability',
    '',
    'What the test suite tried against Genprint and what held, from one run of the tests named below.',
    '**Generated by `npm run reliability` (scripts/reliability.ts); do not edit by hand, rerun it.** The',
    'tests append a record per thing they try (test/helpers/reliability.ts) when the script runs them.',
    '',
    `Run of ${ctx.date}, commit ${ctx.commit}, on ${ctx.machine}.`,
    `Tests: ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped, in ${run.files.length} files (${run.seconds.toFixed(0)} s):`,
    `\`npx vitest run ${run.files.join(' ')}\`.`,
    '',
    '| | In this run | Reproduce |',
    '| --- | --- | --- |',
  ];
  for (const k of kinds) {
    const s = sectionFor(k);
    const rs = byKind(k);
    lines.push(`| ${s.title} | ${rs.length ? cell(s.figure(rs)) : 'not run (no records)'} | ${[reproduce(rs), s.more].filter(Boolean).join('; ') || '–'} |`);
  }
  for (const k of kinds) {
    const s = sectionFor(k);
    const rs = byKind(k);
    lines.push('', `## ${s.title}`, '');
    if (!rs.length) {
      lines.push('No records in this run: the tests that make them did not run here (a skipped test says why in the vitest output).');
      continue;
    }
    lines.push(`${cell(s.figure(rs))}. Reproduce: ${[reproduce(rs), s.more].filter(Boolean).join('; ')}.`);
    if (k === 'fuzz') lines.push(...fuzzTable(rs));
    lines.push('', '| What was tried | Outcome | Held | Test |', '| --- | --- | --- | --- |');
    for (const r of rs)
      lines.push(
        `| ${cell(r.what)}${r.count && r.count > 1 ? ` (×${num(r.count)})` : ''} | ${cell(r.outcome)} | ${r.held ? 'yes' : '**NO**'} | ${cell(`${r.testFile}: ${r.test}`)} |`,
      );
  }
  return `${lines.join('\n')}\n`;
}
