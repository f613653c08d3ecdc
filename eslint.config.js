// Lint for the whole tree. Besides the usual TypeScript and React-hooks rules, it encodes the layer
// rules of docs/architecture.md with no-restricted-imports, so an import that runs against the
// layers fails CI instead of waiting for a reviewer:
//
//   engine (plain Node) ← host ← Electron main / serve ← preload ← renderer;  shared below all.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Import patterns (gitignore-style, matched against the import specifier) for a layer's folders. */
const layer = (name) => [`**/${name}`, `**/${name}/**`, `../${name}/**`, `./${name}/**`];

// The engine's public entry points. Everything outside the engine imports only these, except the
// evaluation harness (it measures the engine's parts one by one) and the tests.
const ENGINE_DEEP = {
  regex: '(^|/)engine/(?!(index|types|version|errors)\\.js$|(report|demo)/index\\.js$)',
  message: 'Outside the engine, import its public entries only (engine/index, types, version, errors, report/index, demo/index).',
};

const forbid = (layers, why, extra = []) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: extra,
      patterns: [...layers.map((l) => ({ group: layer(l), message: `${why} (docs/architecture.md, "Layers").` }))],
    },
  ],
});

const NODE_ONLY = [
  { name: 'electron', message: 'Only src/main and src/preload talk to Electron.' },
  { name: 'onnxruntime-node', message: 'ONNX Runtime is loaded in src/engine/backend/onnx.ts only (telemetry switch, providers).' },
];

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'models/**', 'docs/**', 'demo/**', 'training/**', 'test/fixtures/*.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Unused names are errors, except the deliberate `_name` placeholders of destructuring.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Five components reset form state from props in an effect (React 19 compiler rule, new in
      // eslint-plugin-react-hooks 7). Rewriting them changes render timing, so it waits for a UI
      // change that re-takes the screenshots; rules-of-hooks and exhaustive-deps stay errors.
      'react-hooks/set-state-in-effect': 'off',
    },
  },
  // ---- Layers -----------------------------------------------------------------------------------
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_ONLY,
          patterns: [
            { group: ['node:*'], message: 'src/shared runs in the renderer too: no Node modules.' },
            ...['engine', 'host', 'main', 'server', 'cli', 'eval', 'renderer', 'preload'].map((l) => ({
              group: layer(l),
              message: 'src/shared sits below every layer and imports none of them (docs/architecture.md, "Layers").',
            })),
          ],
        },
      ],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    ignores: ['src/engine/backend/onnx.ts'],
    rules: forbid(['host', 'main', 'server', 'cli', 'eval', 'renderer', 'preload'], 'The engine is plain Node and imports no layer above it', NODE_ONLY),
  },
  {
    files: ['src/engine/backend/onnx.ts'],
    rules: forbid(['host', 'main', 'server', 'cli', 'eval', 'renderer', 'preload'], 'The engine is plain Node and imports no layer above it', [NODE_ONLY[0]]),
  },
  {
    files: ['src/host/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_ONLY,
          patterns: [
            ENGINE_DEEP,
            ...['main', 'server', 'cli', 'eval', 'renderer', 'preload'].map((l) => ({
              group: layer(l),
              message: 'The host serves Electron main and `serve`; it imports neither.',
            })),
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    rules: forbid(['engine', 'server', 'cli', 'eval', 'renderer', 'preload'], 'Electron main reaches the engine through src/host', [NODE_ONLY[1]]),
  },
  {
    files: ['src/server/**/*.ts'],
    rules: forbid(['engine', 'main', 'cli', 'eval', 'renderer', 'preload'], '`serve` reaches the engine through src/host', NODE_ONLY),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_ONLY,
          patterns: [ENGINE_DEEP, ...['main', 'renderer', 'preload'].map((l) => ({ group: layer(l), message: 'The CLI is plain Node.' }))],
        },
      ],
    },
  },
  {
    files: ['src/eval/**/*.ts'],
    rules: forbid(['host', 'main', 'server', 'cli', 'renderer', 'preload'], 'The evaluation harness uses the engine only', NODE_ONLY),
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: forbid(['engine', 'host', 'main', 'server', 'cli', 'eval', 'renderer'], 'The preload bridges shared/api to the renderer and nothing else', [
      NODE_ONLY[1],
    ]),
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_ONLY,
          patterns: [
            { group: ['node:*'], message: 'The renderer is sandboxed: no Node modules.' },
            ...['engine', 'host', 'main', 'server', 'cli', 'eval', 'preload'].map((l) => ({
              group: [`**/src/${l}/**`, `../../../${l}/**`, `../../${l}/**`],
              message: 'The renderer sees the engine only through window.genprint and the types in src/shared.',
            })),
          ],
        },
      ],
    },
  },
  prettier,
);
