// Lint: correctness only (type-aware typescript-eslint). Style is prettier's job, so no stylistic rules here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['dist/', 'coverage/', 'data/', 'bench/results/', 'test/generated/', 'client/src/generated/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Types come from the project's tsconfigs (root and web/); the JavaScript configs get a default program.
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'web/*.mjs', 'scripts/*.js', 'test/support/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits loses its error: await it, or mark a deliberate fire-and-forget with `void` and a why comment.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // The compiler already reports unused locals and parameters (noUnusedLocals, noUnusedParameters).
      '@typescript-eslint/no-unused-vars': 'off',
      // `async` without `await` is how we implement promise-returning interfaces (Apollo plugin hooks, close()).
      '@typescript-eslint/require-await': 'off',
      // type-graphql types resolver classes and its container as `Function`.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      // Passing on what a `catch` caught is fine: it is an Error in practice, and wrapping it would hide its stack.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // Plain JavaScript (jest config, the test runner script, the vite config, a preload): Node globals, no types.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
  {
    // DOM event handlers may be async: each of the page's handlers catches its own errors and shows them,
    // and the browser reports anything else like a throw from a synchronous handler.
    files: ['web/src/**/*.ts'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }] },
  },
  {
    // Tests and benchmarks read JSON off the wire (`any`) and hand methods to `expect`; the promise rules stay on.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // ws hands over RawData; our servers and clients only ever send text frames.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
);
