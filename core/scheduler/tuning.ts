/**
 * The runner's tuning, in one place: how long reports wait to be committed together, how
 * many tasks one commit may release or chain (growing from a few), and how often the store's
 * log is copied into the database. Each value says why it is what it is; the benchmarks in
 * bench/ are what they were tuned against.
 */

/** Longest time a reported start waits to be committed with other changes. */
export const START_COMMIT_MS = 100;
/** Longest time a reported end waits when nothing waits for it (see `Runner.receive`). */
export const END_COMMIT_MS = 20;
/**
 * Most tasks one commit releases to the queues. An end that releases thousands (a sweep
 * after its setup) leaves the rest to the commits that follow at once, so the first of
 * them start without waiting for all to be hashed and recorded. Cached ones do not count.
 */
export const RELEASE_BATCH = 64;
/**
 * What the first commit that releases up to its limit may release: few, so they reach the
 * target soon, as a sweep's first tasks should when the task before the sweep ends (in code
 * not yet optimized, releasing and submitting 64 took 6 ms, while both slots idled). Each
 * such commit may release twice as many, up to RELEASE_BATCH.
 */
export const FIRST_RELEASE_BATCH = 4;
/**
 * Most attempts one commit chains behind others. The rest follow in the commits after, so the
 * first reach the target before the attempt they wait for ends (a short one ends within a
 * millisecond, sooner than a commit of hundreds is recorded).
 */
export const CHAIN_BATCH = 16;
/**
 * What the run's first commit that chains may chain: few, so they are recorded and reach the
 * target while the first attempt still runs (at start the code is not yet optimized: 16 took
 * 4-9 ms, more than a short task). Each commit that chains may chain twice as many, up to
 * CHAIN_BATCH.
 */
export const FIRST_CHAIN_BATCH = 2;
/**
 * Commits after which the store's log is copied into the database (see `Store.checkpoint`),
 * in a turn of the event loop of its own, after what the commit handed over has gone out:
 * whoever closes or next opens the store then has little left to copy (SQLite would copy
 * inside a commit, every thousand pages).
 */
export const CHECKPOINT_COMMITS = 32;

/**
 * A batch size that starts small and doubles, up to a most, each time a commit used it: the
 * first commits of a run, in code not yet optimized, stay short.
 */
export class Ramp {
  size: number;
  private readonly most: number;

  constructor(first: number, most: number) {
    this.size = first;
    this.most = most;
  }

  grow(): void {
    this.size = Math.min(this.most, this.size * 2);
  }
}
