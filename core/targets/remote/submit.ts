/**
 * Submitting a batch of attempts: their inputs go up, then one remote command writes every
 * attempt's folder and scripts and submits them all (scripts.ts writes it, the dialect says how
 * a job is submitted). From the moment the command leaves, its answer may be lost: what the
 * answer does not settle is `unsure`, and polls find out (verdict.ts).
 */
import { SshError } from '../../ssh/errors.ts';
import { failpoint } from '../../util/failpoint.ts';
import type { AttemptExit } from '../target.ts';
import { aheadsOf } from './ahead.ts';
import type { LoopsAhead } from './ahead.ts';
import { moveAttempt } from './attempt.ts';
import type { RemoteAttempt } from './attempt.ts';
import type { Dialect } from './dialects/dialect.ts';
import { submitScript } from './scripts.ts';
import type { Submission } from './scripts.ts';
import type { HostSession } from './session.ts';

/** What a submission needs of its remote target. */
export interface SubmitContext {
  session: HostSession;
  dialect: Dialect;
  runId: string;
  /** Elements of one job array running at once. */
  arrayLimit: number;
  stage(entry: RemoteAttempt): Promise<void>;
  /** The attempt the target tracks for a task's attempt `n`, if it has not ended. */
  find(taskId: string, n: number): RemoteAttempt | undefined;
  /** Whether the target still tracks this attempt (it may have been cancelled meanwhile). */
  tracked(entry: RemoteAttempt): boolean;
  end(entry: RemoteAttempt, how: { exit: AttemptExit } | { withdrawn: string }): void;
  learnJob(entry: RemoteAttempt, jobId: string): void;
  /** Loops the cluster goes on with: what their attempts' jobs run when they end, and the files that needs. */
  ahead: LoopsAhead;
}

/**
 * Submits the batch's attempts that are still pending. `retry`: something could not go up
 * while the host is online (try again shortly); `sent`: the attempts whose submission went out.
 */
export async function submitBatch(batch: RemoteAttempt[], context: SubmitContext): Promise<{ retry: boolean; sent: RemoteAttempt[] }> {
  const pending = (entry: RemoteAttempt): boolean => context.tracked(entry) && entry.phase === 'pending';
  const ready: RemoteAttempt[] = [];
  for (const entry of batch) {
    if (!pending(entry)) continue;
    if (entry.task.inputs.length > 0) {
      try {
        await context.stage(entry);
      } catch (error) {
        // Offline: tried again on reconnect. Online (a channel refused): shortly.
        if (error instanceof SshError) return { retry: context.session.connection.state === 'online', sent: [] };
        context.end(entry, { exit: { exitCode: null, signal: null, reason: `staging failed: ${(error as Error).message}`, schedulerState: null } });
        continue;
      }
    }
    ready.push(entry);
  }
  const byKey = new Map<string, RemoteAttempt>();
  const submissions: Submission[] = [];
  for (const entry of ready) {
    // Cancelled while inputs went up.
    if (!pending(entry)) continue;
    const after: Submission['after'] = [];
    let missing: string | undefined;
    for (const ref of entry.after) {
      const upstream = context.find(ref.taskId, ref.n);
      if (upstream?.jobId) after.push({ jobId: upstream.jobId });
      // Earlier in this very batch: its job id is known in the command when this one is submitted.
      else if (upstream && byKey.has(upstream.key)) after.push({ key: upstream.key });
      else missing = ref.taskId;
    }
    if (missing !== undefined) {
      context.end(entry, { withdrawn: `${missing} has no job to wait for` });
      continue;
    }
    byKey.set(entry.key, entry);
    const then = entry.ahead ? context.ahead.then(context.session.runRoot, entry.ahead) : undefined;
    submissions.push({ key: entry.key, runId: context.runId, task: entry.task, n: entry.n, cwd: entry.cwd, dir: entry.dir, after, ...(entry.stale ? { stale: true } : {}), ...(then ? { then } : {}) });
  }
  if (submissions.length === 0) return { retry: false, sent: [] };
  for (const entry of byKey.values()) {
    moveAttempt(entry, 'submitting');
    entry.stale = false;
  }
  let answer = '';
  // What the cluster needs to go on with their loops is there before their jobs can end.
  const files = context.ahead.files(context.session.runRoot, aheadsOf(byKey.values()), { dialect: context.dialect, arrayLimit: context.arrayLimit, submitting: true, open: (taskId, n) => context.find(taskId, n) !== undefined });
  try {
    const result = await context.session.exec(`${files.text}\n${submitScript(submissions, { dialect: context.dialect, runRoot: context.session.runRoot, arrayLimit: context.arrayLimit })}`);
    answer = result.stdout;
    if (/(^|\n)@end\n$/.test(answer)) files.written();
    // Tests stop here: the jobs exist, the store does not know them.
    failpoint('after-submit');
  } catch {
    // The answer is lost; the polls find out what happened.
  }
  for (const [key, { word, rest }] of readSubmitAnswer(answer)) {
    const entry = byKey.get(key);
    if (!entry || !context.tracked(entry)) continue;
    if (word === 'submitted' && rest) {
      context.learnJob(entry, rest);
      moveAttempt(entry, 'queued');
    } else if (word === 'refused') {
      // A dependency SLURM no longer knows (it ended long ago): not a failure, decide again.
      if (entry.after.length > 0 && /depend/i.test(rest)) context.end(entry, { withdrawn: `${context.dialect.submitter} refused the dependency: ${rest}` });
      else context.end(entry, { exit: { exitCode: null, signal: null, reason: `${context.dialect.submitter} refused: ${rest || 'no message'}`, schedulerState: null } });
    } else if (word === 'withdrawn') {
      context.end(entry, { withdrawn: rest });
    }
  }
  // What the answer did not settle (lost, cut short, `busy`) is unsure until a poll finds its job.
  for (const entry of byKey.values()) if (context.tracked(entry) && entry.phase === 'submitting') moveAttempt(entry, 'unsure');
  return { retry: false, sent: [...byKey.values()] };
}
/**
 * A submission's answer, one entry per attempt key: `submitted KEY JOB`, `refused KEY MESSAGE`,
 * `withdrawn KEY WHY` (`busy KEY`: another submission holds it; polls find its job). Only whole
 * lines count: an answer cut short may end in half a job id.
 */
export function readSubmitAnswer(answer: string): Map<string, { word: string; rest: string }> {
  const whole = answer.includes('\n@end\n') || answer.startsWith('@end\n') ? answer : answer.slice(0, answer.lastIndexOf('\n') + 1);
  const lines = new Map<string, { word: string; rest: string }>();
  for (const line of whole.split('\n')) {
    const [word = '', key = '', ...rest] = line.split(' ');
    if (key && ['submitted', 'refused', 'withdrawn', 'busy'].includes(word)) lines.set(key, { word, rest: rest.join(' ').trim() });
  }
  return lines;
}

