import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, tempDir } from '../helpers.ts';

/**
 * The `flotilla` entry point in a checkout of its own: its real file, and a stand-in bundle
 * and sources, so what is tested is how it picks and loads them.
 */
function checkout(t: Parameters<typeof tempDir>[0]) {
  const root = tempDir(t);
  const entry = path.join(root, 'core', 'host', 'cli', 'flotilla.cjs');
  const bundle = path.join(root, 'out', 'cli', 'main.cjs');
  mkdirSync(path.dirname(entry), { recursive: true });
  mkdirSync(path.dirname(bundle), { recursive: true });
  copyFileSync(CLI, entry);
  writeFileSync(path.join(path.dirname(entry), 'main.ts'), "export async function main(argv: string[]): Promise<number> {\n  process.stdout.write(`sources ${argv.join(' ')}\\n`);\n  return 0;\n}\n");
  writeFileSync(bundle, "'use strict';\nfunction twice(text) { return text + text; }\nexports.main = async (argv) => { process.stdout.write(`bundle ${twice(argv.join(' '))} ${__filename === require('node:path').resolve(__filename)}\\n`); return argv[0] === 'fail' ? 3 : 0; };\n");
  // The bundle is newer than the sources, as after a build.
  const built = Date.now() / 1000;
  utimesSync(path.join(path.dirname(entry), 'main.ts'), built - 60, built - 60);
  utimesSync(bundle, built, built);
  const cacheHome = path.join(root, 'cache');
  const cacheFolder = path.join(cacheHome, 'flotilla');
  const cacheFile = () => path.join(cacheFolder, readdirSync(cacheFolder).find((name) => /^cli-code-cache-[0-9a-f]+\.bin$/.test(name))!);
  const run = (...args: string[]) => {
    const result = spawnSync(process.execPath, [entry, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome } });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const header = () => {
    const data = readFileSync(cacheFile());
    return JSON.parse(data.subarray(0, data.indexOf(10)).toString()) as { key: string; command: string };
  };
  return { entry, bundle, cacheFolder, cacheFile, run, header };
}

describe('the flotilla command', () => {
  it('runs the bundle with a code cache made by an earlier command, and makes it anew when the bundle changed or it is damaged', (t) => {
    const c = checkout(t);
    const first = c.run('status');
    assert.deepEqual([first.code, first.stdout, first.stderr], [0, 'bundle statusstatus true\n', '']);
    assert.equal(c.header().command, 'status');
    assert.match(c.header().key, new RegExp(`"node":"${process.version}"`));
    const made = statSync(c.cacheFile()).mtimeMs;
    // Taken as it is by the next command, which exits with the bundle's code.
    assert.equal(c.run('fail').code, 3);
    assert.equal(statSync(c.cacheFile()).mtimeMs, made);
    // A run compiles more than the rest: a cache made by another command is made again by a run.
    assert.equal(c.run('run', 'x').stdout, 'bundle run xrun x true\n');
    assert.equal(c.header().command, 'run');
    // Damaged: ignored, and replaced.
    writeFileSync(c.cacheFile(), 'garbage');
    assert.equal(c.run('status').stdout, 'bundle statusstatus true\n');
    assert.equal(c.header().command, 'status');
    // A rebuilt bundle does not take the old cache.
    const before = c.header().key;
    writeFileSync(c.bundle, readFileSync(c.bundle, 'utf8').replace('bundle ', 'rebuilt '));
    assert.equal(c.run('status').stdout, 'rebuilt statusstatus true\n');
    assert.notEqual(c.header().key, before);
  });

  it('runs the sources when one is newer than the bundle, and makes no cache for them', (t) => {
    const c = checkout(t);
    const later = Date.now() / 1000 + 60;
    utimesSync(path.join(path.dirname(c.entry), 'main.ts'), later, later);
    const result = c.run('status', 'last');
    assert.deepEqual([result.code, result.stdout], [0, 'sources status last\n']);
    assert.throws(() => readdirSync(c.cacheFolder), /ENOENT/);
  });

  it('on a Node older than 22.18, says so and runs nothing', (t) => {
    const c = checkout(t);
    const older = path.join(path.dirname(c.entry), 'older-node.cjs');
    writeFileSync(older, "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '22.17.1' } });\nObject.defineProperty(process, 'version', { value: 'v22.17.1' });\n");
    const result = spawnSync(process.execPath, ['--require', older, c.entry, 'status'], { encoding: 'utf8' });
    assert.equal(result.status, 70);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `flotilla: needs Node.js 22.18 or newer; ${process.execPath} is v22.17.1\n`);
  });
});
