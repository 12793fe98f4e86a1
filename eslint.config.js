import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', '.ci-venv/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The console's browser modules: tsc (sources/console/tsconfig.json, DOM lib) checks their names.
    files: ['sources/console/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
);
