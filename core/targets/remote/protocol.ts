/**
 * The poll: one remote command per target and interval that sends stop requests, reads the
 * queue and every open attempt's markers, and lists the files a succeeded attempt produced.
 *
 * Its answer is a line protocol, and most of what it carries was written by tasks or other
 * users: file names (which may hold newlines), status files, squeue's job names. So the framing
 * is strict: a record starts only with a line the script itself prints (`@…`); every line that
 * carries data is prefixed with its tag by the script (`q `, `m `, `job `, `file `…), and a file
 * name is escaped (`\\` and `\n`) so that it stays on its line. A task can write what it likes
 * into its own files: it can never start a record, nor reach another attempt's.
 */
import { shellQuote as q } from '../../util/shell.ts';
import { MAX_VALUES_BYTES } from '../../model/values.ts';
import type { Dialect } from './dialects/dialect.ts';

/** A loop whose iterations from `from` on a poll reads if its cluster submitted them, and the one under way (`current`) in any case (ahead.ts). */
export interface Walk {
  dir: string;
  from: number;
  current: number;
  prefix: string;
}

/**
 * The poll's commands for one attempt, `key` as a shell word (a quoted key, or one a walk
 * composes: `"$P"0`).
 */
export function probeCommands(probe: Omit<Probe, 'key'>, key: string): string[] {
  const lines = [`fl_probe ${key} ${q(probe.dir)}`];
  // Each root starts with `./` (or is `.`): one beginning with `-` is a path, never an option of find.
  if (probe.outputRoots.length > 0) lines.push(`fl_files ${q(probe.dir)} ${q(probe.cwd)} ${probe.outputRoots.map((root) => q(root === '.' || root.startsWith('./') ? root : `./${root}`)).join(' ')}`);
  return lines;
}

/** A stop request a poll sends first. */
export interface Stop {
  jobId: string;
  dir: string;
  /** Withdrawals: only when the attempt has not started. */
  unlessStarted: boolean;
}

/** One attempt whose state a poll reads. */
export interface Probe {
  key: string;
  dir: string;
  /** Where its outputs are listed from once it ended with 0, and the patterns' static prefixes. */
  cwd: string;
  outputRoots: string[];
}

/** A job as the scheduler's queue lists it. */
export interface QueueRow {
  state: string;
  reason: string;
  name: string;
  /** When the scheduler expects a pending job to start (ms, the host's clock), if it said. */
  start: number | null;
}

/** A parsed poll answer. */
export interface PollAnswer {
  /** Whether the answer arrived whole (its `@end` line). */
  complete: boolean;
  /** Null when `squeue` failed (its message in `queueError`) or was not asked. */
  queue: Map<string, QueueRow> | null;
  queueError: string | null;
  attempts: Map<string, AttemptMarkers>;
  /** The host's clock when the poll began (ms), to set its marker times against this machine's. */
  now: number | null;
}

/** What one attempt's folder said. */
export interface AttemptMarkers {
  jobId: string | null;
  array: { index: number; dir: string } | null;
  start: { at: number; host: string } | null;
  end: { at: number; status: number; signal: string | null } | null;
  timeout: boolean;
  alive: boolean;
  /** Seconds since a submission began that has not recorded a job (yet). */
  submitting: number | null;
  files: { path: string; size: number; mtime: number }[];
  /** Output roots left out because they lead through a symbolic link. */
  refusedRoots: string[];
  /** Its values file, once it ended with 0: its size and its lines as read (null: none). */
  values: { size: number; lines: string[] } | null;
}

