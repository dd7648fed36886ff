// Lint: typescript-eslint recommended, plus the bounded-context rule of conventions §1:
// other contexts import a context only through its index.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const contexts = ['authserver', 'exchange', 'proxy', 'controller', 'store', 'pki', 'spiffe', 'config', 'telemetry'];

function restrictImportsExcept(own) {
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: contexts
          .filter((ctx) => ctx !== own)
          .map((ctx) => ({
            regex: `(^|/)(src/)?${ctx}/(?!index\\.ts$).+`,
            message: `import ${ctx} only through its index.ts (conventions §1)`,
          })),
      },
    ],
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'bench/.build/**', 'crds/**', 'config/**', '.dev-state/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
  { files: ['src/**/*.ts', 'webhooks/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'hack/**/*.ts'], rules: restrictImportsExcept(null) },
  ...contexts.map((ctx) => ({ files: [`src/${ctx}/**/*.ts`], rules: restrictImportsExcept(ctx) })),
);
