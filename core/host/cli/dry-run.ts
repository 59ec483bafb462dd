import path from 'node:path';
import type { Plan } from '../../model/types.ts';
import { remoteAttemptDir, remoteCwd, remoteRunRoot, submitScript } from '../../targets/remote/scripts.ts';
import type { Submission } from '../../targets/remote/scripts.ts';

/**
 * What `flotilla run --dry-run` prints: each local task's command and folder, and for each
 * remote target the exact script of the one command that would submit its tasks (with the
 * job scripts inside). Nothing is run and no connection is made, so the remote home is shown
 * as `~` (a real run resolves it first). Tasks that wait for another target's tasks are
 * submitted once those succeed; they are listed, not scripted.
 */
export function dryRun(plan: Plan, runId: string): string {
  const out: string[] = [`# dry run of ${plan.name} (${plan.tasks.length} tasks) as run ${runId}: nothing is submitted`];
  for (const target of Object.values(plan.targets)) {
    const tasks = plan.tasks.filter((task) => task.target === target.name);
    if (tasks.length === 0) continue;
    if (target.type === 'local') {
      out.push('', `## target ${target.name} (local, ${target.maxParallel} at once)`);
      for (const task of tasks) out.push(`# ${task.id}${task.after.length ? ` (after ${task.after.join(', ')})` : ''} in ${path.resolve(plan.root, task.cwd)}`, task.run.trimEnd());
      continue;
    }
    const root = remoteRunRoot(target, runId);
    const runRoot = path.posix.isAbsolute(root) ? root : `~/${root}`;
    out.push('', `## target ${target.name} (${target.type} on ${target.host}): sent as one command, \`/bin/sh -s\` with this input`);
    const byId = new Map<string, Submission>();
    const later: string[] = [];
    const submissions: Submission[] = [];
    for (const task of tasks) {
      const after: Submission['after'] = [];
      let chainable = task.inputs.length === 0;
      for (const dep of task.after) {
        const upstream = byId.get(dep);
        if (upstream && target.type === 'slurm') after.push({ key: upstream.key });
        else chainable = false;
      }
      if (!chainable && task.after.length > 0) {
        later.push(`# ${task.id}: submitted once ${task.after.join(', ')} succeeded`);
        continue;
      }
      const cwd = remoteCwd(runRoot, task.cwd);
      const submission: Submission = { key: `k${submissions.length + 1}`, runId, task, n: 1, cwd, dir: remoteAttemptDir(cwd, runId, task.id, 1), after };
      byId.set(task.id, submission);
      submissions.push(submission);
      if (task.inputs.length > 0) out.push(`# ${task.id}: first staged up (SFTP): ${task.inputs.join(', ')}`);
    }
    if (submissions.length > 0) out.push(submitScript(submissions, { kind: target.type, runRoot, arrayLimit: target.arrayLimit ?? target.maxParallel }).trimEnd());
    out.push(...later);
  }
  return `${out.join('\n')}\n`;
}
