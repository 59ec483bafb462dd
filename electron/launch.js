#!/usr/bin/env node
// `npm start`: the desktop app. Where Electron cannot start (its binary missing, as on machines
// without GitHub access, or no display), web mode opens instead — and says so.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
let binary;
let reason;
try {
  // In plain Node the electron package answers with its binary's path, or throws when it has none.
  binary = createRequire(import.meta.url)('electron');
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
