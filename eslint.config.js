import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    // CommonJS entry points (the `flotilla` command) take modules with require.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...coreLayers(),
  {
    // The desktop app's main process talks to the core through the contract and the hosts' adapters only.
    files: ['electron/**/*.ts', 'electron/**/*.js'],
    rules: restrictImports([{ regex: '^\\.\\.?/(?:.*/)?core/(?!api/|host/)', message: 'electron/ imports only core/api (the contract) and core/host (the hosts\' adapters).' }]),
  },
  {
    // The interface reads the contract's types and the model's plain rules; the rest of the core is not its to import.
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    ignores: ['renderer/vite.config.ts'],
    rules: restrictImports([
      { regex: '^\\.\\.?/(?:.*/)?core/(?!api/|model/)', message: 'renderer/ imports only core/api (the contract\'s types) and core/model (plain rules shared with the core).' },
      { regex: '^\\.\\.?/(?:.*/)?electron/', message: 'renderer/ talks to the desktop app through its preload bridge only (core/api/channels.ts names the channels).' },
    ]),
  },
);

/**
 * `no-restricted-imports` for static imports and re-exports, and the same patterns for what
 * that rule does not see: `import()` expressions and `import('…')` types.
 */
function restrictImports(patterns) {
  const selectors = patterns
    .filter((pattern) => pattern.regex !== undefined)
    .flatMap(({ regex, message }) => {
      // (A selector's regular expression may not hold a slash: written as \x2F.)
      const source = regex.replaceAll('/', '\\x2F');
      return [
        { selector: `ImportExpression > Literal[value=/${source}/]`, message },
        { selector: `TSImportType Literal[value=/${source}/]`, message },
      ];
    });
  return { 'no-restricted-imports': ['error', { patterns }], 'no-restricted-syntax': ['error', ...selectors] };
}

/**
 * The core's layers, lowest first: a module imports only from its own layer and those below
 * (as VS Code's layering check does), so the model knows nothing of the store, the store
 * nothing of the scheduler, and only the hosts see everything.
 */
function coreLayers() {
  const layers = [['util'], ['model'], ['store', 'ssh'], ['targets', 'terminals'], ['scheduler'], ['api'], ['host']];
  // core/ runs in plain Node: no Electron, React, xyflow, xterm, or DOM.
  const plainNode = [
    { group: ['electron', 'electron/*', 'electron-store'], message: 'core/ runs in plain Node; Electron belongs in electron/.' },
    { group: ['react', 'react-dom', 'react/*', 'react-dom/*', '@xyflow/*', 'xterm', '@xterm/*'], message: 'core/ runs in plain Node; UI code belongs in renderer/.' },
  ];
  const blocks = layers.map((layer, index) => {
    const below = layers.slice(0, index + 1).flat();
    const above = layers.slice(index + 1).flat();
    // A relative path that goes through a folder of a higher layer, however it gets there.
    const upward = above.length === 0 ? [] : [{ regex: `^\\.\\.?/(?:.*/)?(${above.join('|')})/`, message: `core/${layer.join(', core/')} may import only from core/${below.join(', core/')} (the layers util < model < store, ssh < targets, terminals < scheduler < api < host).` }];
    return {
      files: layer.flatMap((name) => [`core/${name}/**/*.ts`, `core/${name}/**/*.js`, `core/${name}/**/*.cjs`]),
      rules: {
        ...restrictImports([...plainNode, ...upward]),
        'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'localStorage'],
      },
    };
  });
  // The CLI is an adapter of the service, as web mode and the desktop app are: it parses,
  // calls core/api, prints and prompts; driving runs and reading the store is the service's.
  blocks.push({
    files: ['core/host/cli/**/*.ts', 'core/host/cli/**/*.js', 'core/host/cli/**/*.cjs'],
    rules: restrictImports([
      ...plainNode,
      { regex: '^\\.\\.?/(?:.*/)?(scheduler|store)/', message: 'core/host/cli calls the service (core/api) for what the scheduler and the store do: it imports neither.' },
    ]),
  });
  return blocks;
}
