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
      // From the strict set: a deprecated API is one the next major removes.
      '@typescript-eslint/no-deprecated': 'error',
      // An async function without await is how a synchronous implementation fulfils a Promise-returning interface (a throw becomes a rejection).
      '@typescript-eslint/require-await': 'off',
      // A leading underscore names a parameter a signature requires but the body does not use (Express's error handler's
      // `next`); a rest sibling is how a property is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
);