/** Escapes a field so that it fits on one line: `\` as `\\`, a newline as `\n`. */
export function escapeField(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

/** The inverse of `escapeField` (an unknown escape stands for itself). */
export function unescapeField(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/**
 * Shell functions of the poll, defined once per command so that each attempt costs one short
 * line (a sweep of thousands stays small):
 *   fl_probe KEY DIR: its job id or array slot, status lines, whether a submission is under
 *     way, the values it published once it ended with 0, and what the dialect's probe says (SLURM: whether it stopped the job for time; a
 *     plain host: whether its process lives);
 *   fl_files DIR CWD ROOT...: once it ended with 0, the regular files under its outputs' roots.
 *     A root reached through a symbolic link is reported (`refused`) and not listed; find
 *     itself never follows one.
 */
function probeFunctions(dialect: Dialect): string[] {
  return [
    `fl_probe() { printf '@a %s\\n' "$1"; d=$2; ` +
      // awk, not sed: it ends every line it prints, so a file whose last line has no newline
      // cannot swallow the next record's first line.
      `if [ -s "$d/jobid" ]; then awk '{ print "job " $0 }' "$d/jobid"; elif [ -s "$d/array" ]; then awk '{ print "array " $0 }' "$d/array"; fi; ` +
      `awk '{ print "m " $0 }' "$d/status" 2>/dev/null; ` +
      `[ -d "$d/submitting" ] && [ ! -s "$d/jobid" ] && echo "submitting $(( $(date +%s) - $(stat -c %Y "$d/submitting") ))"; ` +
      dialect.probe +
      // What it published, once it ended with 0: its size, then its lines (within the cap).
      `if [ -f "$d/values" ] && [ ! -L "$d/values" ] && grep -qs '^end [0-9][^ ]* 0 *$' "$d/status"; then echo "vsize $(wc -c < "$d/values")"; head -c ${MAX_VALUES_BYTES + 1} "$d/values" | awk '{ print "v " $0 }'; fi; ` +
      `return 0; }`,
    `fl_files() { grep -qs '^end [0-9][^ ]* 0 *$' "$1/status" || return 0; cd -P -- "$2" 2>/dev/null || return 0; shift 2; ` +
      `for r; do if [ -e "$r" ] || [ -L "$r" ]; then if [ "$(realpath -m -- "$r")" = "$(realpath -ms -- "$r")" ]; then ` +
      `find "$r" -type f -printf '%s %T@ %p\\0' 2>/dev/null | sed -z 's/\\\\/\\\\\\\\/g; s/\\n/\\\\n/g; s/^/file /' | tr '\\0' '\\n'; ` +
      `else printf 'refused %s\\n' "$(printf '%s' "$r" | sed -z 's/\\\\/\\\\\\\\/g; s/\\n/\\\\n/g')"; fi; fi; done; cd /; return 0; }`,
  ];
}

/**
 * The one remote command of a poll: stop requests first, then the queue (SLURM: one `squeue`
 * for all of the user's jobs; a plain host has none), then every open attempt's markers, and for those that ended
 * with 0 the files their outputs match. Answer lines: `@scancel …`; `@squeue`, queue lines
 * `q ID|STATE|REASON|START|NAME`, `@squeue-rc N`; per attempt `@a KEY` followed by `job ID`, `array
 * INDEX DIR`, status lines `m …`, `submitting S`, `note timelimit`, `alive`, `vsize BYTES` and
 * value lines `v …`, `file SIZE MTIME PATH`, `refused ROOT`; last `@end`.
 */
export function pollScript(dialect: Dialect, probes: Probe[], stops: Stop[], loops: { files: string; walks: Walk[] } = { files: '', walks: [] }): string {
  // The host's clock first: marker times are read on it (see `PollAnswer.now`).
  const parts: string[] = ['echo "@now $(date +%s.%N)"'];
  // What loops need on the cluster and is not there yet (ahead.ts): written before anything is read.
  if (loops.files) parts.push(loops.files.replace(/\n$/, ''));
  for (const stop of stops) {
    // A withdrawal only stops what has not started (its folder has no status yet).
    const command = dialect.stopCommand(stop.jobId);
    if (command === undefined) continue;
    parts.push(stop.unlessStarted ? `[ -e ${q(`${stop.dir}/status`)} ] || { ${command}; }` : command);
  }
  parts.push(...dialect.queueCommands());
  if (probes.length > 0 || loops.walks.length > 0) parts.push(...probeFunctions(dialect));
  for (const probe of probes) parts.push(...probeCommands(probe, q(probe.key)));
  if (loops.walks.length > 0) {
    // Iterations a loop's cluster submitted (each decision's `next`), and on a plain host the
    // one under way (its jobs start each other): their attempts are read as the others are, by
    // the commands Flotilla wrote for them (`probe-J.sh`), keyed `PREFIX.J.I`.
    // In a subshell: whatever is in such a file ends there, not the poll.
    parts.push('fl_walk() { j=$2; while { [ "$j" -le "$4" ] || [ -d "$1/decided-$((j - 1))/next" ]; } && [ -f "$1/probe-$j.sh" ]; do P="$3.$j."; . "$1/probe-$j.sh"; j=$((j + 1)); done; return 0; }');
    for (const walk of loops.walks) parts.push(`( fl_walk ${q(walk.dir)} ${walk.from} ${q(walk.prefix)} ${walk.current} )`);
  }
  // The answer is whole only with this last line (a dropped connection cuts it short).
  parts.push('echo @end');
  return parts.join('\n') + '\n';
}

function emptyMarkers(): AttemptMarkers {
  return { jobId: null, array: null, start: null, end: null, timeout: false, alive: false, submitting: null, files: [], refusedRoots: [], values: null };
}

/** Reads a poll's answer. Lines it does not know are ignored, whatever they say. */
export function parsePoll(text: string): PollAnswer {
  const answer: PollAnswer = { complete: false, queue: null, queueError: null, attempts: new Map(), now: null };
  let current: AttemptMarkers | undefined;
  const queueLines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('@')) {
      current = undefined;
      if (line === '@end') {
        answer.complete = true;
        break;
      }
      if (line.startsWith('@now ')) answer.now = epochMs(line.slice(5));
      else if (line.startsWith('@squeue-rc ')) readQueue(answer, queueLines, Number(line.slice(11)));
      else if (line.startsWith('@a ')) answer.attempts.set(line.slice(3), (current = emptyMarkers()));
      continue;
    }
    const space = line.indexOf(' ');
    const tag = space < 0 ? line : line.slice(0, space);
    const rest = space < 0 ? '' : line.slice(space + 1);
    if (tag === 'q') queueLines.push(rest);
    else if (current) readAttemptLine(current, tag, rest);
  }
  return answer;
}

