/**
 * SLURM: a job is an `sbatch` submission (a swept task's attempts one job array), its id what
 * sbatch answers; the queue is one `squeue` for all of the user's jobs per poll; a stop is
 * `scancel`; chained jobs wait for their upstream's by `--dependency=afterok`. States mean what
 * slurm-states.ts says. A job name carries the run and attempt, so a job whose id was lost
 * (the answer to sbatch cut off) is found again by name.
 */
import path from 'node:path';
import { shellQuote as q } from '../../../util/shell.ts';
import { escapeField } from '../protocol.ts';
import type { Resources } from '../../../model/types.ts';
import { arrayJobName, jobComment, jobName, remoteShell, replaceFileCommand, wrapperScript } from '../scripts.ts';
import type { Submission } from '../scripts.ts';
import { slurmState } from '../slurm-states.ts';
import type { Dialect } from './dialect.ts';

const posix = path.posix;

/** sbatch's options for a task's resources (values were validated when the workflow loaded). */
function resourceOptions(resources: Resources): string[] {
  const options: string[] = [];
  if (resources.cpus !== undefined) options.push(`--cpus-per-task=${resources.cpus}`);
  if (resources.memoryMb !== undefined) options.push(`--mem=${resources.memoryMb}M`);
  if (resources.timeSeconds !== undefined) options.push(`--time=${Math.max(1, Math.ceil(resources.timeSeconds / 60))}`);
  if (resources.gpus !== undefined) options.push(`--gpus=${resources.gpus}`);
  if (resources.partition !== undefined) options.push(`--partition=${resources.partition}`);
  if (resources.account !== undefined) options.push(`--account=${resources.account}`);
  if (resources.qos !== undefined) options.push(`--qos=${resources.qos}`);
  if (resources.nodes !== undefined) options.push(`--nodes=${resources.nodes}`);
  return options;
}

/** `sbatch … > $variable`, cut to the id (`--parsable` may add `;cluster`), recorded in `jobid` of `dir`. */
function sbatch(flags: string[], script: string, dir: string, variable: string): string {
  return `${variable}=$(sbatch ${flags.join(' ')} ${q(script)} 2> ${q(`${dir}/submit.err`)}) && ${variable}=\${${variable}%%;*} && [ -n "$${variable}" ] && printf '%s\\n' "$${variable}" > ${q(`${dir}/jobid`)}`;
}

