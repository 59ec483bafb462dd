/**
 * What Flotilla writes and runs on a remote host, as plain text built from data: the task's
 * script, the wrapper that records markers around it, sbatch's command line, and the batched
 * commands that submit and poll. Every value that reaches a remote shell is quoted here.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { RemoteTargetSpec, Resources, TaskSpec } from '../../model/types.ts';
import { attemptStem } from '../../util/files.ts';
import { shellQuote as q } from '../../util/shell.ts';
import { escapeField } from './protocol.ts';

const posix = path.posix;

/** The run's folder on the remote host. */
export function remoteRunRoot(spec: RemoteTargetSpec, runId: string): string {
  return posix.join(spec.root, runId);
}

/** A task's working folder on the remote host (its `cwd` below the run's folder, or absolute). */
export function remoteCwd(runRoot: string, taskCwd: string): string {
  return posix.isAbsolute(taskCwd) ? posix.normalize(taskCwd) : posix.join(runRoot, taskCwd === '' ? '.' : taskCwd);
}

/**
 * An attempt's hidden folder beside the task's files: `<cwd>/.flotilla/<run>/<task>.<n>` (the
 * run id keeps runs apart when `cwd` is absolute and shared between runs).
 */
export function remoteAttemptDir(cwd: string, runId: string, taskId: string, n: number): string {
  return posix.join(cwd, '.flotilla', runId, `${attemptStem(taskId)}.${n}`);
}

/**
 * The job name of an attempt: fixed-width and plain, so adoption can find a job whose id was
 * never recorded (`flotilla.<run>.<task hash>.<n>`). The comment carries the readable task id.
 */
export function jobName(runId: string, taskId: string, n: number): string {
  return `flotilla.${runId}.${createHash('sha256').update(taskId).digest('hex').slice(0, 10)}.${n}`;
}

export function jobComment(runId: string, taskId: string, n: number): string {
  return `flotilla run=${runId} attempt=${n} task=${encodeURIComponent(taskId)}`;
}

/** The shell that runs the task's script: the basename of its `shell`, found on the remote PATH. */
export function remoteShell(task: TaskSpec): string {
  return posix.basename(task.shell) || 'sh';
}

/** The task's own script in its attempt folder: enter the folder, export the environment, run. */
export function taskScript(runId: string, task: TaskSpec, n: number, cwd: string, dir: string): string {
  const env: Record<string, string> = {
    ...task.env,
    FLOTILLA_RUN_ID: runId,
    FLOTILLA_TASK_ID: task.id,
    FLOTILLA_ATTEMPT: String(n),
    FLOTILLA_ATTEMPT_DIR: dir,
  };
  const exports = Object.entries(env).map(([name, value]) => `export ${name}=${q(value)}`).join('\n');
  return `cd -- ${q(cwd)} || exit 127\n${exports}\n${task.run}\n`;
}

/** `#SBATCH` lines for a task's resources (values were validated when the workflow loaded). */
export function sbatchDirectives(resources: Resources): string[] {
  const lines: string[] = [];
  if (resources.cpus !== undefined) lines.push(`--cpus-per-task=${resources.cpus}`);
  if (resources.memoryMb !== undefined) lines.push(`--mem=${resources.memoryMb}M`);
  if (resources.timeSeconds !== undefined) lines.push(`--time=${Math.max(1, Math.ceil(resources.timeSeconds / 60))}`);
  if (resources.gpus !== undefined) lines.push(`--gpus=${resources.gpus}`);
  if (resources.partition !== undefined) lines.push(`--partition=${resources.partition}`);
  if (resources.account !== undefined) lines.push(`--account=${resources.account}`);
  if (resources.qos !== undefined) lines.push(`--qos=${resources.qos}`);
  if (resources.nodes !== undefined) lines.push(`--nodes=${resources.nodes}`);
  return lines;
}

/** Seconds a stopped task's processes have to end after TERM (INT, HUP) before KILL. */
const STOP_GRACE_S = 10;

export interface WrapperOptions {
  kind: 'ssh' | 'slurm';
  /**
   * The attempt folder, or for a job array the folder holding one symbolic link per element
   * (named by its index) to that element's attempt folder: a folder name is never parsed, so
   * any name works, newlines included.
   */
  dir: { single: string } | { links: string; logs: string };
  shell: string;
  resources: Resources;
}

/**
 * The job script: it appends `start <epoch> <host> <job>` to the attempt's `status` file, runs
 * `task.sh` with its output in `stdout` and `stderr`, forwards a stop signal to it, and
 * appends `end <epoch> <exit status> [signal]`. On a plain host it also enforces the time limit
 * (`timeout` line). These markers outlive the scheduler's memory of the job.
 */
