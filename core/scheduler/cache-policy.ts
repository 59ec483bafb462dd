import type { TaskSpec } from '../model/types.ts';
import type { RunRecord, Store } from '../store/store.ts';
import { describeChanges, Fingerprinter } from './fingerprint.ts';
import type { HashParts } from './fingerprint.ts';

/** Whether a released task runs or a cached result stands in, and why. */
export interface CacheDecision {
  hash: string;
  cached: boolean;
  /** `cached: same inputs as run …`, or why it runs (`command changed since run …`). */
  reason: string;
}

/**
 * The cache rules of one run: a task's content hash, whether an earlier successful attempt
 * with that hash (and its outputs still present) stands in, and the index of results this
 * run adds. With `explain`, a miss says what changed since the task's last result.
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
    const { hash, parts, text } = this.fingerprints.taskHash(spec, upstream);
    this.parts.set(spec.id, text);
    let runs: string | undefined;
    let found;
    if (!spec.cache) runs = 'cache: false';
    else if (force) runs = this.run.options.fresh ? '--fresh' : 'resubmitted';
    else if (!(found = this.store.findCache(hash))) runs = this.explainMiss(spec, parts);
    else {
      const missing = this.fingerprints.missingOutputs(spec);
      if (missing.length > 0) runs = `output ${missing.join(', ')} missing`;
    }
    if (runs !== undefined) return { hash, cached: false, reason: `runs: ${runs}` };
    return { hash, cached: true, reason: `cached: same inputs as run ${found!.runId} (attempt ${found!.attempt})` };
  }

  /** Records a successful attempt as a cached result for later runs. */
  remember(spec: TaskSpec, hash: string | null, upstream: () => Record<string, string>, attempt: number, at: number): void {
    // Parts are missing when an earlier process released the task (this is a resume).
    const parts = this.parts.get(spec.id) ?? this.fingerprints.taskHash(spec, upstream()).text;
    this.parts.delete(spec.id);
    if (!spec.cache || hash === null) return;
    this.store.putCache({ hash, file: this.run.file, taskId: spec.id, runId: this.run.id, attempt, parts, at });
  }

  private explainMiss(spec: TaskSpec, parts: HashParts): string {
    if (!this.explain) return 'not cached';
    const last = this.store.lastCache(this.run.file, spec.id);
    if (!last) return 'no earlier successful run';
    const changes = describeChanges(parts, JSON.parse(last.parts) as HashParts);
    return changes.length > 0 ? `${changes.join(', ')} since run ${last.runId}` : `no cached result with this hash (last result from run ${last.runId})`;
  }
}
