/**
 * How long a task will take, from how long it took before: per declared path and target (a
 * sweep's instances and a loop's iterations pooled), the newest successful attempts, their
 * median and spread. Pure arithmetic on numbers the store read (core/store/history.ts).
 */

/** Successful attempts kept per task path and target (the newest). */
export const KEPT_SAMPLES = 20;

/** What the history says of one task (ms). */
export interface Estimate {
  median: number;
  /** The likely range: the quartiles, widened while there are few samples. */
  low: number;
  high: number;
  /** Nineteen in twenty took no longer (walltime advice). */
  p95: number;
  samples: number;
}

/** The quantile `q` (0–1) of sorted numbers, interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (at - below);
}

/** An estimate of numbers (any order); undefined when there are none. */
export function estimateOf(samples: readonly number[]): Estimate | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  // One or two samples say little of the spread: at least ±25 % around the median then.
  const few = sorted.length < 3 ? 0.25 : 0;
  return {
    median,
    low: Math.min(quantile(sorted, 0.25), median * (1 - few)),
    high: Math.max(quantile(sorted, 0.75), median * (1 + few)),
    p95: quantile(sorted, 0.95),
    samples: sorted.length,
  };
}

/** Which of an estimate's figures a forecast goes by. */
export type Bound = 'low' | 'median' | 'high';

/**
 * Durations by task path and target, the newest `KEPT_SAMPLES` of each: added newest first
 * (the run's own attempts, then earlier runs', each the latest to end first).
 */
export class Durations {
  private readonly samples = new Map<string, number[]>();
  private readonly estimates = new Map<string, Estimate | undefined>();

  add(path: string, target: string, ms: number): void {
    const key = `${path}\n${target}`;
    const list = this.samples.get(key);
    if (!list) this.samples.set(key, [ms]);
    else if (list.length < KEPT_SAMPLES) list.push(ms);
    else return;
    this.estimates.delete(key);
  }

  of(path: string, target: string): Estimate | undefined {
    const key = `${path}\n${target}`;
    if (!this.estimates.has(key)) this.estimates.set(key, estimateOf(this.samples.get(key) ?? []));
    return this.estimates.get(key);
  }

  /**
   * How much longer a task that has run `elapsed` ms will take: the same figure of how much
   * longer those of its past attempts that ran longer than that went on (a task past its
   * median is not done at once; one past every sample is taken to end soon: a tenth of its
   * median). Undefined without history.
   */
  remaining(path: string, target: string, elapsed: number, bound: Bound): number | undefined {
    const estimate = this.of(path, target);
    if (!estimate) return undefined;
    const longer = (this.samples.get(`${path}\n${target}`) ?? []).filter((ms) => ms > elapsed).map((ms) => ms - elapsed);
    if (longer.length === 0) return estimate.median / 10;
    const figures = estimateOf(longer)!;
    return figures[bound];
  }
}

/**
 * A loop's iterations' spans (first start to last end), by the loop's control id without its
 * own iteration and sweep marks (`run[2]/md#1/inner` → `run/md/inner`): what an iteration of
 * the same loop takes.
 */
export function loopKey(control: string): string {
  return control.replace(/#\d+\//g, '/').replace(/\[[^\]/]*\]/g, '');
}
