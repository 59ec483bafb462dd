/**
 * Saving a workflow file with a git commit: a per-file setting (off unless turned on), the git
 * command line, and a message made from the edit ("Edit md: add analyze; change md/run"). Only
 * that file is committed (`git commit --only`): whatever else is staged stays staged.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { isMapping } from '../model/node-check.ts';
import { parseText } from '../model/source.ts';
import type { Store } from '../store/store.ts';
import { repositoryOf } from '../util/git.ts';

/** The store's setting key of a file's "commit on save". */
export const commitSetting = (file: string): string => `git-commit:${file}`;

/** Whether the file is in a repository, and whether saves of it are committed. */
export function gitSaving(store: Store, file: string): { repository: string | null; commitOnSave: boolean } {
  return { repository: repositoryOf(path.dirname(file)) ?? null, commitOnSave: store.setting<boolean>(commitSetting(file)) === true };
}

/** Commits the saved file, if its setting says so: the commit, or why there is none. */
export function commitSaved(store: Store, file: string, before: unknown, after: unknown): { commit: string; message: string } | { error: string } | null {
  const { repository, commitOnSave } = gitSaving(store, file);
  if (!commitOnSave) return null;
  if (repository === null) return { error: `${file} is not in a git repository: saved, not committed` };
  const git = (...args: string[]) => execFileSync('git', ['-C', repository, ...args], { encoding: 'utf8', timeout: 15_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  // The file as a pathspec, taken literally (a name with * or [ is no pattern).
  const spec = `:(literal)${path.relative(repository, file).split(path.sep).join('/')}`;
  // The commit holds every change since the file's last commit: the message says those.
  const message = commitMessage(file, committedValue(file, repository, git) ?? before, after);
  let staged = false;
  try {
    // (Staged by the user before: left staged whatever happens.)
    const stagedBefore = git('diff', '--cached', '--name-only', '--', spec) !== '';
    git('add', '--', spec);
    staged = !stagedBefore;
    // Nothing changed since the last commit: nothing to commit.
    if (git('status', '--porcelain', '--', spec) === '') return { error: 'saved; the file is as committed, so there was nothing to commit' };
    git('commit', '--quiet', '--only', '-m', message, '--', spec);
    return { commit: git('rev-parse', 'HEAD'), message };
  } catch (error) {
    // A commit that failed leaves the file as it found it: not staged.
    if (staged) {
      try {
        git('reset', '--quiet', '--', spec);
      } catch {
        // (A repository with no commit yet has nothing to reset to: the file stays staged.)
      }
    }
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    return { error: `saved, but git could not commit it: ${stderr.split('\n').filter(Boolean).slice(-2).join(' ') || (error as Error).message}` };
  }
}

/** The file as its last commit has it, read as data (undefined: not committed, or not readable). */
function committedValue(file: string, repository: string, git: (...args: string[]) => string): unknown {
  try {
    const relative = path.relative(repository, file).split(path.sep).join('/');
    return parseText(file, git('show', `HEAD:./${relative}`));
  } catch {
    return undefined; // never committed (or not as a workflow): the edit is measured from the save before
  }
}

/** A commit message from what the edit did to the tasks (by path), or to the rest. */
export function commitMessage(file: string, before: unknown, after: unknown): string {
  const was = taskPaths(isMapping(before) ? before.tasks : undefined);
  const now = taskPaths(isMapping(after) ? after.tasks : undefined);
  const added = [...now.keys()].filter((task) => !was.has(task));
  const removed = [...was.keys()].filter((task) => !now.has(task));
  const changed = [...now.keys()].filter((task) => was.has(task) && was.get(task) !== now.get(task));
  const parts = [
    ...(added.length > 0 ? [`add ${names(added)}`] : []),
    ...(changed.length > 0 ? [`change ${names(changed)}`] : []),
    ...(removed.length > 0 ? [`remove ${names(removed)}`] : []),
  ];
  const name = isMapping(after) && typeof after.name === 'string' ? after.name : path.basename(file);
  return `Edit ${name}: ${parts.length > 0 ? parts.join('; ') : 'settings'}\n\nSaved by Flotilla's editor.`;
}

function names(list: string[]): string {
  return list.length <= 4 ? list.join(', ') : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
}

/** Each task's (and group's own fields') JSON by path. */
function taskPaths(tasks: unknown, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  if (!isMapping(tasks)) return found;
  for (const [name, entry] of Object.entries(tasks)) {
    const at = `${prefix}${name}`;
    if (isMapping(entry) && isMapping(entry.tasks)) {
      const { tasks: inner, ...own } = entry;
      found.set(at, JSON.stringify(own));
      for (const [path, json] of taskPaths(inner, `${at}/`)) found.set(path, json);
    } else {
      found.set(at, JSON.stringify(entry));
    }
  }
  return found;
}
