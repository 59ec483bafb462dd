import type { TaskSpec } from '../model/types.ts';
import type { CacheRecord, RunRecord, Store } from '../store/store.ts';
import { describeChanges, Fingerprinter } from './fingerprint.ts';
import type { HashParts } from './fingerprint.ts';

/** Whether a released task runs or a cached result stands in, and why. */
export interface CacheDecision {
  hash: string;
  cached: boolean;
  /** `cached: result of run …` with why, or why it runs (`command changed since run …`). */
  reason: string;
  /** A cached result: the attempt that made it (`run:attempt`). */
  from?: string;
}

/**
 * The cache rules of one run. A result is reused only for the same task (workflow file and
 * task id) with the same content hash (command, shell, cwd, env, inputs, upstream results),
 * only when the task is cacheable (it declares outputs, or says `cache: true`), and only while
 * its outputs are as the earlier run left them. With `explain`, a miss says what changed since
 * the task's last result.
 */
export class CachePolicy {
  private readonly store: Store;
  private readonly run: RunRecord;
  private readonly explain: boolean;
  private readonly fingerprints: Fingerprinter;
  /** Hash parts (as JSON) of released tasks, kept until they succeed for their cache entry. */
  private readonly parts = new Map<string, string>();

  constructor(store: Store, run: RunRecord, explain: boolean) {
    this.store = store;
    this.run = run;
    this.explain = explain;
    this.fingerprints = new Fingerprinter(store, run.root);
  }

  /** Hashes a task whose dependencies are done and decides whether it runs. */
  decide(spec: TaskSpec, upstream: Record<string, string>, force: boolean): CacheDecision {
    const { hash, parts, text } = this.fingerprints.taskHash(this.run.file, spec, upstream);
    this.parts.set(spec.id, text);
    let runs: string | undefined;
    let found;
    if (!spec.cache) runs = spec.outputs.length === 0 ? 'it declares no outputs (cache: true would reuse its result)' : 'cache: false';
    else if (force) runs = this.run.options.fresh ? '--fresh' : 'resubmitted';
    else if (!(found = this.store.cache.find(hash))) runs = this.explainMiss(spec, parts);
    else runs = this.outputsChanged(spec, found);
    if (runs !== undefined) return { hash, cached: false, reason: `runs: ${runs}` };
    return { hash, cached: true, from: `${found!.runId}:${found!.attempt}`, reason: `cached: result of run ${found!.runId} (attempt ${found!.attempt}): same command, inputs and upstream results, outputs as it left them` };
  }

  /** Why a cached result's outputs no longer stand for it, or undefined when they do. */
  private outputsChanged(spec: TaskSpec, found: CacheRecord): string | undefined {
    if (spec.outputs.length === 0) return undefined;
    const { files: now, missing } = this.fingerprints.outputState(spec);
    if (missing.length > 0) return `output ${missing.join(', ')} missing`;
    if (found.outputs === null) return `run ${found.runId} recorded no state of its outputs`;
    const before = JSON.parse(found.outputs) as Record<string, string>;
    for (const file of new Set([...Object.keys(before), ...Object.keys(now)])) {
      if (before[file] === now[file]) continue;
      if (now[file] === undefined) return `output ${file} missing since run ${found.runId}`;
      if (before[file] === undefined) return `output ${file} appeared since run ${found.runId}`;
      return `output ${file} changed since run ${found.runId}`;
    }
    return undefined;
  }

  /** Records a successful attempt as a cached result for later runs. */
  remember(spec: TaskSpec, hash: string | null, upstream: () => Record<string, string>, attempt: number, at: number): void {
    // Parts are missing when an earlier process released the task (this is a resume).
    const parts = this.parts.get(spec.id) ?? this.fingerprints.taskHash(this.run.file, spec, upstream()).text;
    this.parts.delete(spec.id);
    if (!spec.cache || hash === null) return;
    const outputs = JSON.stringify(this.fingerprints.outputState(spec).files);
    this.store.cache.put({ hash, file: this.run.file, taskId: spec.id, runId: this.run.id, attempt, parts, outputs, at });
  }

  private explainMiss(spec: TaskSpec, parts: HashParts): string {
    if (!this.explain) return 'not cached';
    const last = this.store.cache.last(this.run.file, spec.id);
    if (!last) return 'no earlier successful run';
    const changes = describeChanges(parts, JSON.parse(last.parts) as HashParts);
    return changes.length > 0 ? `${changes.join(', ')} since run ${last.runId}` : `no cached result with this hash (last result from run ${last.runId})`;
  }
}