function readQueue(answer: PollAnswer, lines: string[], code: number): void {
  if (code !== 0) {
    answer.queueError = lines.join(' ').trim() || `squeue exited with ${code}`;
    return;
  }
  answer.queue = new Map();
  for (const entry of lines) {
    const [id = '', state = '', reason = '', ...rest] = entry.split('|');
    // ID|STATE|REASON|START|NAME (START in epoch seconds, or N/A; anything else is no start); a
    // line of three fields and a name (a stand-in's) has none.
    const start = rest.length > 1 ? rest.shift()!.trim() : '';
    const seconds = /^\d{1,12}$/.test(start) ? Number(start) : 0;
    if (id) answer.queue.set(id.trim(), { state: state.trim(), reason: reason.trim(), name: rest.join('|').trim(), start: seconds > 0 ? seconds * 1000 : null });
  }
}

function readAttemptLine(current: AttemptMarkers, tag: string, rest: string): void {
  const words = rest.split(' ');
  switch (tag) {
    case 'job':
      // The first line of the file is the job id; anything after it is not.
      if (current.jobId === null && /^[\w.+-]+$/.test(rest)) current.jobId = rest;
      return;
    case 'array':
      if (/^\d+$/.test(words[0] ?? '') && words.length >= 2) current.array = { index: Number(words[0]), dir: unescapeField(words.slice(1).join(' ')) };
      // Written by Flotilla 0.1 before this form: the index, then the folder on its own line.
      else if (/^\d+$/.test(rest)) current.array = { index: Number(rest), dir: '' };
      else if (current.array?.dir === '') current.array.dir = rest;
      return;
    case 'm':
      return readStatusLine(current, words);
    case 'submitting':
      if (/^-?\d+$/.test(rest)) current.submitting = Number(rest);
      return;
    case 'note':
      if (rest === 'timelimit') current.timeout = true;
      return;
    case 'alive':
      current.alive = true;
      return;
    case 'file':
      if (words.length >= 3 && /^\d+$/.test(words[0]!) && /^\d+(\.\d+)?$/.test(words[1]!)) {
        current.files.push({ size: Number(words[0]), mtime: Math.floor(Number(words[1])), path: unescapeField(words.slice(2).join(' ')).replace(/^(\.\/)+/, '') });
      }
      return;
    case 'refused':
      current.refusedRoots.push(unescapeField(rest).replace(/^(\.\/)+/, ''));
      return;
    case 'vsize':
      if (/^\d+$/.test(rest.trim())) current.values = { size: Number(rest.trim()), lines: [] };
      return;
    case 'v':
      current.values?.lines.push(rest);
      return;
  }
}

/** A line of the attempt's `status` file, written by its wrapper. */
function readStatusLine(current: AttemptMarkers, words: string[]): void {
  const [word, ...rest] = words;
  const at = epochMs(rest[0] ?? '');
  if (word === 'start' && at !== null) {
    current.start = { at, host: rest[1] ?? '' };
    // A requeued job starts again: an end before this start belongs to its earlier run.
    current.end = null;
  } else if (word === 'end' && at !== null && /^\d+$/.test(rest[1] ?? '')) {
    current.end = { at, status: Number(rest[1]), signal: rest[2] ? `SIG${rest[2]}` : null };
  } else if (word === 'timeout') current.timeout = true;
}

/**
 * Seconds since the epoch as date(1) wrote them (`+%s.%N`; a date without %N writes `N`, an
 * older wrapper whole seconds), in ms; null when it is no time.
 */
function epochMs(text: string): number | null {
  const match = /^(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 1000 + (match[2] ? Math.round(Number(`0.${match[2]}`) * 1000) : 0);
}
