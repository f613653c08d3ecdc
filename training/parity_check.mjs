// Compares onnxruntime-node outputs of phi.onnx / rho.onnx with the PyTorch reference fixture.
// Usage: node training/parity_check.mjs [modelsDir] [fixture.json]
// (Python here has no onnxruntime; the runtime that matters is the engine's, so the check runs in Node.)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// Telemetry off before the runtime loads (see src/engine/backend/no-telemetry.ts); a static
// import would be evaluated before this line, so the runtime is imported dynamically.
process.env.ORT_DISABLE_TELEMETRY = '1';
const { default: ort } = await import('onnxruntime-node');

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modelsDir = process.argv[2] ?? path.join(repo, 'models');
const fixture = JSON.parse(fs.readFileSync(process.argv[3] ?? path.join(repo, 'test/fixtures/parity.json'), 'utf8'));
const { maxAbsDiff, maxRelDiff } = fixture.tolerance;

function input(h, w) {
  const x = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) x[(c * h + y) * w + xx] = ((y * 31 + xx * 17 + c * 7) % 256) / 255;
  return x;
}

function compare(name, got, want) {
  let worst = 0;
  let ok = true;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    worst = Math.max(worst, d);
    if (d > maxAbsDiff + maxRelDiff * Math.abs(want[i])) ok = false;
  }
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: max abs diff ${worst.toExponential(2)}`);
  return ok;
}

const phi = await ort.InferenceSession.create(path.join(modelsDir, 'phi.onnx'));
const rho = await ort.InferenceSession.create(path.join(modelsDir, 'rho.onnx'));
let allOk = true;
for (const c of fixture.phi.cases) {
  const [, , h, w] = c.shape;
  const out = await phi.run({ images: new ort.Tensor('float32', input(h, w), c.shape) });
  allOk = compare(`phi ${h}x${w}`, out.features.data, c.features) && allOk;
}
const pooled = fixture.rho.pooled;
const dim = pooled[0].length;
const out = await rho.run({ pooled: new ort.Tensor('float32', Float32Array.from(pooled.flat()), [pooled.length, dim]) });
allOk = compare('rho', out.z.data, fixture.rho.z.flat()) && allOk;
process.exit(allOk ? 0 : 1);
