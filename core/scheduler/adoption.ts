/**
 * Taking up a run an earlier process drove: its attempt files tell whether the store lost
 * commits, and each attempt it left open is re-attached to (still running, queued, ended
 * meanwhile, or never started).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { AttemptRecord } from '../store/records.ts';
import { StoreLostDataError } from '../store/database.ts';
import type { Adoption, AttemptEvents, AttemptExit, StartedAttempt, Target } from '../targets/target.ts';
import type { RunTables } from './run-tables.ts';

/**
 * Attempts are recorded before they start, so the files of an attempt the store does not know
 * mean the store lost commits (its log deleted, an older copy put back): driving on would run
 * done work again, and write over its files. Checked once per drive of a run that has files.
 */
export function refuseLostAttempts(t: RunTables, runDir: string, nextFiles: (i: number) => { marker: string; stdout: string }): void {
  let names: Set<string>;
  try {
    // One listing, not a look per task (a resumed sweep has many).
    names = new Set(readdirSync(runDir));
  } catch {
    return; // no files yet
  }
  if (names.size === 0) return;
  for (let i = 0; i < t.ids.length; i++) {
    const next = nextFiles(i);
    if (!names.has(path.basename(next.marker)) && !names.has(path.basename(next.stdout))) continue;
    throw new StoreLostDataError(
      `the store ${path.join(t.store.home, 'store.db')} records ${t.attempts[i]} attempt${t.attempts[i] === 1 ? '' : 's'} of task '${t.ids[i]}' of run ${t.runId}, but the files of attempt ${t.attempts[i]! + 1} are in ${runDir}: ` +
        `the store lost data (its log store.db-wal deleted, or an older copy put back). Nothing was run. Restore the store from a backup, or start a new run of the workflow.`,
    );
  }
}

/** What adoption needs of the runner: each attempt's event handlers, and its reports. */
export interface AdoptionHooks {
  events(i: number, n: number): AttemptEvents;
  started(i: number, n: number, started: StartedAttempt, at: number): void;
  ended(i: number, n: number, exit: AttemptExit, at: number): void;
  /** It never started: recorded as lost, and the task runs again. */
  lost(i: number, record: AttemptRecord): void;
  /** Counts adoptions under way (the run cannot end meanwhile). */
  adopting(delta: 1 | -1): void;
}

/** Re-attaches to attempts an earlier process left open (after a crash or kill). */
export async function adoptOpenAttempts(t: RunTables, targets: Record<string, Target>, hooks: AdoptionHooks): Promise<void> {
  const open = t.store.openAttempts(t.runId);
  await Promise.all(
    open.map(async (record) => {
      const i = record.taskIdx;
      const target = targets[record.target];
      hooks.adopting(1);
      t.active++;
      t.runningOn.set(record.target, (t.runningOn.get(record.target) ?? 0) + 1);
      t.adopted.add(i);
      t.adoptedOn.set(record.target, (t.adoptedOn.get(record.target) ?? 0) + 1);
      const adoption: Adoption = target
        ? await target.adopt(record, t.specs[i]!, hooks.events(i, record.n), t.specs[i]!.iteration ? t.aheadOf(i) : undefined)
        : { kind: 'exited', exit: { exitCode: null, signal: null, reason: `target '${record.target}' is gone`, schedulerState: null } };
      hooks.adopting(-1);
      if (adoption.kind === 'queued') return;
      if (adoption.kind === 'running') hooks.started(i, record.n, adoption.started, adoption.started.at ?? record.startedAt ?? Date.now());
      else if (adoption.kind === 'exited') hooks.ended(i, record.n, adoption.exit, adoption.exit.endedAt ?? Date.now());
      else hooks.lost(i, record);
    }),
  );
}
