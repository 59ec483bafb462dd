/**
 * What git says of the repository holding a file, for a run's provenance: the commit checked
 * out, the branch, whether anything tracked is changed, and whether the file itself differs
 * from the commit (changed, not committed, or ignored). One `git status` call (and a `git
 * ls-files` when the status does not name the file), and none at all for a file outside any
 * repository (no `.git` above it); git missing or failing is no repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface GitState {
  /** The repository's top folder. */
  root: string;
  /** The commit checked out (null in a repository with none yet). */
  commit: string | null;
  /** The branch (null when detached). */
  branch: string | null;
  /** Some tracked file differs from the commit. */
  dirty: boolean;
  /** The file itself differs from the commit: changed, or not committed. */
  fileChanged: boolean;
}

/** The folder holding `.git` at or above `dir`, if any. */
export function repositoryOf(dir: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, '.git'))) return at;
    if (path.dirname(at) === at) return undefined;
  }
}

export function gitState(file: string): GitState | null {
  const root = repositoryOf(path.dirname(file));
  if (root === undefined) return null;
  let output: string;
  try {
    output = execFileSync('git', ['-C', root, 'status', '--porcelain=v2', '--branch', '-z', '--untracked-files=normal'], {
      encoding: 'utf8',
      timeout: 5000,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
      // Reading the state takes no lock a user's own git command would trip over.
      env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
    });
  } catch {
    return null; // no git, or not a repository git can read: no provenance from it
  }
  const relative = path.relative(root, path.resolve(file)).split(path.sep).join('/');
  const state = parseStatus(root, output, relative);
  // An ignored file is in no status: one git does not track differs from every commit.
  if (!state.fileChanged && !tracked(root, relative)) state.fileChanged = true;
  return state;
}

function tracked(root: string, relative: string): boolean {
  try {
    return execFileSync('git', ['-C', root, 'ls-files', '-z', '--', `:(literal)${relative}`], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }) !== '';
  } catch {
    return false;
  }
}

/** `git status --porcelain=v2 --branch -z` read for one file (path relative to the root, with /). */
export function parseStatus(root: string, output: string, file: string): GitState {
  const state: GitState = { root, commit: null, branch: null, dirty: false, fileChanged: false };
  const entries = output.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.startsWith('# branch.oid ')) {
      const oid = entry.slice(13);
      state.commit = /^[0-9a-f]{40,64}$/.test(oid) ? oid : null;
    } else if (entry.startsWith('# branch.head ')) {
      const head = entry.slice(14);
      state.branch = head === '(detached)' ? null : head;
    } else if (entry.startsWith('1 ') || entry.startsWith('2 ') || entry.startsWith('u ')) {
      state.dirty = true;
      const fields = entry.split(' ');
      const name = fields.slice(entry.startsWith('1 ') ? 8 : entry.startsWith('2 ') ? 9 : 10).join(' ');
      if (name === file) state.fileChanged = true;
      // A rename's second path (where it came from) is the next entry.
      if (entry.startsWith('2 ')) i++;
    } else if (entry.startsWith('? ')) {
      const name = entry.slice(2);
      if (name === file || (name.endsWith('/') && file.startsWith(name))) state.fileChanged = true;
    }
  }
  return state;
}
