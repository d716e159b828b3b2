import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/**', 'node_modules/**', 'bin/**', 'eslint.config.js']),
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true } },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'no-console': 'error',
      // Run state keeps pending work in JSON maps keyed by id; deleting a key is the point.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // Leaving a field out of a copy by destructuring it is what the unused name is for.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    files: ['src/workflow/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', '**/worker/**', '**/engine/**', '**/store/**'] },
      ],
    },
  },
  {
    files: ['src/{worker,client,activity}/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/engine/**', '**/store/**'] }] },
  },
  {
    // The web UI's page runs in a browser and reaches the engine only through the HTTP API.
    files: ['src/ui/page/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', '**/engine/**', '**/store/**', '**/worker/**', '**/client/**'] },
            {
              group: ['**/transport/**', '**/protocol/**', '**/util/**', '**/errors.ts'],
              allowTypeImports: true,
              message: 'The page takes only types from the engine side: it runs in a browser.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'examples/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
    },
  },
);
