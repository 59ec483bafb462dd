/**
 * Plans of workflow files kept between runs. Loading a big workflow (parsing, checking and
 * expanding every task in code not yet optimized) is most of a run's start: 10-20 ms for
 * 1,000 tasks, a second for 100,000. A plan is a function of the files read, the params
 * given, the run root and the code that expanded it, so a run of an unchanged file takes the
 * plan the last run made instead.
 *
 * One entry per workflow file and run root, in `$FLOTILLA_HOME/plans`: the key (code, file,
 * root, params), each file read with the SHA-256 of its text (the workflow and what it
 * includes), and the plan. An entry is used only when its key matches and every file still
 * has that text; a plan that used `{{ run.id }}` belongs to its run and is not kept.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadWithSources } from './load.ts';
import type { LoadOptions } from './load.ts';
import type { Plan } from './types.ts';
import { sha256Text as sha256 } from '../util/hash.ts';

/** Where plans are kept, and the code that makes them (an entry of other code is not used). */
export interface PlanCache {
  dir: string;
  code: string;
}

interface Entry {
  key: string;
  files: [string, string][];
  plan: Plan;
}

/**
 * The plan of `file`, from `cache` when it holds one for these files and options, else loaded
 * (throwing `WorkflowError` as `loadWorkflow` does). `save` keeps a loaded plan for the next
 * run: the run command calls it when its run has ended, as nothing in the run needs it.
 * Without a cache (code run from the sources) it only loads.
 */
export function loadPlan(file: string, options: Omit<LoadOptions, 'text'>, cache: PlanCache | undefined): { plan: Plan; cached: boolean; save: () => void } {
  if (!cache) return { plan: loadWithSources(file, options).plan, cached: false, save: () => {} };
  const absolute = path.resolve(file);
  const root = path.resolve(options.workdir ?? path.dirname(file));
  const key = sha256(JSON.stringify([cache.code, absolute, root, options.params ?? {}]));
  const entryFile = path.join(cache.dir, `${sha256(`${absolute}\0${root}`).slice(0, 32)}.json`);
  const kept = readEntry(entryFile, key);
  if (kept) return { plan: kept, cached: true, save: () => {} };
  const loaded = loadWithSources(file, options);
  const save = () => {
    if (loaded.usesRunId) return;
    const entry: Entry = { key, files: [...loaded.texts].map(([read, text]) => [path.resolve(read), sha256(text)]), plan: loaded.plan };
    try {
      mkdirSync(cache.dir, { recursive: true });
      // Whole or not at all, whatever another run writes at the same time.
      const temporary = `${entryFile}.${process.pid}`;
      writeFileSync(temporary, JSON.stringify(entry));
      renameSync(temporary, entryFile);
    } catch {
      // A read-only home: every run loads its workflow.
    }
  };
  return { plan: loaded.plan, cached: false, save };
}

/** The entry's plan if it was made with `key` from files that still have the texts it read. */
function readEntry(entryFile: string, key: string): Plan | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryFile, 'utf8')) as Entry;
  } catch {
    // None yet, or damaged: load, and the next save replaces it.
    return undefined;
  }
  if (entry?.key !== key || !Array.isArray(entry.files) || entry.plan === undefined) return undefined;
  for (const [file, digest] of entry.files) {
    try {
      if (sha256(readFileSync(file, 'utf8')) !== digest) return undefined;
    } catch {
      return undefined;
    }
  }
  return entry.plan;
}
