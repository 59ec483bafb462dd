#!/usr/bin/env node
// The `flotilla` command. It runs the bundle `npm ci` builds (out/cli/main.cjs) unless a
// source file is newer, and otherwise the TypeScript sources directly (Node ≥ 22.18 strips
// their types), so a change is never run stale.
//
// Start-up is most of a short command, so:
//   - this file and the bundle are CommonJS: Node sets up no ES module loader for them, and an
//     ES import of a built-in would make it read every export of that module;
//   - the bundle is compiled with a code cache that an earlier command left, made when that
//     command ended: it holds every function the command ran. (Node's own compile cache holds
//     only what is compiled as a file loads, and a bundle's functions compile when first called.)
'use strict';

// An older Node cannot run Flotilla (type stripping, better-sqlite3's addon): say so, instead
// of failing somewhere later (Node 20 crashes loading the addon).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`flotilla: needs Node.js 22.18 or newer; ${process.execPath} is ${process.version}\n`);
  process.exit(70);
}

const fs = require('node:fs');
const path = require('node:path');

// Keeps what Node compiles of other files (the packages not bundled, such as js-yaml; the sources) between runs.
require('node:module').enableCompileCache?.();

const bundle = path.join(__dirname, '..', '..', '..', 'out', 'cli', 'main.cjs');
const sources = path.join(__dirname, '..', '..');
const command = process.argv[2];

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path.join(dir, entry.name)));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(path.join(dir, entry.name)).mtimeMs);
  }
  return newest;
}

/** The bundle's size and time, when it is newer than every source. */
function freshBundle() {
  try {
    const stats = fs.statSync(bundle);
    return stats.mtimeMs >= newestSource(sources) ? stats : undefined;
  } catch {
    // No bundle (not built yet): use the sources.
    return undefined;
  }
}

/**
 * Where the code cache is kept (the user's cache folder, one file per installed bundle, so two
 * checkouts do not replace each other's), and what it must match: the bundle as built, and the
 * Node that compiled it (V8 refuses a cache of another version anyway).
 */
function codeCache(stats) {
  const home = process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache');
  // FNV-1a of the bundle's path: a name, not a check (the key inside is the check).
  let name = 0x811c9dc5;
  for (let i = 0; i < bundle.length; i++) name = Math.imul(name ^ bundle.charCodeAt(i), 0x01000193) >>> 0;
  return {
    file: path.join(home, 'flotilla', `cli-code-cache-${name.toString(16)}.bin`),
    key: JSON.stringify({ bundle, size: stats.size, mtimeMs: stats.mtimeMs, node: process.version, arch: process.arch }),
  };
}

/** The cache's data and the command that made it, if it was made for this bundle. */
function readCache(cache) {
  try {
    const data = fs.readFileSync(cache.file);
    const end = data.indexOf(10);
    const header = JSON.parse(data.subarray(0, end).toString());
    return header.key === cache.key ? { data: data.subarray(end + 1), command: header.command } : undefined;
  } catch {
    // None yet, unreadable or damaged: the bundle compiles as it runs, and a new cache is made.
    return undefined;
  }
}

/** Loads the bundle as Node loads a CommonJS file, compiled with the cache when there is one. */
function loadBundle(stats) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const cache = codeCache(stats);
  const cached = readCache(cache);
  const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle, ...(cached ? { cachedData: cached.data } : {}) });
  const bundleModule = new Module(bundle, module);
  bundleModule.filename = bundle;
  bundleModule.paths = Module._nodeModulePaths(path.dirname(bundle));
  script.runInThisContext().call(bundleModule.exports, bundleModule.exports, Module.createRequire(bundle), bundleModule, bundle, path.dirname(bundle));
  bundleModule.loaded = true;
  // A cache made by another command than `run` lacks most of what a run compiles.
  const renew = !cached || script.cachedDataRejected === true || (command === 'run' && cached.command !== 'run');
  return { main: bundleModule.exports.main, save: renew ? () => saveCache(cache, script) : () => {} };
}

function saveCache(cache, script) {
  try {
    fs.mkdirSync(path.dirname(cache.file), { recursive: true });
    const temporary = `${cache.file}.${process.pid}`;
    fs.writeFileSync(temporary, Buffer.concat([Buffer.from(`${JSON.stringify({ key: cache.key, command })}\n`), script.createCachedData()]));
    // Whole or not at all, whatever other command writes it at the same time.
    fs.renameSync(temporary, cache.file);
  } catch {
    // A read-only home: every command compiles as it runs.
  }
}

// Ends the process once its output is written, without the teardown that would close the
// store the command left open (see withStore in commands.ts) and wait for it.
function exit(code, save) {
  save();
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

const stats = freshBundle();
const loaded = stats ? new Promise((resolve) => resolve(loadBundle(stats))) : import('./main.ts').then(({ main }) => ({ main, save: () => {} }));
loaded
  .then(({ main, save }) =>
    main(process.argv.slice(2)).then(
      (code) => exit(code, save),
      (error) => {
        process.stderr.write(`flotilla: internal error: ${error?.stack ?? error}\n`);
        exit(70, () => {});
      },
    ),
  )
  .catch((error) => {
    process.stderr.write(`flotilla: internal error: ${error?.stack ?? error}\n`);
    process.exit(70);
  });
