// PyTorch ↔ onnxruntime-node parity of the committed set-encoder, through the engine's own loader.
// The fixture holds PyTorch's outputs for inputs defined by a closed-form formula (training/export.py).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSetEncoder, defaultModelsDir, sha256File } from '../src/engine/features/set-encoder.js';
import { loadProjector, manifoldModelsDir } from '../src/engine/manifold/index.js';

const fixture = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/parity.json'), 'utf8'));
const { maxAbsDiff, maxRelDiff } = fixture.tolerance as { maxAbsDiff: number; maxRelDiff: number };

function input(h: number, w: number): Float32Array {
  const x = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) x[(c * h + y) * w + xx] = ((y * 31 + xx * 17 + c * 7) % 256) / 255;
  return x;
}

function worstViolation(got: ArrayLike<number>, want: number[]): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) - maxRelDiff * Math.abs(want[i]));
  return worst;
}

describe('set-encoder parity (PyTorch reference vs onnxruntime-node)', () => {
  it('the fixture was made from the committed ONNX files', () => {
    expect(sha256File(path.join(defaultModelsDir(), 'phi.onnx'))).toBe(fixture.phi.sha256);
    expect(sha256File(path.join(defaultModelsDir(), 'rho.onnx'))).toBe(fixture.rho.sha256);
  });

  it(`φ and ρ agree within |a − b| ≤ ${maxAbsDiff} + ${maxRelDiff}·|b|`, async () => {
    const encoder = await loadSetEncoder({ provider: 'cpu' });
    for (const c of fixture.phi.cases as { shape: number[]; features: number[] }[]) {
      const [, , h, w] = c.shape;
      const [features] = await encoder.embedImages([{ width: w, height: h, data: input(h, w) }]);
      expect(worstViolation(features, c.features)).toBeLessThanOrEqual(maxAbsDiff);
    }
    const pooled = (fixture.rho.pooled as number[][]).map((r) => Float32Array.from(r));
    const z = await encoder.embedBags(pooled);
    expect(worstViolation(Float32Array.from(z.flatMap((v) => Array.from(v))), (fixture.rho.z as number[][]).flat())).toBeLessThanOrEqual(maxAbsDiff);
  });

  it('refuses a model file that does not match its model card', async () => {
    const { mkdtempSync, copyFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'genprint-models-'));
    for (const f of ['phi.onnx', 'rho.onnx', 'model-card.json']) copyFileSync(path.join(defaultModelsDir(), f), path.join(dir, f));
    const phi = readFileSync(path.join(dir, 'phi.onnx'));
    phi[phi.length - 1] ^= 0xff;
    writeFileSync(path.join(dir, 'phi.onnx'), phi);
    await expect(loadSetEncoder({ modelsDir: dir, provider: 'cpu' })).rejects.toThrow(/does not match the SHA-256/);
  });
});

describe('manifold models parity (PyTorch reference vs onnxruntime-node)', () => {
  const manifold = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/parity-manifold.json'), 'utf8'));
  const projector = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/parity-projector.json'), 'utf8'));

  it('the fixtures were made from the committed ONNX files', () => {
    const dir = manifoldModelsDir();
    expect(sha256File(path.join(dir, 'phi.onnx'))).toBe(manifold.phi.sha256);
    expect(sha256File(path.join(dir, 'rho.onnx'))).toBe(manifold.rho.sha256);
    expect(sha256File(path.join(defaultModelsDir(), 'projector.onnx'))).toBe(projector.sha256);
  });

  it(`projector artifacts x − P(x) agree within |a − b| ≤ ${maxAbsDiff} + ${maxRelDiff}·|b|`, async () => {
    const p = (await loadProjector({ provider: 'cpu' }))!;
    for (const c of projector.cases as { shape: number[]; artifacts: number[] }[]) {
      const [, , h, w] = c.shape;
      const [a] = await p.artifacts([{ width: w, height: h, data: input(h, w) }]);
      expect(worstViolation(a.data, c.artifacts)).toBeLessThanOrEqual(maxAbsDiff);
    }
  });

  it('the manifold set-encoder (projector inside φ) agrees too', async () => {
    const encoder = await loadSetEncoder({ modelsDir: manifoldModelsDir(), provider: 'cpu' });
    for (const c of manifold.phi.cases as { shape: number[]; features: number[] }[]) {
      const [, , h, w] = c.shape;
      const [features] = await encoder.embedImages([{ width: w, height: h, data: input(h, w) }]);
      expect(worstViolation(features, c.features)).toBeLessThanOrEqual(maxAbsDiff);
    }
  });
});
