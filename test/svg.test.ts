// The shared SVG charts: rendered with sharp (librsvg), which rejects malformed XML, so a successful
// render proves the markup is valid; pixel reads check that colours land where the data says.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ClusteringResult } from '../src/engine/types.js';
import { autoScale, colourScale, dendrogramSvg, ellipsizeMiddle, escapeXml, heatmapSvg, niceTicks, stabilitySvg } from '../src/shared/svg/index.js';
import { buildSampleCase } from './fixtures/sample-case.js';

async function render(svg: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function pixel(img: { data: Buffer; width: number }, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

function hexRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

const close = (a: number[], b: number[], tol = 6) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

describe('text helpers', () => {
  it('escapes markup and drops characters XML forbids', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('bell\u0007')).toBe('bell\uFFFD');
  });
  it('shortens in the middle', () => {
    expect(ellipsizeMiddle('abcdefghijklmnopqrstuvwxyz', 9)).toBe('abcd…wxyz');
    expect(ellipsizeMiddle('short', 9)).toBe('short');
  });
  it('makes round ticks that cover the range', () => {
    const ticks = niceTicks(0, 0.96, 5);
    expect(ticks[0]).toBe(0);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(0.96);
    expect(ticks.every((t, i) => i === 0 || t > ticks[i - 1]!)).toBe(true);
  });
});

describe('colour scale', () => {
  it('is sequential for non-negative data and diverging, symmetric about zero, otherwise', () => {
    expect(autoScale([0.1, 0.5]).kind).toBe('sequential');
    const d = autoScale([-0.2, 0.5]);
    expect(d.kind).toBe('diverging');
    expect(d.min).toBe(-0.5);
    expect(d.max).toBe(0.5);
    // Zero sits on the neutral middle colour.
    expect(close(hexRgb(d.colour(0)), [247, 247, 247], 2)).toBe(true);
  });
  it('picks readable text colours', () => {
    const s = colourScale('sequential', 0, 1);
    expect(s.textColour(0)).toBe('#ffffff'); // dark purple end of viridis
    expect(s.textColour(1)).toBe('#000000'); // yellow end
  });
});

describe('heatmapSvg', () => {
  const matrix = {
    rows: ['<evil> & "row"', 'plain'],
    cols: ['A', 'B'],
    values: [
      [0, 1],
      [0.5, 0.25],
    ],
  };

  it('renders valid SVG with escaped labels and data-driven colours', async () => {
    const svg = heatmapSvg(matrix, { title: 'T & <t>', min: 0, max: 1 });
    expect(svg).toContain('&lt;evil&gt; &amp; &quot;row&quot;');
    expect(svg).not.toContain('<evil>');
    const img = await render(svg);
    const w = Number(/<svg[^>]*width="(\d+)"/.exec(svg)![1]);
    expect(img.width).toBe(w);
    // The cell for value 1 (row 0, col 1) is viridis yellow; for value 0 (row 0, col 0) dark purple.
    const cellAt = (r: number, c: number) => {
      const m = new RegExp(`data-row="${r}" data-col="${c}" x="([\\d.]+)" y="([\\d.]+)" width="([\\d.]+)"`).exec(svg)!;
      const [x, y, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
      return pixel(img, x + s * 0.15, y + s * 0.15); // a corner, away from the printed value
    };
    expect(close(cellAt(0, 1), [253, 231, 37], 10)).toBe(true);
    expect(close(cellAt(0, 0), [68, 1, 84], 10)).toBe(true);
  });

  it('respects the given row and column order', () => {
    const svg = heatmapSvg(matrix, { rowOrder: [1, 0], colOrder: [1, 0] });
    const rowLabels = [...svg.matchAll(/class="row-label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    const colLabels = [...svg.matchAll(/class="col-label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(rowLabels).toEqual(['plain', '&lt;evil&gt; &amp; &quot;row&quot;']);
    expect(colLabels).toEqual(['B', 'A']);
    // Cell (0,0) now shows matrix value [1][1] = 0.25.
    expect(svg).toMatch(/data-row="0" data-col="0"[^>]*>(<text[^>]*>0\.25<)/);
  });

  it('ignores an order that is not a permutation', () => {
    const svg = heatmapSvg(matrix, { rowOrder: [0, 0] });
    const rowLabels = [...svg.matchAll(/class="row-label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(rowLabels[1]).toBe('plain');
  });
});

describe('dendrogramSvg', () => {
  // ((c, a), b) with leaf order c, a, b — not the label order.
  const clustering: ClusteringResult = {
    linkage: 'average',
    labels: ['a', 'b', 'c & <d>'],
    order: [2, 0, 1],
    copheneticCorrelation: 0.9,
    tree: {
      height: 2,
      children: [
        {
          height: 1,
          children: [
            { index: 2, height: 0 },
            { index: 0, height: 0 },
          ],
        },
        { index: 1, height: 0 },
      ],
    },
  };

  it('draws the leaves top to bottom in the clustering order', async () => {
    const svg = dendrogramSvg(clustering, { title: 'D' });
    const leaves = [...svg.matchAll(/class="leaf" data-index="(\d+)" x="[\d.]+" y="([\d.]+)"[^>]*>([^<]*)</g)].map((m) => ({
      index: Number(m[1]),
      y: Number(m[2]),
      label: m[3],
    }));
    expect(leaves).toHaveLength(3);
    expect([...leaves].sort((p, q) => p.y - q.y).map((l) => l.index)).toEqual([2, 0, 1]);
    expect(leaves.find((l) => l.index === 2)!.label).toBe('c &amp; &lt;d&gt;');
    await render(svg);
  });

  it('renders the fixture clustering with highlighted leaves', async () => {
    const c = buildSampleCase();
    const svg = dendrogramSvg(c.clustering!, { highlight: ['StyleGAN2 (FFHQ)'] });
    expect(svg).toMatch(/font-weight="bold"[^>]*>StyleGAN2 \(FFHQ\)</);
    const img = await render(svg);
    expect(img.height).toBeGreaterThan(6 * 18);
  });
});

describe('stabilitySvg', () => {
  it('renders the three series, band and legend', async () => {
    const svg = stabilitySvg(buildSampleCase().stability, { title: 'S', scoreLabel: 'Score of X' });
    for (const cls of ['band', 'series-score', 'series-agreement', 'series-decorrelation']) expect(svg).toContain(`class="${cls}"`);
    expect(svg).toContain('Score of X (mean ± 1 sd)');
    await render(svg);
  });
  it('says so when there are no points', async () => {
    const svg = stabilitySvg([]);
    expect(svg).toContain('No stability data');
    await render(svg);
  });
});