export function wrapperScript(options: WrapperOptions): string {
  const lines = ['#!/bin/sh'];
  if (options.kind === 'slurm') {
    for (const directive of sbatchDirectives(options.resources)) lines.push(`#SBATCH ${directive}`);
    for (const flag of options.resources.extra ?? []) if (!/[\n\r]/.test(flag)) lines.push(`#SBATCH ${flag}`);
  }
  if ('single' in options.dir) lines.push(`d=${q(options.dir.single)}`);
  else {
    lines.push(`d=${q(options.dir.links)}/"$SLURM_ARRAY_TASK_ID"`);
    lines.push(`ln -sf -- ${q(options.dir.logs)}/"$SLURM_ARRAY_TASK_ID.log" "$d/slurm.log"`);
  }
  const job = options.kind === 'slurm' ? '${SLURM_JOB_ID:-$$}' : '$$';
  lines.push(
    // Times to the nanosecond where date(1) gives them (GNU): a 2 s task shows as 2 s.
    `echo "start $(date +%s.%N) $(hostname) ${job}" >> "$d/status"`,
    // The task runs in a session of its own, whose id (its process group) it writes first: a
    // stop reaches every process it started, and none can outlive it by ignoring TERM.
    `setsid -w /bin/sh -c 'echo $$ > "$1/pgid"; exec "$2" "$1/task.sh"' sh "$d" ${q(options.shell)} < /dev/null > "$d/stdout" 2> "$d/stderr" &`,
    'child=$!',
    'sig=',
    'killer=',
    // A stop: the signal to the whole group, and KILL to what is left of it after the grace.
    `stop() { sig=$1; p=$(cat "$d/pgid" 2>/dev/null); if [ -n "$p" ]; then kill -$1 -"$p" 2>/dev/null; ( sleep ${STOP_GRACE_S}; kill -KILL -"$p" ) >/dev/null 2>&1 & killer=$!; else kill -$1 "$child" 2>/dev/null; fi; }`,
    `trap 'stop TERM' TERM`,
    `trap 'stop INT' INT`,
    `trap 'stop HUP' HUP`,
  );
  const limit = options.resources.timeSeconds;
  if (options.kind === 'ssh' && limit !== undefined) {
    // On a plain host the wrapper keeps the time limit itself: a stop, as a cancel is.
    lines.push(
      `( trap '' TERM; sleep ${limit}; if kill -0 "$child" 2>/dev/null; then echo "timeout $(date +%s)" >> "$d/status"; kill -TERM $$; fi ) >/dev/null 2>&1 &`,
      'watchdog=$!',
    );
  }
  lines.push(
    'wait "$child"; rc=$?',
    // A trapped signal interrupts `wait`: wait again for the task's own status.
    'while [ -n "$sig" ] && kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done',
    // Stopped: what the task left running (children that ignore the signal, now orphans) gets
    // a moment, then KILL, before the end is written: the attempt's processes are gone by then.
    'if [ -n "$sig" ]; then p=$(cat "$d/pgid" 2>/dev/null); n=0; while [ -n "$p" ] && kill -0 -"$p" 2>/dev/null && [ $n -lt 20 ]; do sleep 0.1; n=$((n+1)); done; [ -n "$p" ] && kill -KILL -"$p" 2>/dev/null; [ -n "$killer" ] && kill "$killer" 2>/dev/null; fi',
  );
  // (It ignores TERM, so only KILL stops it.)
  if (options.kind === 'ssh' && limit !== undefined) lines.push('kill -KILL "$watchdog" 2>/dev/null');
  lines.push('echo "end $(date +%s.%N) $rc $sig" >> "$d/status"', 'exit $rc', '');
  return lines.join('\n');
}

/** A here-document that writes `content` to `file` (its end marker cannot occur in the text). */
export function writeFileCommand(file: string, content: string): string {
  let marker: string;
  do marker = `FLOTILLA_${randomBytes(6).toString('hex')}`;
  while (content.includes(marker));
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `cat > ${q(file)} <<'${marker}'\n${body}${marker}\n`;
}

/** One attempt in a submission batch. */
export interface Submission {
  /** Its key in the batch's answer. */
  key: string;
  runId: string;
  task: TaskSpec;
  n: number;
  /** Remote working folder and attempt folder. */
  cwd: string;
  dir: string;
  /** Job ids it runs after, or keys of attempts earlier in the same batch. */
  after: ({ jobId: string } | { key: string })[];
  /** An earlier submission left `submitting` behind long ago without a job: replace it. */
  stale?: boolean;
}

