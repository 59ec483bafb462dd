import { randomBytes } from 'node:crypto';
import type { Plan } from '../model/types.ts';
import type { RunOptions, Store } from '../store/store.ts';
import { isOwnerGone, selfOwner } from '../util/process.ts';

/** A run id: local start time and a random suffix, e.g. `20261121-153012-a1b2`. Sorts by time. */
export function newRunId(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Thrown when the same workflow already runs in the same folder, driven by a live process. */
export class RunInProgressError extends Error {
  readonly code = 'run-busy';
  readonly runId: string;
  readonly owner: string;

  constructor(file: string, runId: string, owner: string) {
    const [pid = '?', host = '?'] = [/^(\d+)/.exec(owner)?.[1], owner.split('@')[1]];
    super(`${file} is already running in this folder: run ${runId}, driven by process ${pid} on ${host}; wait for it, or stop it with 'flotilla cancel ${runId}'`);
    this.runId = runId;
    this.owner = owner;
  }
}

/**
 * Throws `RunInProgressError` when a run of the workflow `file` in `root` other than `runId` is
 * driven by a live process (this one included): for a new run, and for driving an older one.
 */
export function refuseIfRunning(store: Store, file: string, root: string, runId: string, owner?: string): void {
  for (const other of store.runningRuns(file, root)) {
    if (other.id === runId || other.owner === null || other.owner === owner || isOwnerGone(other.owner)) continue;
    throw new RunInProgressError(file, other.id, other.owner);
  }
}

/**
 * Records a new run of a plan, every task waiting, owned by this process (which is about to
 * drive it); returns its id. Nothing runs yet. A run of the same workflow file in the same run
 * root that a live process still drives refuses it: both would run every task into the same
 * files. The check and the insert are one write transaction, so two processes starting at the
 * same moment cannot both pass; a killed run's owner is gone, so it holds nothing up.
 */
export function createRun(store: Store, plan: Plan, options: RunOptions, runId = newRunId()): string {
  const { tasks, ...header } = plan;
  const owner = selfOwner();
  store.transaction(() => {
    refuseIfRunning(store, plan.file, plan.root, runId);
    const at = Date.now();
    store.createRun({ id: runId, name: plan.name, file: plan.file, root: plan.root, state: 'running', createdAt: at, endedAt: null, plan: header, options, owner }, tasks, at);
  });
  return runId;
}
