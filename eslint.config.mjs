import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'lib/',
      'dist-langs/',
      'node_modules/',
      'cdktf.out/',
      '.tmp/',
      '.demo/',
      'constructs/bindings/',
      '**/.gen/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Tests read synthesized Terraform JSON and state files, whose shape is what they assert.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Node 20 builds the message of a failing assert.ok(value) / assert(value) without one by re-parsing the call
    // site from the file on disk; for TypeScript run through tsx the positions do not match the source, and its
    // search recurses without end, blocking the event loop: the test hangs instead of failing, and no test timeout
    // can fire. Always pass a message.
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='assert'][callee.property.name='ok'][arguments.length<2]",
          message: 'Pass a message: a failing assert.ok(value) without one hangs under tsx on Node 20.',
        },
        {
          selector: "CallExpression[callee.name='assert'][arguments.length<2]",
          message: 'Pass a message: a failing assert(value) without one hangs under tsx on Node 20.',
        },
      ],
    },
  },
  {
    // The bin stub is plain CommonJS that loads the bundled CLI.
    files: ['bin/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
