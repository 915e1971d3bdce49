import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

// Layer boundaries from DESIGN.md, enforced here rather than by convention.
const nodeModules = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      'coverage/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['bin/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'react', 'react-dom', 'pg', ...nodeModules],
              message: 'shared/ stays free of electron, react and node-only modules',
            },
            {
              group: ['**/electron/**', '**/renderer/**'],
              message: 'shared/ must not depend on a front end',
            },
          ],
        },
      ],
    },
  },
  {
    // The pure pipeline knows nothing of the database: shared/db builds on shared/domain, never
    // the other way round (the same patterns again: a later block replaces the rule).
    files: ['shared/domain/**/*.ts'],
    ignores: ['shared/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'react', 'react-dom', 'pg', ...nodeModules],
              message: 'shared/ stays free of electron, react and node-only modules',
            },
            {
              group: ['**/electron/**', '**/renderer/**'],
              message: 'shared/ must not depend on a front end',
            },
            {
              group: ['**/db/**', '../db/*'],
              message: 'shared/domain must not depend on shared/db',
            },
          ],
        },
      ],
    },
  },
  {
    // The engine's node side and the command line run without Electron (the CLI, the tests).
    files: ['electron/core/**/*.ts', 'electron/cli/**/*.ts'],
    ignores: ['electron/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron'], message: 'electron/core and the CLI run without Electron' },
            {
              group: ['**/main/**', '**/preload/**', '**/renderer/**'],
              message:
                'electron/core and the CLI must not depend on the app (main, preload, renderer)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', '@supabase/*', 'pg', ...nodeModules],
              message: 'the renderer only renders: ask main through window.api',
            },
            {
              group: ['**/electron/**'],
              message: 'the renderer must not import main-process code',
            },
          ],
        },
      ],
    },
  },
  {
    // A feature acts on another through what the app (renderer/src/app) passes down, never by
    // importing its store or components (issue 12). A feature reaches its own files by paths
    // without a feature's name ('../store', './Grid'), so a feature's name in a path is another's.
    files: ['renderer/src/features/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', '@supabase/*', 'pg', ...nodeModules],
              message: 'the renderer only renders: ask main through window.api',
            },
            {
              group: ['**/electron/**'],
              message: 'the renderer must not import main-process code',
            },
            {
              group: [
                '**/features/**',
                '**/commit/**',
                '**/import/**',
                '**/history/**',
                '**/connection/**',
                '**/shell/**',
              ],
              message:
                "a feature gets what it needs of another from the app (props, actions), not from that feature's store or components",
            },
          ],
        },
      ],
    },
  },
);
