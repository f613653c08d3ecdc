// The training pipeline's smoke run: PyTorch trains and exports a set-encoder that the engine's
// onnxruntime-node loader accepts. Skipped (with a message) where Debian's python3-torch is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSetEncoder, sha256File } from '../../src/engine/features/set-encoder.js';
import { loadProjector } from '../../src/engine/manifold/index.js';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasTorch = spawnSync(python, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) console.log('training smoke run skipped: python3-torch / python3-onnx are not installed (.ci/run installs them)');

describe.skipIf(!hasTorch)('training pipeline (quick mode)', () => {
  it('trains, exports φ and ρ as ONNX with a model card, and the engine runs them', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'genprint-train-'));
    const r = spawnSync(python, [path.join(__dirname, '..', '..', 'training', 'train.py'), '--quick', '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', PYTHONUNBUFFERED: '1' },
      timeout: 280_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const card = JSON.parse(readFileSync(path.join(out, 'model-card.json'), 'utf8'));
    expect(card.phi.sha256).toBe(sha256File(path.join(out, card.phi.file)));
    expect(card.rho.sha256).toBe(sha256File(path.join(out, card.rho.file)));
    expect(typeof card.decision).toBe('string');
    // The JPEG augmentation of φ's training batches is recorded, so a model can be reproduced from its card.
    expect([card.hyperparameters.jpegProb, card.hyperparameters.jpegQuality]).toEqual([0.3, [60, 98]]);
    // Evaluation-only domains stay out of training and model selection (unseen generators for the eval).
    expect(card.data.evaluationOnlyDomains).toEqual(['t2i-modern']);
    const read: string[] = [...(card.data.trainGenerators ?? []), ...(card.data.heldOutGenerators ?? [])];
    expect(read.filter((key) => card.data.evaluationOnlyDomains.includes(key.split('/')[0]))).toEqual([]);

    const encoder = await loadSetEncoder({ modelsDir: out, provider: 'cpu' });
    const sizes = [
      [28, 28],
      [64, 48],
    ];
    const feats = await encoder.embedImages(
      sizes.map(([w, h]) => ({ width: w, height: h, data: Float32Array.from({ length: 3 * w * h }, (_, i) => (i % 13) / 13) })),
    );
    for (const f of feats) {
      expect(f).toHaveLength(card.phi.featureDim);
      expect(f.every(Number.isFinite)).toBe(true);
    }
    const [z] = await encoder.embedBags([feats[0]]);
    expect(z.length).toBeGreaterThan(0);
  });

  it('manifold pipeline: trains the projector on real images and the set-encoder on its artifacts; the engine runs both', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'genprint-manifold-'));
    const r = spawnSync(python, [path.join(__dirname, '..', '..', 'training', 'train_manifold.py'), '--quick', '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', PYTHONUNBUFFERED: '1' },
      timeout: 280_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const pcard = JSON.parse(readFileSync(path.join(out, 'projector-card.json'), 'utf8'));
    expect(pcard.sha256).toBe(sha256File(path.join(out, 'projector.onnx')));
    expect(pcard.training.steps).toBeGreaterThan(0);
    const card = JSON.parse(readFileSync(path.join(out, 'manifold', 'model-card.json'), 'utf8'));
    expect(card.name).toBe('genprint-manifold');
    expect(card.phi.inputTransform.projectorSha256).toBe(pcard.sha256);

    const projector = (await loadProjector({ modelsDir: out, provider: 'cpu' }))!;
    const img = { width: 30, height: 28, data: Float32Array.from({ length: 3 * 30 * 28 }, (_, i) => (i % 7) / 7) };
    const [a] = await projector.artifacts([img]);
    expect([a.width, a.height, a.data.length]).toEqual([30, 28, img.data.length]);
    expect(a.data.every(Number.isFinite)).toBe(true);
    const encoder = await loadSetEncoder({ modelsDir: path.join(out, 'manifold'), provider: 'cpu' });
    const [f] = await encoder.embedImages([img]);
    expect(f).toHaveLength(card.phi.featureDim);
  });
});
