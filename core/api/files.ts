/**
 * The first screen's and the Open dialog's view of files: a folder's subfolders and workflow
 * files (each said to load, or its first problem), the bundled examples (copied to the user's
 * `~/flotilla-examples/` when opened, so their runs never write into the installation), and the
 * recent files with their last run's outcome. Everything a folder holds is data: names with
 * newlines are listed as they are, symlinks are followed only to say what they point to, and
 * only the first files (and none larger than a workflow may be) are read.
 */
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CodedError, WorkflowError } from '../model/errors.ts';
import { loadWorkflow } from '../model/load.ts';
import { isMapping } from '../model/node-check.ts';
import { MAX_WORKFLOW_BYTES, parseText } from '../model/source.ts';
import type { RunRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { findAbove, unpacked } from '../util/resources.ts';
import type { MethodArgs, MethodResult } from './contract.ts';
import type { ShownRunState } from './types.ts';

/** Entries listed from one folder, at most; workflow files checked, at most. */
const MAX_ENTRIES = 2000;
const MAX_CHECKED = 60;
const CHECK_MS = 300;
/** Keys that make a workflow expand into more (sweeps, includes): such a file is parsed, not loaded, for a listing. */
const EXPANDS = /\b(foreach|zip|include|repeat)\s*:/;
const WORKFLOW_NAME = /\.(ya?ml|json)$/i;
/** Runs looked at for recent files, and recent files shown, at most. */
const RECENT_RUNS = 50;
const RECENT_SHOWN = 12;

export interface FolderEntry {
  name: string;
  path: string;
  kind: 'folder' | 'workflow' | 'file';
  /** For a workflow file: whether it loads (null: it parses, but was not loaded — it expands, or there were too many), else its first problem. */
  loads?: boolean | null;
  problem?: string;
}

export interface Example {
  name: string;
  title: string;
  description: string;
}

type FileMethod = 'files.list' | 'workflows.examples' | 'workflows.example' | 'workflows.recent';

export function fileHandlers(store: Store, shownState: (run: RunRecord) => ShownRunState): { [M in FileMethod]: (args: MethodArgs<M>) => MethodResult<M> } {
  return {
    'files.list': (args) => listFolder(path.resolve(args.dir ?? homedir())),
    'workflows.examples': () => examples(),
    'workflows.example': (args) => {
      const source = examplesDir();
      const example = examples().find((each) => each.name === args.name);
      if (!source || !example) throw new CodedError('no-such-file', `there is no bundled example '${args.name}'`);
      const target = path.join(homedir(), 'flotilla-examples', example.name);
      // An example opened before keeps the user's edits (and runs): it is not copied over.
      try {
        if (!existsSync(target)) cpSync(path.join(source, example.name), target, { recursive: true });
      } catch (error) {
        throw new CodedError('cannot-save', `cannot copy the example ${example.name} to ${target}: ${(error as Error).message}`);
      }
      return { file: path.join(target, 'workflow.yaml') };
    },
    'workflows.recent': () =>
      recentFiles(store).map((entry) => {
        const last = store.listRuns(1, entry.file)[0];
        return last ? { ...entry, lastRun: { id: last.id, state: shownState(last), createdAt: last.createdAt, endedAt: last.endedAt } } : entry;
      }),
  };
}

/** Files opened or saved in the editor, and the files of the latest runs, the latest first. */
function recentFiles(store: Store): { file: string; at: number }[] {
  const latest = new Map<string, number>();
  for (const entry of store.setting<{ file: string; at: number }[]>('recent') ?? []) latest.set(entry.file, entry.at);
  for (const run of store.listRuns(RECENT_RUNS)) latest.set(run.file, Math.max(latest.get(run.file) ?? 0, run.createdAt));
  return [...latest].map(([file, at]) => ({ file, at })).sort((a, b) => b.at - a.at).slice(0, RECENT_SHOWN);
}

function listFolder(dir: string): MethodResult<'files.list'> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new CodedError('cannot-read', `cannot list ${dir}: ${(error as Error).message}`);
  }
  const entries: FolderEntry[] = [];
  let checked = 0;
  // Files are loaded to check them for this long at most; the rest are only parsed.
  const deadline = Date.now() + CHECK_MS;
  for (const name of names.filter((each) => !each.startsWith('.')).sort((a, b) => a.localeCompare(b)).slice(0, MAX_ENTRIES)) {
    const full = path.join(dir, name);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      continue; // a dangling link, or a file gone since the listing
    }
    if (stat.isDirectory()) entries.push({ name, path: full, kind: 'folder' });
    else if (stat.isFile() && WORKFLOW_NAME.test(name)) entries.push(checkWorkflow(name, full, stat.size, checked++ < MAX_CHECKED, deadline));
  }
  // Folders first, then the files that load.
  const rank = (entry: FolderEntry) => (entry.kind === 'folder' ? 0 : entry.loads ? 1 : 2);
  entries.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const parent = path.dirname(dir);
  return { dir, parent: parent === dir ? null : parent, entries, more: names.length > MAX_ENTRIES };
}

function checkWorkflow(name: string, full: string, size: number, check: boolean, deadline: number): FolderEntry {
  if (!check || size > MAX_WORKFLOW_BYTES) return { name, path: full, kind: 'workflow', loads: null };
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch {
    return { name, path: full, kind: 'file' };
  }
  let value: unknown;
  try {
    value = parseText(full, text);
  } catch (error) {
    // Not even YAML: a workflow only if it means to be one.
    if (!/^\s*(version|tasks)\s*:/m.test(text)) return { name, path: full, kind: 'file' };
    return { name, path: full, kind: 'workflow', loads: false, problem: firstProblem(error) };
  }
  // A YAML or JSON file of something else (no tasks) is just a file.
  if (!isMapping(value) || !('tasks' in value)) return { name, path: full, kind: 'file' };
  // What expands (a sweep, an include) may take long to load: a listing only says it parses.
  if (EXPANDS.test(text) || Date.now() > deadline) return { name, path: full, kind: 'workflow', loads: null };
  try {
    loadWorkflow(full, { text });
    return { name, path: full, kind: 'workflow', loads: true };
  } catch (error) {
    return { name, path: full, kind: 'workflow', loads: false, problem: firstProblem(error) };
  }
}

function firstProblem(error: unknown): string {
  if (!(error instanceof WorkflowError)) return (error as Error).message;
  const first = error.issues[0];
  return first ? `${first.line ? `line ${first.line}: ` : ''}${first.message}` : error.message;
}

/** The bundled examples' folder (in the packaged app, unpacked beside the archive: they are copied with plain fs calls). */
function examplesDir(): string | undefined {
  const found = findAbove('examples');
  return found === undefined ? undefined : unpacked(found);
}

/** The bundled examples: each folder of examples/ with a workflow.yaml, its name and description. */
function examples(): Example[] {
  const dir = examplesDir();
  if (!dir) return [];
  const found: Example[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name, 'workflow.yaml');
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const title = /^name:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? name;
    const description = /^description:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? '';
    found.push({ name, title, description });
  }
  return found;
}
