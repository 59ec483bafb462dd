/** Paths in the packaged desktop app: executed files are taken from beside the archive. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isPackaged, unpacked } from '../../core/util/resources.ts';
import { tempDir } from '../helpers.ts';

describe('packaged paths', () => {
  it('maps a file inside app.asar to app.asar.unpacked when it was unpacked, and leaves others alone', (t) => {
    const dir = tempDir(t);
    const inside = path.join(dir, 'resources', 'app.asar', 'out', 'launcher');
    const outside = path.join(dir, 'resources', 'app.asar.unpacked', 'out', 'launcher');
    assert.equal(unpacked(inside), inside, 'not unpacked: kept');
    mkdirSync(path.dirname(outside), { recursive: true });
    writeFileSync(outside, '');
    assert.equal(unpacked(inside), outside);
    assert.equal(unpacked('/usr/bin/perl'), '/usr/bin/perl');
    assert.ok(isPackaged(inside) && isPackaged(outside));
    assert.ok(!isPackaged(path.join(dir, 'out', 'launcher')));
  });
});
