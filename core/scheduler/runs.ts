import { realpathSync } from 'node:fs';
import { newRunId } from '../model/run-id.ts';
import type { Plan } from '../model/types.ts';
import type { RunOptions, Store } from '../store/store.ts';
import { stillRunsHere } from '../targets/local.ts';
import { MAX_WORKFLOW_BYTES } from '../model/source.ts';
import { readTextFile } from '../util/files.ts';
import { isOwnerGone, selfOwner } from '../util/process.ts';
import { provenanceOf } from '../util/provenance.ts';
import type { Provenance } from '../util/provenance.ts';
import { CodedError } from '../model/errors.ts';

/** Thrown when the same workflow already runs in the same folder, driven by a live process. */
export class RunInProgressError extends CodedError {
  readonly runId: string;
  readonly owner: string;

  constructor(file: string, runId: string, owner: string, orphan?: { task: string; pid: number }) {
    const [pid = '?', host = '?'] = [/^(\d+)/.exec(owner)?.[1], owner.split('@')[1]];
    super(
      'run-busy',
      orphan
        ? `${file} is still running in this folder: run ${runId} lost its process, but its task '${orphan.task}' still runs here (process ${orphan.pid}); 'flotilla resume ${runId}' watches it to the end, 'flotilla cancel ${runId}' stops it`
        : `${file} is already running in this folder: run ${runId}, driven by process ${pid} on ${host}; wait for it, or stop it with 'flotilla cancel ${runId}'`,
    );
    this.runId = runId;
    this.owner = owner;
  }
}

/**
 * Throws `RunInProgressError` when a run of the workflow `file` in `root` other than `runId` is
 * driven by a live process (this one included): for a new run, and for driving an older one.
 * A killed run holds nothing up here (but see `refuseIfLeftRunning`).
 */
export function refuseIfRunning(store: Store, file: string, root: string, runId: string, owner?: string): void {
  for (const other of otherRunsHere(store, file, root, runId)) {
    if (other.owner !== owner && !isOwnerGone(other.owner)) throw new RunInProgressError(file, other.id, other.owner);
  }
}

/**
 * Throws `RunInProgressError` when a run of the workflow `file` in `root` other than `runId`
 * lost its process while local tasks it started still run: they outlive it, writing the files
 * a new run would write. (Attempts it left on a cluster are not looked at: that takes a
 * connection; `resume` or `cancel` of that run does.) Checked before the write transaction
 * of a new run: it reads each open attempt's marker, and no new orphan can appear meanwhile.
 */
export function refuseIfLeftRunning(store: Store, file: string, root: string, runId: string): void {
  for (const other of otherRunsHere(store, file, root, runId)) {
    if (!isOwnerGone(other.owner)) continue;
    const targets = store.getRun(other.id)?.plan.targets ?? {};
    for (const attempt of store.openAttempts(other.id)) {
      if (targets[attempt.target]?.type !== 'local') continue;
      const pid = stillRunsHere(attempt);
      if (pid !== null) throw new RunInProgressError(file, other.id, other.owner, { task: store.taskSpec(other.id, attempt.taskIdx)?.id ?? `#${attempt.taskIdx}`, pid });
    }
  }
}

/**
 * The runs of the workflow `file` in `root`, other than `runId`, that have not ended and had
 * an owner: those that may still write the files a run there writes.
 */
function* otherRunsHere(store: Store, file: string, root: string, runId: string): Generator<{ id: string; owner: string }> {
  const same = samePlace(file, root);
  for (const other of store.runningRuns()) {
    if (other.id !== runId && other.owner !== null && same(other.file, other.root)) yield { id: other.id, owner: other.owner };
  }
}

/**
 * Whether a workflow file and run root are these, by where they lead (a path through a
 * symbolic link names the same workflow as the real one).
 */
function samePlace(file: string, root: string): (otherFile: string, otherRoot: string) => boolean {
  const real = (at: string) => {
    try {
      return realpathSync(at);
    } catch {
      return at; // gone: as given
    }
  };
  const here = [real(file), real(root)];
  return (otherFile, otherRoot) => (otherFile === file && otherRoot === root) || (real(otherFile) === here[0] && real(otherRoot) === here[1]);
}

/**
 * Records a new run of a plan, every task waiting, owned by this process (which is about to
 * drive it); returns its id. Nothing runs yet. A run of the same workflow file in the same run
 * root that a live process still drives refuses it: both would run every task into the same
 * files. The check and the insert are one write transaction, so two processes starting at the
 * same moment cannot both pass; a killed run's owner is gone, so it holds nothing up.
 */
/** The workflow file's text and where it came from (none when it cannot be read again: the run goes on without). */
function sourceOf(file: string): { text: string; provenance: Provenance } | undefined {
  let text: string;
  try {
    text = readTextFile(file, MAX_WORKFLOW_BYTES);
  } catch {
    return undefined;
  }
  return { text, provenance: provenanceOf(file, text) };
}

export function createRun(store: Store, plan: Plan, options: RunOptions, runId = newRunId()): string {
  const { tasks, ...header } = plan;
  const owner = selfOwner();
  refuseIfLeftRunning(store, plan.file, plan.root, runId);
  const source = sourceOf(plan.file);
  store.transaction(() => {
    refuseIfRunning(store, plan.file, plan.root, runId);
    const at = Date.now();
    store.createRun({ id: runId, name: plan.name, file: plan.file, root: plan.root, state: 'running', createdAt: at, endedAt: null, plan: header, options, owner, provenance: source?.provenance ?? null }, tasks, at, source?.text);
  });
  return runId;
}