export const slurm: Dialect = {
  kind: 'slurm',
  followsEdges: true,
  submitter: 'sbatch',
  directives(resources) {
    const lines = resourceOptions(resources).map((directive) => `#SBATCH ${directive}`);
    for (const flag of resources.extra ?? []) if (!/[\n\r]/.test(flag)) lines.push(`#SBATCH ${flag}`);
    return lines;
  },
  jobIdText: '${SLURM_JOB_ID:-$$}',
  // SLURM keeps `--time` itself, and says so in the job's log (see `probe`).
  timeLimit: () => ({ watch: [], unwatch: [] }),

  /** Attempts of one swept task with equal resources and nothing to wait for go as one job array. */
  group(batch) {
    const groups = new Map<string, Submission[]>();
    const out: Submission[][] = [];
    for (const submission of batch) {
      if (submission.after.length > 0) {
        out.push([submission]);
        continue;
      }
      const shape = JSON.stringify([submission.task.path, submission.task.resources, submission.task.shell, submission.then]);
      let group = groups.get(shape);
      if (!group) {
        group = [];
        groups.set(shape, group);
        out.push(group);
      }
      group.push(submission);
    }
    return out;
  },

  submitOne(s, variable, dependency) {
    const flags = [
      '--parsable',
      `--job-name=${jobName(s.runId, s.task.id, s.n)}`,
      `--comment=${q(jobComment(s.runId, s.task.id, s.n))}`,
      // sbatch expands %-patterns in file names (a task id's `/` is `%2F` in the folder name).
      `--output=${q(`${s.dir.replaceAll('%', '%%')}/slurm.log`)}`,
      `--chdir=${q(s.cwd)}`,
      ...(dependency ? [`--dependency=afterok:${dependency}`, '--kill-on-invalid-dep=yes'] : []),
    ];
    return `${sbatch(flags, `${s.dir}/job.sh`, s.dir, variable)} || ${variable}=`;
  },

  /**
   * A job array: one folder for the array (its job script, the elements' logs, and one
   * symbolic link per element, named by its index, to that element's attempt folder: a folder
   * name is never parsed, so any name works), and in each attempt folder its slot (`INDEX
   * ARRAY-FOLDER`, escaped as the poll reads it), so a poll finds the array job by name.
   */
  submitMany(group, options, variable) {
    const first = group[0]!;
    const ad = posix.join(options.runRoot, '.flotilla', 'arrays', `${jobName(first.runId, first.task.id, first.n)}`);
    const v = variable(first.key);
    const lines = [
      `mkdir -p -- ${q(`${ad}/elements`)}`,
      replaceFileCommand(`${ad}/job.sh`, wrapperScript({ dialect: slurm, dir: { links: `${ad}/elements`, logs: ad }, shell: remoteShell(first.task), resources: first.task.resources, ...(first.then ? { then: first.then } : {}) })),
    ];
    group.forEach((s, index) => lines.push(`ln -sfn -- ${q(s.dir)} ${q(`${ad}/elements/${index}`)}`, `printf '%s\\n' ${q(`${index} ${escapeField(ad)}`)} > ${q(`${s.dir}/array`)}`));
    const flags = [
      '--parsable',
      `--array=0-${group.length - 1}%${Math.max(1, options.arrayLimit)}`,
      `--job-name=${arrayJobName(first.runId, ad)}`,
      `--comment=${q(jobComment(first.runId, first.task.path, first.n))}`,
      `--output=${q(`${ad.replaceAll('%', '%%')}/%a.log`)}`,
      `--chdir=${q(ad)}`,
    ];
    // As for one attempt (scripts.ts): `submitting` first, so a repeated submission submits nothing twice.
    lines.push(
      `${group.some((s) => s.stale) ? `rmdir ${q(`${ad}/submitting`)} 2>/dev/null; ` : ''}if [ -s ${q(`${ad}/jobid`)} ]; then ${v}=$(cat ${q(`${ad}/jobid`)}); elif mkdir ${q(`${ad}/submitting`)} 2>/dev/null; then ${sbatch(flags, `${ad}/job.sh`, ad, v)} || { ${v}=; rmdir ${q(`${ad}/submitting`)}; }; else ${v}=; busy=1; fi`,
    );
    group.forEach((s, index) => {
      lines.push(
        `if [ -n "$${v}" ]; then printf '%s_%s\\n' "$${v}" ${index} > ${q(`${s.dir}/jobid`)}; printf 'submitted %s %s_%s\\n' ${q(s.key)} "$${v}" ${index}; elif [ -n "\${busy:-}" ]; then echo ${q(`busy ${s.key}`)}; else refused ${q(s.key)} ${q(`${ad}/submit.err`)}; fi`,
      );
      // Later attempts of the batch may wait for this element.
      if (s !== first) lines.push(`${variable(s.key)}=\${${v}:+\${${v}}_${index}}`);
    });
    lines.push(`${v}=\${${v}:+\${${v}}_0}`);
    return lines.join('\n');
  },

  stopJob: 'scancel "$j" > /dev/null 2>&1',
  stopCommand: (jobId) => `scancel ${q(jobId)} 2>&1 | awk '{ print "@scancel " $0 }'`,
  // %S: when a pending job is expected to start (SLURM's estimate, as `squeue --start` shows it), in epoch seconds.
  queueCommands: () => ['echo @squeue', `fl_q=$(SLURM_TIME_FORMAT=%s squeue -h -r -t all -u "$(id -un)" -o '%i|%T|%r|%S|%j' 2>&1); fl_rc=$?`, `[ -n "$fl_q" ] && printf '%s\\n' "$fl_q" | awk '{ print "q " $0 }'`, 'echo "@squeue-rc $fl_rc"'],
  probe: `grep -qs 'DUE TO TIME LIMIT' "$d/slurm.log" && echo 'note timelimit'; `,

  findJob(queue, wanted, arrayIndex) {
    let found: string | undefined;
    for (const [id, row] of queue) {
      if (row.name !== wanted) continue;
      if (arrayIndex !== null && !id.endsWith(`_${arrayIndex}`)) continue;
      found = id;
    }
    return found;
  },
  alive: (_markers, row) => row !== undefined && slurmState(row.state).phase !== 'ended',
  // A job gone from a queue that was read has ended; when squeue failed, nobody knows.
  canTellGone: (row, queue) => row !== undefined || queue !== null,
  endState: (status, row) => (row && slurmState(row.state).phase === 'ended' ? row.state : status === 0 ? 'COMPLETED' : 'FAILED'),
  neverRuns: (row) => /DependencyNeverSatisfied/.test(row.reason),
  leftForDependency: (row) => /Dependency/.test(row?.reason ?? ''),
  meaning: (state) => slurmState(state).meaning,
};
