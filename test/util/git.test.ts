/**
 * A run's provenance from git: a real repository, clean, with the workflow file changed, with
 * other files changed, with the file never committed; and a file in no repository at all.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gitState, parseStatus } from '../../core/util/git.ts';
import { provenanceOf, textHash } from '../../core/util/provenance.ts';
import { gitIn } from '../api/harness.ts';
import { tempDir } from '../helpers.ts';

function repository(t: Parameters<typeof tempDir>[0]): { root: string; git: (...args: string[]) => string } {
  const root = tempDir(t);
  const git = gitIn(root);
  git('init', '-q', '-b', 'main');
  return { root, git };
}

describe('git state of a workflow file', () => {
  it('names the commit and branch of a clean repository, then says what changed', (t) => {
    const { root, git } = repository(t);
    mkdirSync(path.join(root, 'flows'));
    const file = path.join(root, 'flows', 'md workflow.yaml');
    writeFileSync(file, 'version: 1\n');
    writeFileSync(path.join(root, 'notes.txt'), 'a\n');
    git('add', '.');
    git('commit', '-qm', 'first');
    const head = git('rev-parse', 'HEAD');
    assert.deepEqual(gitState(file), { root, commit: head, branch: 'main', dirty: false, fileChanged: false });
    writeFileSync(path.join(root, 'notes.txt'), 'b\n');
    assert.deepEqual(gitState(file), { root, commit: head, branch: 'main', dirty: true, fileChanged: false });
    writeFileSync(file, 'version: 1\nname: x\n');
    assert.equal(gitState(file)!.fileChanged, true);
    const other = path.join(root, 'flows', 'new.yaml');
    writeFileSync(other, 'version: 1\n');
    assert.equal(gitState(other)!.fileChanged, true);
    // A file git ignores is not the commit's either.
    writeFileSync(path.join(root, '.gitignore'), 'scratch/\n');
    git('add', '.gitignore');
    git('commit', '-qm', 'ignore scratch');
    mkdirSync(path.join(root, 'scratch'));
    const ignored = path.join(root, 'scratch', 'w.yaml');
    writeFileSync(ignored, 'version: 1\n');
    assert.equal(gitState(ignored)!.fileChanged, true);
  });

  it('has no commit in a new repository, and nothing for a file outside any', (t) => {
    const { root } = repository(t);
    const file = path.join(root, 'w.yaml');
    writeFileSync(file, 'version: 1\n');
    assert.deepEqual(gitState(file), { root, commit: null, branch: 'main', dirty: false, fileChanged: true });
    const outside = tempDir(t);
    assert.equal(gitState(path.join(outside, 'w.yaml')), null);
    const provenance = provenanceOf(path.join(outside, 'w.yaml'), 'version: 1\n');
    assert.equal(provenance.fileHash, textHash('version: 1\n'));
    assert.equal(provenance.git, null);
    assert.match(provenance.version, /^\d+\.\d+\.\d+/);
  });

  it('reads renames and untracked folders in what git prints', () => {
    const output = ['# branch.oid ' + 'a'.repeat(40), '# branch.head (detached)', '2 R. N... 100644 100644 100644 x y R100 new name.yaml', 'old name.yaml', '? flows/', ''].join('\0');
    assert.deepEqual(parseStatus('/r', output, 'new name.yaml'), { root: '/r', commit: 'a'.repeat(40), branch: null, dirty: true, fileChanged: true });
    assert.equal(parseStatus('/r', output, 'old name.yaml').fileChanged, false);
    assert.equal(parseStatus('/r', output, 'flows/w.yaml').fileChanged, true);
  });
});
