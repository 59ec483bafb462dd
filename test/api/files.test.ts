/**
 * What the first screen lists: a folder's subfolders and workflow files (which load, which do
 * not and why; hostile names as data; links followed only to say what they are), the bundled
 * examples (copied once, never over the user's copy), the recent files with their last run.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { FolderEntry, RecentFile } from '../../core/api/types.ts';
import { tempDir } from '../helpers.ts';
import { openService } from './harness.ts';

function service(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  return { dir, ...openService(t, path.join(dir, '.home')) };
}

describe('files for the first screen', () => {
  it('lists folders and workflow files, says which load, and takes names and links as data', async (t) => {
    const s = service(t);
    const dir = path.join(s.dir, 'project');
    mkdirSync(path.join(dir, 'runs'), { recursive: true });
    writeFileSync(path.join(dir, 'ok.yaml'), 'version: 1\ntasks:\n  a: { run: "true" }\n');
    writeFileSync(path.join(dir, 'cycle.yml'), 'version: 1\ntasks:\n  a: { after: b, run: "true" }\n  b: { after: a, run: "true" }\n');
    writeFileSync(path.join(dir, 'data.json'), '{"x": 1}');
    writeFileSync(path.join(dir, 'odd\nname $(x).yaml'), 'version: 1\ntasks:\n  a: { run: "true" }\n');
    writeFileSync(path.join(dir, '.hidden.yaml'), 'version: 1\ntasks: {}\n');
    symlinkSync('/etc', path.join(dir, 'elsewhere'));
    symlinkSync(path.join(dir, 'gone'), path.join(dir, 'dangling.yaml'));
    const listing = await s.value<{ dir: string; parent: string; entries: FolderEntry[] }>('files.list', { dir });
    assert.equal(listing.parent, s.dir);
    const shown = listing.entries.map((entry) => [entry.name, entry.kind, entry.loads ?? null]);
    assert.deepEqual(shown, [
      ['elsewhere', 'folder', null],
      ['runs', 'folder', null],
      ['odd\nname $(x).yaml', 'workflow', true],
      ['ok.yaml', 'workflow', true],
      ['cycle.yml', 'workflow', false],
      ['data.json', 'file', null],
    ]);
    assert.match(listing.entries.find((entry) => entry.name === 'cycle.yml')!.problem!, /cycle/);
    const missing = (await s.api.call('files.list', { dir: path.join(dir, 'nope') })) as { ok: false; error: { code: string; message: string } };
    assert.equal(missing.error.code, 'cannot-read');
  });

  it('copies an example once, into the home folder, and never over the copy', async (t) => {
    const s = service(t);
    const home = process.env.HOME;
    process.env.HOME = s.dir;
    t.after(() => (process.env.HOME = home));
    const examples = await s.value<{ name: string; title: string; description: string }[]>('workflows.examples', {});
    assert.ok(examples.some((example) => example.name === 'md-sweep' && example.description.length > 0));
    const { file } = await s.value<{ file: string }>('workflows.example', { name: 'md-sweep' });
    assert.equal(file, path.join(s.dir, 'flotilla-examples', 'md-sweep', 'workflow.yaml'));
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# mine\n`);
    await s.value('workflows.example', { name: 'md-sweep' });
    assert.match(readFileSync(file, 'utf8'), /# mine\n$/);
    const unknown = (await s.api.call('workflows.example', { name: '../../etc' })) as { ok: false; error: { code: string } };
    assert.equal(unknown.error.code, 'no-such-file');
    // A file run is recent, with its last run.
    const started = await s.value<{ run: string }>('runs.start', { file: path.join(s.dir, 'flotilla-examples', 'md-sweep', 'workflow.yaml') });
    await s.api.idle();
    const recent = await s.value<RecentFile[]>('workflows.recent', {});
    assert.equal(recent[0]!.file, file);
    assert.equal(recent[0]!.lastRun!.id, started.run);
  });
});
