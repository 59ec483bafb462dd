#!/usr/bin/env node
// `npm start`: the desktop app. Where Electron cannot start (its binary missing, as on machines
// without GitHub access, or no display), web mode opens instead — and says so.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
let binary;
let reason;

/** Whether the electron package has its binary (npm ci leaves it to be downloaded on first use). */
function installed(dir) {
  const pathFile = path.join(dir, 'path.txt');
  return existsSync(pathFile) && existsSync(path.join(dir, 'dist', readFileSync(pathFile, 'utf8')));
}

try {
  const dir = path.dirname(require.resolve('electron/package.json'));
  if (!installed(dir)) {
    // Its own download, quietly: on a machine that cannot reach GitHub it fails, and one line
    // says so rather than the downloader's stack trace.
    process.stderr.write('flotilla: downloading Electron (once)…\n');
    // (A network that drops packets instead of refusing would hang it: ten minutes at most,
    // enough for its ~100 MB on a slow line.)
    const download = spawnSync(process.execPath, [path.join(dir, 'install.js')], { encoding: 'utf8', timeout: 600_000 });
    if (download.status !== 0 || !installed(dir)) {
      const timedOut = download.error?.code === 'ETIMEDOUT';
      const why = timedOut ? 'not done within 10 minutes' : (`${download.stderr ?? ''}`.split('\n').find((line) => /error|failed/i.test(line))?.trim() ?? `exit ${download.status}`);
      throw new Error(`Electron's binary could not be downloaded (${why})`);
    }
  }
  // In plain Node the electron package answers with its binary's path.
  binary = require('electron');
} catch (error) {
  reason = String(error?.message ?? error).split('\n')[0];
}
if (binary && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY && process.platform === 'linux') {
  reason = 'no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  binary = undefined;
}

if (binary) {
  const child = spawn(binary, [repo, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
} else {
  process.stderr.write(`flotilla: the desktop app cannot start here: ${reason}\nflotilla: opening web mode instead (the same app in your browser, this machine only)\n`);
  const child = spawn(process.execPath, [`${repo}core/host/cli/flotilla.cjs`, 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}
