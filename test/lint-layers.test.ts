// The layer rules of docs/architecture.md are enforced by ESLint (eslint.config.js). This proves the
// rules fire: each import below runs against a layer and must be refused, and each allowed one
// must pass. Code is linted as if it lived at the given path; no file is written.
import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules (ESLint no-restricted-imports)', () => {
  it.each([
    ['src/shared/x.ts', "import { analyseCase } from '../engine/index.js';"],
    ['src/shared/x.ts', "import { readFileSync } from 'node:fs';"],
    ['src/shared/svg/x.ts', "import type { LibraryEntry } from '../../engine/types.js';"],
    ['src/renderer/src/components/X.tsx', "import type { Verdict } from '../../../engine/types.js';"],
    ['src/renderer/src/X.ts', "import { readFile } from 'node:fs/promises';"],
    ['src/engine/x.ts', "import { EngineHost } from '../host/engine-host.js';"],
    ['src/engine/attribution/x.ts', "import { app } from 'electron';"],
    ['src/engine/features/x.ts', "import * as ort from 'onnxruntime-node';"],
    ['src/host/x.ts', "import { judge } from '../engine/attribution/judge.js';"],
    ['src/host/x.ts', "import { requireFolder } from '../engine/util/folders.js';"],
    ['src/main/x.ts', "import { analyseCase } from '../engine/index.js';"],
    ['src/server/x.ts', "import { enrol } from '../engine/pipeline.js';"],
    ['src/cli/commands/x.ts', "import { fitSoftmaxRegression } from '../../engine/classifier/softmax-regression.js';"],
    ['src/eval/x.ts', "import { EngineHost } from '../host/engine-host.js';"],
    ['src/preload/x.ts', "import { EngineHost } from '../host/engine-host.js';"],
  ])('%s: refuses %s', async (file, code) => {
    expect(await restricted(file, code)).toHaveLength(1);
  });

  it.each([
    ['src/engine/attribution/x.ts', "import type { Verdict } from '../../shared/types.js';"],
    ['src/engine/backend/onnx.ts', "import * as ort from 'onnxruntime-node';"],
    ['src/host/x.ts', "import type * as Engine from '../engine/index.js';"],
    ['src/host/x.ts', "import { engineErrorCode } from '../engine/errors.js';"],
    ['src/cli/commands/x.ts', "import { writeReport } from '../../engine/report/index.js';"],
    ['src/eval/x.ts', "import { fitSoftmaxRegression } from '../engine/classifier/softmax-regression.js';"],
    ['src/main/x.ts', "import { portClient } from '../host/protocol.js';"],
    ['src/renderer/src/X.ts', "import type { Verdict } from '../../shared/types.js';"],
  ])('%s: allows %s', async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });
});
