/**
 * The contract's `workflows.*` methods: opening, checking and saving workflow files for the
 * editor, validating one for a run, and the recent files. A file is read within the size cap
 * of a workflow, written whole (a temporary file renamed over it), and never written over when
 * it could not be read or changed on disk since it was opened.
 */
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mergeIntoText, textVersion } from '../model/document.ts';
import { CodedError, WorkflowError } from '../model/errors.ts';
import { loadWorkflow } from '../model/load.ts';
import { MAX_WORKFLOW_BYTES, parseText } from '../model/source.ts';
import type { Store } from '../store/store.ts';
import { adviseOn } from './forecast.ts';
import { commitSaved, commitSetting, gitSaving } from './git-save.ts';
import { readTextFile } from '../util/files.ts';
import type { MethodArgs, MethodResult } from './contract.ts';
import type { WorkflowIssue } from './types.ts';

/** Files shown under "recent". */
const RECENT_FILES = 12;

type WorkflowMethod = 'workflows.open' | 'workflows.save' | 'workflows.check' | 'workflows.validate' | 'workflows.advice' | 'workflows.commitOnSave';

export function workflowHandlers(store: Store): { [M in WorkflowMethod]: (args: MethodArgs<M>) => MethodResult<M> } {
  return {
    'workflows.open': (args) => {
      const file = path.resolve(args.file);
      const text = readText(file);
      if (text === undefined) throw new CodedError('no-such-file', `${file}: no such file`);
      let value: unknown = null;
      try {
        // As a run reads it: aliases that stand for too much (or for themselves) are refused,
        // not expanded into the answer.
        value = parseText(file, text);
      } catch {
        // Unparsable: the issues say where; the editor shows the text only.
      }
      remember(store, file);
      return { file, text, version: textVersion(text), value: isRecord(value) ? value : null, issues: issuesOf(file, text), layout: store.setting(`layout:${file}`) ?? {}, git: gitSaving(store, file) };
    },
    'workflows.save': (args) => {
      const file = path.resolve(args.file);
      const current = readText(file);
      if (args.version === null ? current !== undefined : current === undefined || textVersion(current) !== args.version) {
        throw new CodedError('conflict', current === undefined ? `${file} no longer exists: save it again as a new file` : `${file} changed on disk since it was opened: reopen it (or save under another name)`);
      }
      // Only a file that was read can be edited: one that does not parse is never written over
      // (its text would be lost for a value the editor made up).
      if (current !== undefined && current.trim() !== '' && !parsesAsDocument(file, current)) {
        throw new CodedError('unparsable', `${file} cannot be read as a workflow (see its problems): fix it in a text editor; Flotilla does not write over a file it could not read`);
      }
      const text = mergeIntoText(file, current ?? '', args.value);
      const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
      if (current === undefined) {
        try {
          mkdirSync(path.dirname(file), { recursive: true });
        } catch (error) {
          throw new CodedError('cannot-save', `cannot create the folder ${path.dirname(file)} for ${path.basename(file)}: ${(error as Error).message}`);
        }
      }
      try {
        writeFileSync(temporary, text);
        renameSync(temporary, file);
      } catch (error) {
        try {
          unlinkSync(temporary);
        } catch {
          // Never written.
        }
        throw new CodedError('cannot-save', `cannot save ${file}: ${(error as Error).message}`);
      }
      if (args.layout) store.setSetting(`layout:${file}`, args.layout);
      remember(store, file);
      const commit = commitSaved(store, file, current === undefined ? undefined : parseText(file, current), args.value);
      return { file, text, version: textVersion(text), issues: issuesOf(file, text), ...(commit ? { commit } : {}) };
    },
    'workflows.check': (args) => {
      const file = path.resolve(args.file);
      return { issues: issuesOf(file, mergeIntoText(file, readText(file) ?? '', args.value)) };
    },
    'workflows.validate': (args) => {
      const plan = loadWorkflow(args.file, { ...(args.params ? { params: args.params } : {}) });
      return { name: plan.name, tasks: plan.tasks.length, edges: plan.tasks.reduce((sum, task) => sum + task.after.length, 0), targets: Object.keys(plan.targets), advice: adviseOn(store, plan) };
    },
    'workflows.commitOnSave': (args) => {
      const file = path.resolve(args.file);
      store.setSetting(commitSetting(file), args.on ? true : undefined);
      return gitSaving(store, file);
    },
    'workflows.advice': (args) => {
      const file = path.resolve(args.file);
      let plan;
      try {
        plan = loadWorkflow(file, { ...(args.value ? { text: mergeIntoText(file, readText(file) ?? '', args.value) } : {}), ...(args.params ? { params: args.params } : {}) });
      } catch (error) {
        // A file that does not load has its problems said elsewhere (workflows.check): no advice on it.
        if (error instanceof WorkflowError) return [];
        throw error;
      }
      return adviseOn(store, plan);
    },
  };
}

/** Puts a file first in the recent list. */
function remember(store: Store, file: string): void {
  const recent = (store.setting<{ file: string; at: number }[]>('recent') ?? []).filter((entry) => entry.file !== file);
  store.setSetting('recent', [{ file, at: Date.now() }, ...recent].slice(0, RECENT_FILES));
}

function readText(file: string): string | undefined {
  try {
    return readTextFile(file, MAX_WORKFLOW_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CodedError('cannot-read', `cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Whether a file's text parses to a mapping (what the editor can have read from it). */
function parsesAsDocument(file: string, text: string): boolean {
  try {
    return isRecord(parseText(file, text));
  } catch {
    return false; // its problems say why
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function toIssues(error: WorkflowError): WorkflowIssue[] {
  return error.issues.map((issue) => ({ file: issue.file, path: issue.path, ...(issue.line === undefined ? {} : { line: issue.line }), ...(issue.col === undefined ? {} : { column: issue.col }), message: issue.message }));
}

/** Every problem of a workflow's text (none: it would run). */
function issuesOf(file: string, text: string): WorkflowIssue[] {
  try {
    loadWorkflow(file, { text });
    return [];
  } catch (error) {
    if (error instanceof WorkflowError) return toIssues(error);
    throw error;
  }
}
