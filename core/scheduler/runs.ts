import { randomBytes } from 'node:crypto';
import type { Plan } from '../model/types.ts';
import type { RunOptions, Store } from '../store/store.ts';

/** A run id: local start time and a random suffix, e.g. `20261121-153012-a1b2`. Sorts by time. */
export function newRunId(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Records a new run of a plan, every task waiting; returns its id. Nothing runs yet. */
export function createRun(store: Store, plan: Plan, options: RunOptions, runId = newRunId()): string {
  const { tasks, ...header } = plan;
  const at = Date.now();
  store.createRun(
    { id: runId, name: plan.name, file: plan.file, root: plan.root, state: 'running', createdAt: at, endedAt: null, plan: header, options, owner: null },
    tasks,
    at,
  );
  return runId;
}
