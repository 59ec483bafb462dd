/**
 * Walltime advice: a cluster task whose `resources.time` is below what most of its past
 * attempts took will likely be killed at its limit. Said by `validate`, `run` and the editor's
 * inspector, with a value that would do.
 */
import type { Durations } from './estimates.ts';
import { roughly } from './eta-text.ts';
import type { Plan } from './types.ts';

/** Past attempts needed before anything is said. */
export const ADVICE_SAMPLES = 3;
/** A limit under the 95th percentile times this is too tight … */
export const ADVICE_MARGIN = 1.1;
/** … and the suggestion is the 95th percentile times this, rounded up to whole minutes. */
export const ADVICE_HEADROOM = 1.5;

export interface WalltimeAdvice {
  /** The task's declared path (a sweep's instances and a loop's iterations share one). */
  task: string;
  target: string;
  /** Its limit, and what 19 in 20 of its past attempts took at most (seconds). */
  limit: number;
  p95: number;
  samples: number;
  /** A limit that would do, as the workflow file writes it (`25m`, `2h10m`). */
  suggested: string;
}

/** The advice for a plan's cluster tasks, one per declared path and target. */
export function walltimeAdvice(plan: Pick<Plan, 'tasks' | 'targets'>, durations: Durations): WalltimeAdvice[] {
  const advice: WalltimeAdvice[] = [];
  const seen = new Set<string>();
  for (const task of plan.tasks) {
    const limit = task.resources.timeSeconds;
    if (limit === undefined || plan.targets[task.target]?.type === 'local') continue;
    const key = `${task.path}\n${task.target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const estimate = durations.of(task.path, task.target);
    if (!estimate || estimate.samples < ADVICE_SAMPLES) continue;
    const p95 = estimate.p95 / 1000;
    if (limit >= p95 * ADVICE_MARGIN) continue;
    advice.push({ task: task.path, target: task.target, limit, p95, samples: estimate.samples, suggested: timeText(Math.ceil((p95 * ADVICE_HEADROOM) / 60) * 60) });
  }
  return advice;
}

/** Seconds as the workflow file writes a time: `45s`, `25m`, `2h10m`. */
export function timeText(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  return `${Math.floor(minutes / 60)}h${minutes % 60 === 0 ? '' : `${minutes % 60}m`}`;
}

/** The advice in a sentence. */
export function adviceText(advice: WalltimeAdvice): string {
  return `task '${advice.task}' on ${advice.target}: time ${timeText(advice.limit)} is shorter than its last ${advice.samples} attempts needed (95th percentile ${roughly(advice.p95 * 1000)}): it will likely hit its limit; ${advice.suggested} would do`;
}
