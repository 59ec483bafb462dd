import { createHash } from 'node:crypto';
import { globSync, lstatSync, readdirSync, statSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import type { TaskSpec } from '../model/types.ts';
import type { Store } from '../store/store.ts';
import { folderResolver } from '../util/files.ts';
import { sha256File, sha256Text } from '../util/hash.ts';

/** What a task's content hash is made of; kept with cached results so `--explain` can diff. */
export interface HashParts {
  /** What identifies the task: its workflow file (absolute) and its id. */
  workflow: string;
  task: string;
  run: string;
  shell: string;
  cwd: string;
  env: [string, string][];
  /** Input path (relative to the run root) → content hash, or `missing`. */
  inputs: Record<string, string>;
  /** Upstream task id → its content hash. */
  upstream: Record<string, string>;
}

/** The content hash of a task instance and its parts (also as the JSON text that was hashed). */
export interface TaskHash {
  hash: string;
  parts: HashParts;
  text: string;
}

const GLOB = /[*?[\]{}]/;

/**
 * Computes content hashes of task instances. File hashes are remembered in the store by
 * path, size and mtime, so unchanged inputs are never read twice.
 */
export class Fingerprinter {
  private readonly store: Store;
  private readonly root: string;
  private readonly folder: (relative: string) => string;

  constructor(store: Store, root: string) {
    this.store = store;
    this.root = root;
    this.folder = folderResolver(root);
  }

  taskHash(workflow: string, task: TaskSpec, upstream: Record<string, string>): TaskHash {
    const parts: HashParts = {
      workflow,
      task: task.id,
      run: task.run,
      shell: task.shell,
      cwd: this.folder(task.cwd),
      env: Object.entries(task.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      inputs: {},
      upstream,
    };
    for (const pattern of task.inputs) {
      for (const file of this.expand(pattern)) parts.inputs[file] = this.fileOrFolderHash(path.resolve(this.root, file));
    }
    const text = JSON.stringify(parts);
    return { hash: sha256Text(text), parts, text };
  }

  /**
   * A task's outputs as they are now, in one pass: each file as "size mtime-ns" by its path
   * relative to the task's cwd (folders walked), and the patterns that match nothing. Recorded
   * with a result; a later run reuses the result only while none is missing and the files are
   * unchanged (a file rewritten, truncated or replaced shows here).
   */
  outputState(task: TaskSpec): { files: Record<string, string>; missing: string[] } {
    const cwd = this.folder(task.cwd);
    const files: Record<string, string> = {};
    const missing: string[] = [];
    const visit = (relative: string): boolean => {
      let stats: BigIntStats;
      try {
        stats = lstatSync(path.join(cwd, relative), { bigint: true });
      } catch {
        return false; // absent (or unreadable, which for an output is the same thing)
      }
      if (stats.isDirectory()) for (const entry of readdirSync(path.join(cwd, relative)).sort()) visit(path.join(relative, entry));
      else files[relative] = `${stats.size} ${stats.mtimeNs}`;
      return true;
    };
    for (const pattern of task.outputs) {
      const found = GLOB.test(pattern) ? globSync(pattern, { cwd }).sort().filter(visit).length > 0 : visit(path.normalize(pattern));
      if (!found) missing.push(pattern);
    }
    return { files, missing };
  }

  private expand(pattern: string): string[] {
    if (!GLOB.test(pattern)) return [path.normalize(pattern)];
    const matches = globSync(pattern, { cwd: this.root }).sort();
    return matches.length > 0 ? matches : [pattern];
  }

  private fileOrFolderHash(file: string): string {
    let stats: BigIntStats;
    try {
      stats = statSync(file, { bigint: true });
    } catch {
      // A missing input is part of the hash: once it appears, the hash changes.
      return 'missing';
    }
    if (stats.isDirectory()) {
      const hash = createHash('sha256');
      for (const entry of readdirSync(file, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        hash.update(`${entry.name}\0${this.fileOrFolderHash(path.join(file, entry.name))}\0`);
      }
      return hash.digest('hex');
    }
    const size = Number(stats.size);
    const mtimeNs = String(stats.mtimeNs);
    const known = this.store.cache.fileHash(file);
    if (known && known.size === size && known.mtimeNs === mtimeNs) return known.hash;
    const hash = sha256File(file);
    this.store.cache.putFileHash(file, size, mtimeNs, hash);
    return hash;
  }
}

/** Human reasons why a task's parts differ from a previous result's, for `--explain`. */
export function describeChanges(now: HashParts, before: HashParts): string[] {
  const changes: string[] = [];
  if (now.workflow !== before.workflow) changes.push(`another workflow (${before.workflow})`);
  if (now.run !== before.run) changes.push('command changed');
  if (now.shell !== before.shell) changes.push('shell changed');
  if (now.cwd !== before.cwd) changes.push(`working folder changed (${before.cwd} → ${now.cwd})`);
  const envNow = new Map(now.env);
  const envBefore = new Map(before.env);
  for (const name of new Set([...envNow.keys(), ...envBefore.keys()])) {
    if (envNow.get(name) !== envBefore.get(name)) changes.push(`env ${name} changed`);
  }
  for (const file of new Set([...Object.keys(now.inputs), ...Object.keys(before.inputs)])) {
    const a = now.inputs[file];
    const b = before.inputs[file];
    if (a !== b) changes.push(a === undefined ? `input ${file} removed` : b === undefined ? `input ${file} added` : a === 'missing' ? `input ${file} is missing` : `input ${file} changed`);
  }
  for (const id of new Set([...Object.keys(now.upstream), ...Object.keys(before.upstream)])) {
    const [hashNow, madeNow] = (now.upstream[id] ?? '').split(' ');
    const [hashBefore, madeBefore] = (before.upstream[id] ?? '').split(' ');
    if (now.upstream[id] === before.upstream[id]) continue;
    // (Each is `HASH RUN:ATTEMPT`: the same hash, made by another attempt, is a task that ran
    // again. A result recorded before Flotilla noted the attempt has the hash alone.)
    if (hashNow === hashBefore && madeNow && madeBefore) changes.push(`upstream ${id} ran again (run ${madeNow.replace(':', ', attempt ')})`);
    else if (hashNow === hashBefore && madeBefore === undefined) changes.push(`upstream ${id}: its result was recorded by an older Flotilla, which did not note the attempt that made it`);
    else changes.push(`upstream ${id} changed`);
  }
  return changes;
}