/** Shell variable holding the job id of a batch key. */
function jobVar(key: string): string {
  return `j_${key.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/**
 * Groups a batch: attempts of one swept task with equal resources and nothing to wait for go
 * together as one SLURM job array; the rest go alone.
 */
export function groupSubmissions(kind: 'ssh' | 'slurm', batch: Submission[]): Submission[][] {
  if (kind !== 'slurm') return batch.map((submission) => [submission]);
  const groups = new Map<string, Submission[]>();
  const out: Submission[][] = [];
  for (const submission of batch) {
    if (submission.after.length > 0) {
      out.push([submission]);
      continue;
    }
    const shape = JSON.stringify([submission.task.path, submission.task.resources, submission.task.shell]);
    let group = groups.get(shape);
    if (!group) {
      group = [];
      groups.set(shape, group);
      out.push(group);
    }
    group.push(submission);
  }
  return out;
}

export interface SubmitOptions {
  kind: 'ssh' | 'slurm';
  runRoot: string;
  /** Elements of one array running at once. */
  arrayLimit: number;
}

/** Name of a job array, from its folder (so an element can find it by name alone). */
export function arrayJobName(runId: string, arrayDir: string): string {
  return `flotilla.${runId}.${createHash('sha256').update(arrayDir).digest('hex').slice(0, 10)}.array`;
}

/**
 * The one remote command that submits a batch: it writes each attempt's folder and scripts and
 * submits it — unless its folder already names a job (a repeated submission after a lost
 * answer submits nothing twice). Answers one line per attempt: `submitted KEY JOB` or
 * `refused KEY MESSAGE`.
 */
export function submitScript(batch: Submission[], options: SubmitOptions): string {
  const parts = [
    'set -u',
    `refused() { printf 'refused %s %s\\n' "$1" "$(tr '\\n' ' ' < "$2" 2>/dev/null | cut -c1-400)"; }`,
  ];
  for (const group of groupSubmissions(options.kind, batch)) {
    for (const s of group) {
      parts.push(
        `mkdir -p -- ${q(s.dir)} ${q(s.cwd)} || echo ${q(`refused ${s.key} cannot create ${s.dir}`)}`,
        writeFileCommand(`${s.dir}/task.sh`, taskScript(s.runId, s.task, s.n, s.cwd, s.dir)),
      );
    }
    if (group.length > 1) parts.push(arraySubmit(group, options));
    else parts.push(singleSubmit(group[0]!, options));
  }
  // The answer is whole only with this last line (a dropped connection cuts it short).
  parts.push('echo @end');
  return parts.join('\n') + '\n';
}

function singleSubmit(s: Submission, options: SubmitOptions): string {
  const v = jobVar(s.key);
  const dir = q(s.dir);
  const lines = [writeFileCommand(`${s.dir}/job.sh`, wrapperScript({ kind: options.kind, dir: { single: s.dir }, shell: remoteShell(s.task), resources: s.task.resources }))];
  const waits = s.after.filter((ref): ref is { key: string } => 'key' in ref).map((ref) => jobVar(ref.key));
  const dependency = s.after.map((ref) => ('key' in ref ? `$${jobVar(ref.key)}` : ref.jobId)).join(':');
  let submit: string;
  if (options.kind === 'slurm') {
    const flags = [
      '--parsable',
      `--job-name=${jobName(s.runId, s.task.id, s.n)}`,
      `--comment=${q(jobComment(s.runId, s.task.id, s.n))}`,
      // sbatch expands %-patterns in file names (a task id's `/` is `%2F` in the folder name).
      `--output=${q(`${s.dir.replaceAll('%', '%%')}/slurm.log`)}`,
      `--chdir=${q(s.cwd)}`,
      ...(dependency ? [`--dependency=afterok:${dependency}`, '--kill-on-invalid-dep=yes'] : []),
    ];
    submit = `${v}=$(sbatch ${flags.join(' ')} ${q(`${s.dir}/job.sh`)} 2> ${q(`${s.dir}/submit.err`)}) && ${v}=\${${v}%%;*} && [ -n "$${v}" ] && printf '%s\\n' "$${v}" > ${q(`${s.dir}/jobid`)} || ${v}=`;
  } else {
    submit = `(cd -- ${dir} && nohup setsid /bin/sh job.sh < /dev/null > /dev/null 2> submit.err & echo $! > ${q(`${s.dir}/jobid`)}); ${v}=$(cat ${q(`${s.dir}/jobid`)})`;
  }
  const guard = waits.map((w) => `[ -n "$${w}" ]`).join(' && ');
  // `submitting` is made (atomically) before sbatch: a second submission while the first one's
  // answer is lost finds it and submits nothing; `stale` lets a long-dead one be replaced.
  const marker = q(`${s.dir}/submitting`);
  const clear = s.stale ? `rmdir ${marker} 2>/dev/null; ` : '';
  const body = `${clear}if [ -s ${q(`${s.dir}/jobid`)} ]; then ${v}=$(cat ${q(`${s.dir}/jobid`)}); elif mkdir ${marker} 2>/dev/null; then ${submit}; else ${v}=; echo ${q(`busy ${s.key}`)}; fi`;
  lines.push(guard ? `${v}=\nif ${guard}; then ${body}; else echo ${q(`withdrawn ${s.key}`)} 'a job it runs after was not submitted'; fi` : body);
  lines.push(`if [ -n "$${v}" ]; then printf 'submitted %s %s\\n' ${q(s.key)} "$${v}"; elif [ -d ${marker} ] && [ -e ${q(`${s.dir}/submit.err`)} ]; then rmdir ${marker}; refused ${q(s.key)} ${q(`${s.dir}/submit.err`)}; fi`);
  return lines.join('\n');
}

function arraySubmit(group: Submission[], options: SubmitOptions): string {
  const first = group[0]!;
  const ad = posix.join(options.runRoot, '.flotilla', 'arrays', `${jobName(first.runId, first.task.id, first.n)}`);
  const v = jobVar(first.key);
  const lines = [
    `mkdir -p -- ${q(`${ad}/elements`)}`,
    writeFileCommand(`${ad}/job.sh`, wrapperScript({ kind: 'slurm', dir: { links: `${ad}/elements`, logs: ad }, shell: remoteShell(first.task), resources: first.task.resources })),
  ];
  // Each element's folder: a link named by its index, and in the folder its slot (`INDEX
  // ARRAY-FOLDER`, escaped as the poll reads it), so a poll finds the array job by name.
  group.forEach((s, index) => lines.push(`ln -sfn -- ${q(s.dir)} ${q(`${ad}/elements/${index}`)}`, `printf '%s\\n' ${q(`${index} ${escapeField(ad)}`)} > ${q(`${s.dir}/array`)}`));
  const flags = [
    '--parsable',
    `--array=0-${group.length - 1}%${Math.max(1, options.arrayLimit)}`,
    `--job-name=${arrayJobName(first.runId, ad)}`,
    `--comment=${q(jobComment(first.runId, first.task.path, first.n))}`,
    `--output=${q(`${ad.replaceAll('%', '%%')}/%a.log`)}`,
    `--chdir=${q(ad)}`,
  ];
  lines.push(
    `${group.some((s) => s.stale) ? `rmdir ${q(`${ad}/submitting`)} 2>/dev/null; ` : ''}if [ -s ${q(`${ad}/jobid`)} ]; then ${v}=$(cat ${q(`${ad}/jobid`)}); elif mkdir ${q(`${ad}/submitting`)} 2>/dev/null; then ${v}=$(sbatch ${flags.join(' ')} ${q(`${ad}/job.sh`)} 2> ${q(`${ad}/submit.err`)}) && ${v}=\${${v}%%;*} && [ -n "$${v}" ] && printf '%s\\n' "$${v}" > ${q(`${ad}/jobid`)} || { ${v}=; rmdir ${q(`${ad}/submitting`)}; }; else ${v}=; busy=1; fi`,
  );
  group.forEach((s, index) => {
    lines.push(
      `if [ -n "$${v}" ]; then printf '%s_%s\\n' "$${v}" ${index} > ${q(`${s.dir}/jobid`)}; printf 'submitted %s %s_%s\\n' ${q(s.key)} "$${v}" ${index}; elif [ -n "\${busy:-}" ]; then echo ${q(`busy ${s.key}`)}; else refused ${q(s.key)} ${q(`${ad}/submit.err`)}; fi`,
    );
    // Later attempts of the batch may wait for this element.
    if (s !== first) lines.push(`${jobVar(s.key)}=\${${v}:+\${${v}}_${index}}`);
  });
  lines.push(`${v}=\${${v}:+\${${v}}_0}`);
  return lines.join('\n');
}

/** The folders an output pattern's files can be in (its part before the first glob character). */
export function staticRoot(pattern: string): string {
  const segments = pattern.split('/');
  const fixed: string[] = [];
  for (const segment of segments) {
    if (/[*?[{]/.test(segment)) break;
    fixed.push(segment);
  }
  return fixed.length === 0 ? '.' : fixed.join('/');
}

/** Whether a relative path matches a pattern (`*`, `?`, `[…]`, `**`; a plain path matches itself and what is under it). */
export function matchesPattern(file: string, pattern: string): boolean {
  const clean = pattern.replace(/^\.\//, '');
  if (!/[*?[{]/.test(clean)) return file === clean || file.startsWith(`${clean.replace(/\/+$/, '')}/`);
  let source = '';
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i]!;
    if (c === '*' && clean[i + 1] === '*') {
      source += clean[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += clean[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = clean.indexOf(']', i + 1);
      if (close < 0) source += '\\[';
      else {
        source += `[${clean.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`).test(file);
}
