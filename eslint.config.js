// Lint: typescript-eslint's recommended rules with types, and the module
// borders of STYLE.md (imports only go down the list) enforced by import-x.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const layers = ['shared', 'jobtree', 'store', 'logstream', 'node-agent', 'api', 'cli'];
// Each layer may import only the layers before it in the list.
const borders = layers.slice(0, -1).map((layer, i) => ({
  target: `./src/${layer}`,
  from: layers.slice(i + 1).map((l) => `./src/${l}`),
  message: `src/${layer} may not import from layers above it (STYLE.md module borders)`,
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'docs/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: borders }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/jobtree/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'ioredis', 'koa', 'fs'], message: 'src/jobtree is pure: no I/O' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'ioredis', message: 'only src/store talks to Redis' }] },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
