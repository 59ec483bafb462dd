#!/usr/bin/env node
// The `flotilla` command. It runs the bundle `npm ci` builds (out/cli/main.js, quick to load)
// unless a source file is newer, and otherwise the TypeScript sources directly (Node ≥ 22.18
// strips their types), so a change is never run stale.
import { readdirSync, statSync } from 'node:fs';
import module from 'node:module';

// Keeps compiled code between runs (start-up is most of a no-op rerun).
module.enableCompileCache?.();

const bundle = new URL('../../../out/cli/main.js', import.meta.url);
const sources = new URL('../../', import.meta.url);

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const child = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(child));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(child).mtimeMs);
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

const { main } = await import(bundleIsFresh() ? bundle.href : './main.ts');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`flotilla: internal error: ${error?.stack ?? error}\n`);
    process.exitCode = 70;
  },
);
