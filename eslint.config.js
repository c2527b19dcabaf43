// Lint: typescript-eslint's recommended rules, and the module borders of
// docs/design.md (imports only go down the list), enforced with ESLint's
// own no-restricted-imports so that lint needs no native resolver package.
import tseslint from 'typescript-eslint';

const layers = [
  'shared',
  'contracts',
  'jobtree',
  'config',
  'access',
  'store',
  'admission',
  'logstream',
  'supervisor',
  'node-agent',
  'plugins',
  'upkeep',
  'daemon',
  'api',
  'cli',
];

/** The no-restricted-imports rule for files of one layer. */
function borderRule(layer, i) {
  const above = layers.slice(i + 1);
  const patterns = [];
  if (above.length > 0) {
    patterns.push({
      regex: `^(\\.\\./)+(${above.join('|')})/`,
      message: `src/${layer} may not import ${above.join(', ')} (module borders, docs/design.md)`,
    });
  }
  if (layer === 'jobtree') {
    patterns.push({
      group: ['node:*', 'fs', 'koa', 'ioredis'],
      message: 'src/jobtree is pure: no I/O',
    });
  }
  const paths =
    layer === 'store' ? [] : [{ name: 'ioredis', message: 'only src/store talks to Redis' }];
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'docs/**', 'coverage/**', '.jobtree/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...layers.map(borderRule),
  {
    // The browser UI shares only pure code and types with the daemon.
    files: ['src/ui/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(\\.\\./)+(config|store|supervisor|node-agent|plugins|upkeep|daemon|api|cli)/',
              message: 'src/ui runs in the browser: it may use src/shared, src/jobtree and types',
            },
            { group: ['node:*', 'ioredis', 'koa'], message: 'src/ui runs in the browser' },
          ],
        },
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
