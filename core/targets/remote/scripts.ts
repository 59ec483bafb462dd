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
import type { Dialect } from './dialects/dialect.ts';

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
    FLOTILLA_VALUES: `${dir}/values`,
  };
  const exports = Object.entries(env).map(([name, value]) => `export ${name}=${q(value)}`).join('\n');
  return `cd -- ${q(cwd)} || exit 127\n${exports}\n${task.run}\n`;
}

/** Seconds a stopped task's processes have to end after TERM (INT, HUP) before KILL. */
const STOP_GRACE_S = 10;

export interface WrapperOptions {
  dialect: Dialect;
  /**
   * The attempt folder, or for a job array the folder holding one symbolic link per element
   * (named by its index) to that element's attempt folder: a folder name is never parsed, so
   * any name works, newlines included.
   */
  dir: { single: string } | { links: string; logs: string };
  shell: string;
  resources: Resources;
  /** A script it runs once the end is written: a loop's decision after the iteration (ahead.ts). */
  then?: string;
}

/**
 * The job script: it appends `start <epoch> <host> <job>` to the attempt's `status` file, runs
 * `task.sh` with its output in `stdout` and `stderr`, forwards a stop signal to it, and
 * appends `end <epoch> <exit status> [signal]`. On a plain host it also enforces the time limit
 * (`timeout` line). These markers outlive the scheduler's memory of the job.
 */
export function wrapperScript(options: WrapperOptions): string {
  const lines = ['#!/bin/sh', ...options.dialect.directives(options.resources)];
  if ('single' in options.dir) lines.push(`d=${q(options.dir.single)}`);
  else {
    lines.push(`d=${q(options.dir.links)}/"$SLURM_ARRAY_TASK_ID"`);
    lines.push(`ln -sf -- ${q(options.dir.logs)}/"$SLURM_ARRAY_TASK_ID.log" "$d/slurm.log"`);
  }
  const job = options.dialect.jobIdText;
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
  // A time limit the scheduler does not keep, the wrapper keeps: a stop, as a cancel is.
  const limit = options.dialect.timeLimit(options.resources.timeSeconds);
  lines.push(...limit.watch);
  lines.push(
    'wait "$child"; rc=$?',
    // A trapped signal interrupts `wait`: wait again for the task's own status.
    'while [ -n "$sig" ] && kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done',
    // Stopped: what the task left running (children that ignore the signal, now orphans) gets
    // a moment, then KILL, before the end is written: the attempt's processes are gone by then.
    'if [ -n "$sig" ]; then p=$(cat "$d/pgid" 2>/dev/null); n=0; while [ -n "$p" ] && kill -0 -"$p" 2>/dev/null && [ $n -lt 20 ]; do sleep 0.1; n=$((n+1)); done; [ -n "$p" ] && kill -KILL -"$p" 2>/dev/null; [ -n "$killer" ] && kill "$killer" 2>/dev/null; fi',
  );
  lines.push(...limit.unwatch);
  lines.push('echo "end $(date +%s.%N) $rc $sig" >> "$d/status"');
  if (options.then) lines.push(`[ -f ${q(options.then)} ] && sh ${q(options.then)} "$d" >> ${q(`${posix.dirname(options.then)}/decide.log`)} 2>&1`);
  lines.push('exit $rc', '');
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

/** As `writeFileCommand`, but a reader sees the old file or the new one, never half of one (written beside it, then renamed). */
export function replaceFileCommand(file: string, content: string): string {
  return `${writeFileCommand(`${file}.new`, content)}mv -f -- ${q(`${file}.new`)} ${q(file)}\n`;
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
  /** What its job runs once it ended (`WrapperOptions.then`). */
  then?: string;
}

/** Shell variable holding the job id of a batch key. */
function jobVar(key: string): string {
  return `j_${key.replace(/[^A-Za-z0-9]/g, '_')}`;
}

export interface SubmitOptions {
  dialect: Dialect;
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
  for (const group of options.dialect.group(batch)) {
    for (const s of group) {
      parts.push(
        `mkdir -p -- ${q(s.dir)} ${q(s.cwd)} || echo ${q(`refused ${s.key} cannot create ${s.dir}`)}`,
        // Renamed into place: a job already running from the folder (a repeated submission, the
        // cluster's own) reads its scripts to the end as they were.
        replaceFileCommand(`${s.dir}/task.sh`, taskScript(s.runId, s.task, s.n, s.cwd, s.dir)),
      );
    }
    if (group.length > 1) parts.push(options.dialect.submitMany(group, options, jobVar));
    else parts.push(singleSubmit(group[0]!, options));
  }
  // The answer is whole only with this last line (a dropped connection cuts it short).
  parts.push('echo @end');
  return parts.join('\n') + '\n';
}

function singleSubmit(s: Submission, options: SubmitOptions): string {
  const v = jobVar(s.key);
  const lines = [replaceFileCommand(`${s.dir}/job.sh`, wrapperScript({ dialect: options.dialect, dir: { single: s.dir }, shell: remoteShell(s.task), resources: s.task.resources, ...(s.then ? { then: s.then } : {}) }))];
  const waits = s.after.filter((ref): ref is { key: string } => 'key' in ref).map((ref) => jobVar(ref.key));
  const dependency = s.after.map((ref) => ('key' in ref ? `$${jobVar(ref.key)}` : ref.jobId)).join(':');
  const submit = options.dialect.submitOne(s, v, dependency);
  const guard = waits.map((w) => `[ -n "$${w}" ]`).join(' && ');
  // `submitting` is made (atomically) before sbatch: a second submission while the first one's
  // answer is lost finds it and submits nothing; `stale` lets a long-dead one be replaced.
  const marker = q(`${s.dir}/submitting`);
  const clear = s.stale ? `rmdir ${marker} 2>/dev/null; ` : '';
  // (Its `_own` variable: this submission made the marker. One that finds another's marker there answers busy and leaves it be.)
  const body = `${clear}if [ -s ${q(`${s.dir}/jobid`)} ]; then ${v}=$(cat ${q(`${s.dir}/jobid`)}); elif mkdir ${marker} 2>/dev/null; then ${v}_own=1; ${submit}; else ${v}=; echo ${q(`busy ${s.key}`)}; fi`;
  lines.push(guard ? `${v}=\nif ${guard}; then ${body}; else echo ${q(`withdrawn ${s.key}`)} 'a job it runs after was not submitted'; fi` : body);
  lines.push(`if [ -n "$${v}" ]; then printf 'submitted %s %s\\n' ${q(s.key)} "$${v}"; elif [ -n "\${${v}_own:-}" ] && [ -e ${q(`${s.dir}/submit.err`)} ]; then rmdir ${marker}; refused ${q(s.key)} ${q(`${s.dir}/submit.err`)}; fi`);
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
