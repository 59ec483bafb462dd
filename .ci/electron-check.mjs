#!/usr/bin/env node
// The desktop app's checks that run without the Electron binary (it cannot be downloaded in
// CI): electronegativity on electron/ with no high-severity finding, and electron-builder's
// packaging of the built app against a stand-in Electron, whose app.asar must hold the app
// and whose unpacked part the native modules and the task launcher.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listPackage } from '@electron/asar';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => path.join(repo, 'node_modules', '.bin', name);
const work = mkdtempSync(path.join(tmpdir(), 'flotilla-electron-check-'));
let failed = false;
const fail = (message) => {
  process.stderr.write(`electron check: ${message}\n`);
  failed = true;
};

// 1. electronegativity
const version = JSON.parse(readFileSync(path.join(repo, 'node_modules/electron/package.json'), 'utf8')).version;
const report = path.join(work, 'electronegativity.csv');
const scan = spawnSync(bin('electronegativity'), ['-i', path.join(repo, 'electron'), '-r', '-e', version, '-o', report], { encoding: 'utf8' });
if (!existsSync(report)) fail(`electronegativity wrote no report:\n${scan.stdout}\n${scan.stderr}`);
else {
  const rows = readFileSync(report, 'utf8').trim().split('\n').slice(1);
  const high = rows.filter((row) => /^[A-Z_]+,"(HIGH|CRITICAL)"/.test(row));
  process.stdout.write(`electronegativity (Electron ${version}): ${rows.length} findings below high severity, ${high.length} high\n`);
  for (const row of high) fail(`high-severity finding: ${row}`);
}

// 2. electron-builder against a stand-in Electron
const standIn = path.join(work, 'electron-dist');
spawnSync('mkdir', ['-p', standIn]);
writeFileSync(path.join(standIn, 'electron'), '#!/bin/sh\necho stand-in\n');
chmodSync(path.join(standIn, 'electron'), 0o755);
const output = path.join(work, 'dist');
const build = spawnSync(bin('electron-builder'), ['--linux', 'dir', '--publish', 'never', `-c.electronDist=${standIn}`, `-c.electronVersion=${version}`, `-c.directories.output=${output}`, '-c.npmRebuild=false'], { cwd: repo, encoding: 'utf8' });
const log = `${build.stdout}\n${build.stderr}`;
// The stand-in has no fuse wire to flip: that last step only runs on a real Electron.
if (build.status !== 0 && !/Could not find sentinel in the provided Electron binary/.test(log)) fail(`electron-builder failed:\n${log}`);
const resources = path.join(output, 'linux-unpacked', 'resources');
if (!existsSync(path.join(resources, 'app.asar'))) fail(`no app.asar was built:\n${log}`);
else {
  const files = new Set(listPackage(path.join(resources, 'app.asar')).map((file) => file.replace(/\\/g, '/')));
  for (const wanted of ['/package.json', '/out/electron/main.mjs', '/out/electron/preload.cjs', '/out/renderer/index.html', '/out/cli/main.cjs', '/resources/launcher.c']) if (!files.has(wanted)) fail(`app.asar lacks ${wanted}`);
  const maps = [...files].filter((file) => file.endsWith('.map'));
  if (maps.length > 0) fail(`app.asar carries source maps: ${maps.slice(0, 3).join(', ')}`);
  for (const unpacked of ['node_modules/better-sqlite3', 'node_modules/node-pty', 'out/launcher', 'resources/launcher.pl']) if (!existsSync(path.join(resources, 'app.asar.unpacked', unpacked))) fail(`${unpacked} is not unpacked from the asar`);
  process.stdout.write(`electron-builder: app.asar with ${files.size} entries; native modules and the launcher unpacked\n`);
}
rmSync(work, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
