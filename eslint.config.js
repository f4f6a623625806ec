// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'test-output/', 'bench/results/', '**/*.js', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // The checking tsconfig covers src/, migrations/, test/, bench/, scripts/ and vitest.config.ts.
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // From the strict set: a deprecated API is one the next major removes. The legacy SSE transport is served on
      // purpose, for clients that do not speak Streamable HTTP yet.
      '@typescript-eslint/no-deprecated': [
        'error',
        { allow: [{ from: 'package', package: '@modelcontextprotocol/sdk', name: ['SSEServerTransport', 'SSEClientTransport'] }] },
      ],
      // An async function without await is how a synchronous implementation fulfils a Promise-returning interface (a throw becomes a rejection).
      '@typescript-eslint/require-await': 'off',
      // Passing on a caught error or an AbortSignal's reason as it came is not rejecting with a non-error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A leading underscore names a parameter a signature requires but the body does not use (Express's error handler's
      // `next`); a rest sibling is how a property is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // vitest's asymmetric matchers (expect.any, expect.stringContaining, …) are typed any by design.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
