#!/usr/bin/env node
// The `flotilla` command. It runs the bundle `npm ci` builds (out/cli/main.cjs, quick to load)
// unless a source file is newer, and otherwise the TypeScript sources directly (Node ≥ 22.18
// strips their types), so a change is never run stale.
//
// Built-in modules are taken with getBuiltinModule and the bundle is CommonJS: an ES import of
// a built-in makes Node read every export of it (loading, for node:fs, its streams and
// promises), which cost more at start-up than the rest of loading the bundle.
const { readdirSync, statSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const { fileURLToPath } = process.getBuiltinModule('node:url');

// Keeps compiled code between runs (start-up is most of a no-op rerun).
module.enableCompileCache?.();

const bundle = fileURLToPath(new URL('../../../out/cli/main.cjs', import.meta.url));
const sources = fileURLToPath(new URL('../../', import.meta.url));

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(`${dir}${entry.name}/`));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(`${dir}${entry.name}`).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  try {
    return statSync(bundle).mtimeMs >= newestSource(sources);
  } catch {
    // No bundle (not built yet): use the sources.
    return false;
  }
}

const { main } = bundleIsFresh() ? module.createRequire(import.meta.url)(bundle) : await import('./main.ts');
main(process.argv.slice(2)).then(exit, (error) => {
  process.stderr.write(`flotilla: internal error: ${error?.stack ?? error}\n`);
  exit(70);
});

// Ends the process once its output is written, without the teardown that would close the
// store the command left open (see withStore in commands.ts) and wait for it.
function exit(code) {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
