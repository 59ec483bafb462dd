import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { download, inputFiles, prepareLocalPath, StagingError, upload } from '../../../core/targets/remote/staging.ts';
import { tempDir } from '../../helpers.ts';
import type { TransferProgress } from '../../../core/targets/remote/staging.ts';
import { remoteHarness } from './harness.ts';

describe('staging over SFTP (test cluster)', () => {
  it('uploads what changed, skips what did not, renames into place, and downloads the same way', async (t) => {
    const h = remoteHarness(t);
    const connection = h.clusters.connection('cluster');
    await connection.connect(false);
    const home = (await connection.exec('pwd')).stdout.trim();
    const remoteRoot = `${home}/${h.root}/staging`;
    mkdirSync(path.join(h.dir, 'data', 'deep'), { recursive: true });
    writeFileSync(path.join(h.dir, 'data', 'a.txt'), 'alpha\n');
    writeFileSync(path.join(h.dir, 'data', 'deep', 'b.txt'), 'beta\n');
    writeFileSync(path.join(h.dir, 'c with space.txt'), 'gamma\n');
    const files = inputFiles(h.dir, ['data', '*.txt'], remoteRoot);
    assert.deepEqual(files.map((file) => path.posix.relative(remoteRoot, file.remote)).sort(), ['c with space.txt', 'data/a.txt', 'data/deep/b.txt']);
    const seen: TransferProgress[] = [];
    const first = await upload(connection, files, new Map(), { onProgress: (progress) => seen.push(progress) });
    assert.deepEqual([first.files, first.skipped, first.bytes], [3, 0, 17]);
    assert.equal(seen.at(-1)!.bytes, 17, 'progress ends at the total');
    assert.equal(h.onCluster(`cat ${remoteRoot}/data/deep/b.txt`), 'beta\n');
    assert.equal(h.onCluster(`find ${remoteRoot} -name '*flotilla-part*' | wc -l`).trim(), '0', 'no temporary file is left');
    // A second upload (another process: nothing remembered) finds size and time equal.
    const second = await upload(connection, files, new Map());
    assert.deepEqual([second.files, second.skipped], [0, 3]);
    // A changed file goes up again; the same size with another time does too.
    writeFileSync(path.join(h.dir, 'data', 'a.txt'), 'ALPHA\n');
    utimesSync(path.join(h.dir, 'data', 'a.txt'), new Date(), new Date(Date.now() + 5_000));
    const third = await upload(connection, files, new Map());
    assert.deepEqual([third.files, third.skipped], [1, 2]);
    assert.equal(h.onCluster(`cat ${remoteRoot}/data/a.txt`), 'ALPHA\n');
    // With checksums, equal times do not hide a changed content.
    const stamp = new Date('2026-01-01T00:00:00Z');
    utimesSync(path.join(h.dir, 'data', 'a.txt'), stamp, stamp);
    await upload(connection, files, new Map());
    writeFileSync(path.join(h.dir, 'data', 'a.txt'), 'AlPhA\n');
    utimesSync(path.join(h.dir, 'data', 'a.txt'), stamp, stamp);
    assert.equal((await upload(connection, files, new Map())).files, 0, 'size and time alone miss it');
    assert.equal((await upload(connection, files, new Map(), { hash: true })).files, 1, 'the checksum finds it');
    // Down: into a fresh folder, then nothing again.
    const back = files.map((file) => ({ remote: file.remote, local: path.join(h.dir, 'back', path.posix.relative(remoteRoot, file.remote)), size: readFileSync(file.local).length, mtime: Math.floor(Date.now() / 1000) }));
    const listed = h.onCluster(`cd ${remoteRoot} && find . -type f -printf '%P %s %T@\\n'`).trim().split('\n').map((line) => line.split(' '));
    for (const pair of back) {
      const row = listed.find((entry) => pair.remote.endsWith(entry.slice(0, -2).join(' ')))!;
      pair.size = Number(row.at(-2));
      pair.mtime = Math.floor(Number(row.at(-1)));
    }
    assert.equal((await download(connection, h.dir, back)).files, 3);
    assert.equal(readFileSync(path.join(h.dir, 'back', 'c with space.txt'), 'utf8'), 'gamma\n');
    assert.equal((await download(connection, h.dir, back)).skipped, 3);
    // With checksums, unchanged files stay where they are; a local copy changed behind equal size and time comes down again.
    assert.equal((await download(connection, h.dir, back, { hash: true })).skipped, 3);
    const copy = path.join(h.dir, 'back', 'data', 'a.txt');
    const { mtime } = statSync(copy);
    writeFileSync(copy, 'aLpHa\n');
    utimesSync(copy, mtime, mtime);
    assert.equal((await download(connection, h.dir, back)).files, 0, 'size and time alone miss it');
    const checked = await download(connection, h.dir, back, { hash: true });
    assert.deepEqual([checked.files, checked.skipped], [1, 2]);
    assert.equal(readFileSync(copy, 'utf8'), 'AlPhA\n');
  });

  it('an input that matches nothing, or reaches outside the workflow folder, is an error naming it', (t) => {
    const h = remoteHarness(t);
    assert.throws(() => inputFiles(h.dir, ['missing/*.dat'], '/r'), (error: Error) => error instanceof StagingError && /input 'missing\/\*\.dat' matches no file/.test(error.message));
    assert.throws(() => inputFiles(path.join(h.dir, 'home'), ['../ssh_config'], '/r'), /reaches outside the workflow folder/);
  });

  it('an input that is a link to a file outside the folder, or a folder holding one, is refused; a link inside is fine', (t) => {
    const dir = tempDir(t);
    const outside = tempDir(t);
    writeFileSync(path.join(outside, 'id_rsa'), 'secret');
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'real.txt'), 'real');
    symlinkSync(path.join(dir, 'data', 'real.txt'), path.join(dir, 'inside.txt'));
    assert.deepEqual(inputFiles(dir, ['inside.txt'], '/r').map((file) => file.remote), ['/r/inside.txt']);
    symlinkSync(path.join(outside, 'id_rsa'), path.join(dir, 'key.txt'));
    assert.throws(() => inputFiles(dir, ['key.txt'], '/r'), /input 'key\.txt' reaches outside the workflow folder/);
    symlinkSync(path.join(outside, 'id_rsa'), path.join(dir, 'data', 'hidden'));
    assert.throws(() => inputFiles(dir, ['data'], '/r'), /input 'data' reaches outside the workflow folder/);
  });

  it('a download is never written through a link or outside the task\'s folder', (t) => {
    const dir = tempDir(t);
    const outside = tempDir(t);
    symlinkSync(outside, path.join(dir, 'results'));
    assert.throws(() => prepareLocalPath(dir, path.join(dir, 'results', 'x.txt')), (error: Error) => error instanceof StagingError && /through the symbolic link/.test(error.message));
    assert.throws(() => prepareLocalPath(dir, path.join(dir, '..', 'escaped.txt')), /not below the task's folder/);
    prepareLocalPath(dir, path.join(dir, 'a', 'b', 'c.txt'));
    assert.ok(statSync(path.join(dir, 'a', 'b')).isDirectory());
    assert.equal(existsSync(path.join(outside, 'x.txt')), false);
  });
});
