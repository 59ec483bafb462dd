import path from 'node:path';
import { advanceText, remoteAdvance } from '../../model/advance.ts';
import { makeIteration } from '../../model/iteration.ts';
import type { Plan, TaskSpec } from '../../model/types.ts';
import { DIALECTS } from '../../targets/remote/dialects/dialect.ts';
import { remoteAttemptDir, remoteCwd, remoteRunRoot, submitScript } from '../../targets/remote/scripts.ts';
import type { Submission } from '../../targets/remote/scripts.ts';

/**
 * Stands for a remote home folder that could not be learnt, until the script is written out:
 * a folder DEPTH levels deep (named by NUL and a number: no path a user writes holds them),
 * so a root or `cwd` that climbs out of the home with `..` keeps what is left of it in view.
 */
const DEPTH = 16;
const HOME = Array.from({ length: DEPTH }, (_, level) => `/\u0000${level}`).join('');
const AT_HOME = /(')?((?:\/\u0000\d+)+)/g;

/**
 * A script whose paths start at a home folder not known here: each such path, in its single
 * quotes, starts with `"$HOME"` (and `/..` for each level it climbed above it), which the
 * remote shell expands to the folder a run resolves. Nothing else in the script changes.
 */
function atRemoteHome(script: string): string {
  return script.replace(AT_HOME, (_match, quote: string | undefined, levels: string) => {
    const home = `"$HOME"${'/..'.repeat(DEPTH - levels.split('/').length + 1)}`;
    return quote ? `${home}'` : `'${home}'`;
  });
}

/**
 * A remote target's home folder as the run would resolve it (`pwd` at login), or why it
 * could not be learnt.
 */
export type RemoteHome = { home: string } | { unknown: string };

/**
 * What `flotilla run --dry-run` prints: each local task's command and folder, and for each
 * remote target the exact script of the one command that would submit its tasks (with the
 * job scripts inside). Nothing is run or submitted. A remote root relative to the home folder
 * is resolved with the home `homes` gives (the caller asks the host, as a run does first); one
 * that could not be asked is shown as `"$HOME"`, and the listing says so. Tasks that wait for
 * another target's tasks are submitted once those succeed; they are listed, not scripted.
 */
export function dryRun(plan: Plan, runId: string, homes: ReadonlyMap<string, RemoteHome> = new Map()): string {
  const out: string[] = [`# dry run of ${plan.name} (${plan.tasks.length} tasks) as run ${runId}: nothing is submitted`];
  for (const target of Object.values(plan.targets)) {
    const tasks = plan.tasks.filter((task) => task.target === target.name);
    if (tasks.length === 0) continue;
    if (target.type === 'local') {
      out.push('', `## target ${target.name} (local, ${target.maxParallel} at once)`);
      for (const task of tasks) {
        if (task.loop) {
          out.push(...describeLoop(plan, runId, task));
          continue;
        }
        const condition = task.when ? `, when ${task.when.map((when) => when.expr).join(' and ')}` : '';
        out.push(`# ${task.id}${task.after.length ? ` (after ${task.after.join(', ')}${condition})` : condition ? ` (${condition.slice(2)})` : ''} in ${path.resolve(plan.root, task.cwd)}`, task.run.trimEnd());
      }
      continue;
    }
    const root = remoteRunRoot(target, runId);
    const home = homes.get(target.name);
    const unknownHome = !path.posix.isAbsolute(root) && !(home && 'home' in home);
    const runRoot = path.posix.isAbsolute(root) ? root : path.posix.join(home && 'home' in home ? home.home : HOME, root);
    out.push('', `## target ${target.name} (${target.type} on ${target.host}): sent as one command, \`/bin/sh -s\` with this input`);
    if (unknownHome) {
      out.push(`# ${target.host} was not asked for its home folder (${home?.unknown ?? 'not tried'}): paths below are shown from "$HOME"; a run asks first and sends them resolved`);
    }
    const byId = new Map<string, Submission>();
    const later: string[] = [];
    const submissions: Submission[] = [];
    for (const task of tasks) {
      if (task.loop) {
        later.push(...describeLoop(plan, runId, task));
        continue;
      }
      const after: Submission['after'] = [];
      // A task with a condition is submitted once it is decided, never chained ahead.
      let chainable = task.inputs.length === 0 && task.when === undefined;
      for (const dep of task.after) {
        const upstream = byId.get(dep);
        if (upstream && target.type === 'slurm') after.push({ key: upstream.key });
        else chainable = false;
      }
      const condition = task.when ? ` and ${task.when.map((when) => `when ${when.expr}`).join(' and ')} holds` : '';
      if (!chainable && (task.after.length > 0 || task.when)) {
        later.push(`# ${task.id}: submitted once ${task.after.length > 0 ? `${task.after.join(', ')} succeeded` : 'the run starts'}${condition}`);
        continue;
      }
      const cwd = remoteCwd(runRoot, task.cwd);
      const submission: Submission = { key: `k${submissions.length + 1}`, runId, task, n: 1, cwd, dir: remoteAttemptDir(cwd, runId, task.id, 1), after };
      byId.set(task.id, submission);
      submissions.push(submission);
      if (task.inputs.length > 0) out.push(`# ${task.id}: first staged up (SFTP): ${task.inputs.join(', ')}`);
    }
    if (submissions.length > 0) {
      const script = submitScript(submissions, { dialect: DIALECTS[target.type], runRoot, arrayLimit: target.arrayLimit ?? target.maxParallel }).trimEnd();
      out.push(unknownHome ? atRemoteHome(script) : script);
    }
    out.push(...later);
  }
  return `${out.join('\n')}\n`;
}

/** A loop (or a foreach over values) as a dry run shows it: what decides it, and its first iteration's tasks as they would be made. */
function describeLoop(plan: Plan, runId: string, task: TaskSpec): string[] {
  const loop = task.loop!;
  const after = task.after.length > 0 ? ` (after ${task.after.join(', ')})` : '';
  const condition = task.when ? `; when ${task.when.map((when) => when.expr).join(' and ')}` : '';
  if (loop.foreach) {
    return [`# ${task.id}${after}: a foreach over the values ${Object.values(loop.foreach.reads).join(', ')} publishes${condition}: its instances are made once they are recorded`];
  }
  const lines = [`# ${task.id}${after}: a loop, iterations until ${loop.until} holds after one, at most ${loop.max} (on_max: ${loop.onMax})${condition}; it ${advanceText(remoteAdvance(plan, task))}; iteration 0 would run:`];
  const made = makeIteration(plan, runId, task, 0, task.after);
  if ('problem' in made) return [...lines, `#   (${made.problem})`];
  for (const inner of made.tasks) {
    const where = inner.target === task.target ? '' : ` on ${inner.target}`;
    const what = inner.loop ? [`#     (${inner.loop.foreach ? 'a foreach over values: its instances are made once they are recorded' : `a loop inside it, until ${inner.loop.until}, at most ${inner.loop.max}`})`] : inner.run.trimEnd().split('\n').map((line) => `#     ${line}`);
    lines.push(`#   ${inner.id}${inner.after.length ? ` (after ${inner.after.join(', ')})` : ''}${where} in ${path.resolve(plan.root, inner.cwd)}`, ...what);
  }
  return lines;
}
