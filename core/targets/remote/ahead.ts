/**
 * Loops the cluster advances while Flotilla is away. When Flotilla submits a task of iteration
 * k of a loop that can go on there (model/advance.ts), it writes, beside the run, what the next
 * iterations need: for each iteration j up to k + AHEAD_ITERATIONS, `decide-J.sh`, which each
 * of its tasks' jobs runs once it ended, `probe-J.sh` (the poll's reading of its attempts), and
 * from k + 1 on `submit-J.sh` (the very command Flotilla would send to submit iteration J, each
 * attempt numbered as Flotilla would number it next). On a plain host, whose jobs do not wait
 * for each other, `decide-J.sh` first starts the tasks whose tasks before them have all ended
 * with 0 (`start-J-I.sh`). The job that finds every task of its iteration ended with 0 takes
 * the decision (`mkdir decided-J`: one job, whatever requeues and races), reads the values as
 * the core reads them, judges `until` with the awk evaluator (expr-awk.ts), writes what it
 * read and the answer in `decided-J/`, and on false submits iteration J + 1 (`decided-J/next`).
 *
 * Flotilla makes every decision again itself, from the same values: it never takes the
 * cluster's word. A submission the cluster made is found where Flotilla's own would go (the
 * same attempt folder holds its job id: nothing is submitted twice), and a poll walks the
 * decisions (`probe-J.sh` for each `next`), so what happened while Flotilla was away is read
 * in one command and each foreseen attempt is taken up without submitting it (`take`). A
 * cancel, or a resubmit that discards iterations, halts the loop there (`halt`): `stop`, and
 * what the cluster made that Flotilla did not is stopped and set aside.
 */
import path from 'node:path';
import type { AheadIteration, LoopAhead } from '../../model/advance.ts';
import { MAX_VALUES, MAX_VALUES_BYTES } from '../../model/values.ts';
import { attemptStem } from '../../util/files.ts';
import { shellQuote as q } from '../../util/shell.ts';
import type { Dialect } from './dialects/dialect.ts';
import { AWK_EVALUATOR, awkProgram, nameKey } from './expr-awk.ts';
import { probeCommands } from './protocol.ts';
import type { AttemptMarkers, Walk } from './protocol.ts';
import { remoteCwd, replaceFileCommand, staticRoot, submitScript } from './scripts.ts';
import type { Submission } from './scripts.ts';

const posix = path.posix;

/** Iterations made ahead of the latest one submitted: how far a loop goes on with Flotilla away. */
export const AHEAD_ITERATIONS = 8;

/**
 * Reads a values file as the core does (core/model/values.ts) and prints `KEY<TAB>VALUE` for
 * the last line naming `name`; exits 3 where the core would refuse the file, or might read a
 * line otherwise (spaces other than blanks and tabs, control characters, a value that begins
 * or ends beyond ASCII): the cluster then leaves the decision to Flotilla.
 */
const VALUES_AWK = String.raw`
BEGIN { key = ENVIRON["FL_KEY"]; name = ENVIRON["FL_NAME"] }
{
  line = $0; sub(/\r$/, "", line)
  if (line ~ /[\001-\010\013-\037\177]/) bad = 1
  if (line ~ /^[ \t]*$/) next
  eq = index(line, "=")
  nm = eq ? substr(line, 1, eq - 1) : ""
  gsub(/^[ \t]+|[ \t]+$/, "", nm)
  if (nm !~ /^[A-Za-z_][A-Za-z0-9_]*$/) bad = 1
  if (!(nm in seen)) { seen[nm] = 1; count++ }
  if (nm == name) { value = substr(line, eq + 1); found = 1 }
}
END {
  t = value; gsub(/^[ \t]+|[ \t]+$/, "", t)
  # A tab inside (JSON refuses it in a string), and bytes that are not UTF-8 (the core reads them as U+FFFD).
  u = t; gsub(/[\302-\337][\200-\277]|\340[\240-\277][\200-\277]|[\341-\354\356\357][\200-\277][\200-\277]|\355[\200-\237][\200-\277]|\360[\220-\277][\200-\277][\200-\277]|[\361-\363][\200-\277][\200-\277][\200-\277]|\364[\200-\217][\200-\277][\200-\277]/, "", u)
  if (bad || count > ${MAX_VALUES} || t ~ /\t/ || u ~ /[\200-\377]/ || t ~ /^[\200-\377]/ || t ~ /[\200-\377]$/) exit 3
  if (found) printf "%s\t%s\n", key, value
}
`;

/** A loop's folder on the cluster, beside the run's attempt folders. */
export function loopFolder(runRoot: string, loopId: string): string {
  return posix.join(runRoot, '.flotilla', 'loops', attemptStem(loopId));
}

/** Where a task's attempts go on the cluster, but for their number (`STEM.N`, scripts.ts `remoteAttemptDir`). */
function attemptStemDir(runRoot: string, runId: string, taskId: string, cwd: string): string {
  return posix.join(remoteCwd(runRoot, cwd), '.flotilla', runId, attemptStem(taskId));
}

/**
 * The script a job of iteration J runs once it ended (see the top of this file). `starts`: on
 * a host that does not chain jobs itself (a plain host), it first starts the tasks of the
 * iteration whose tasks before them have all ended with 0 (`start-J-I.sh`), as Flotilla would.
 */
export function decideScript(runRoot: string, runId: string, loopId: string, iteration: AheadIteration, starts = false): string {
  const L = loopFolder(runRoot, loopId);
  const j = iteration.index;
  const stems = new Map(iteration.tasks.map((task) => [task.id, attemptStemDir(runRoot, runId, task.id, task.cwd)]));
  const started = starts
    ? iteration.tasks.flatMap((task, i) => {
        const before = task.after.filter((id) => stems.has(id));
        // Not one Flotilla handed out already; not again once it has a job, or one is being submitted.
        const n = iteration.attempts[i];
        const first = q(`${stems.get(task.id)!}.${n}`);
        return before.length === 0 || n === null ? [] : [`${before.map((id) => `fl_ok ${q(stems.get(id)!)}`).join(' && ')} && [ ! -e ${first}/jobid ] && [ ! -e ${first}/submitting ] && sh "$L/start-${j}-${i}.sh" > /dev/null 2>&1`];
      })
    : [];
  const facts = iteration.facts.map((fact) => {
    const json = JSON.stringify(fact.value);
    // Unknown here (nothing at that path): no fact, so the evaluator leaves the decision to Flotilla.
    return json === undefined ? [] : [`printf '%s\\t%s\\n' ${q(nameKey(fact.path))} ${q(json)}`];
  });
  const reads = iteration.reads.map((read) => `fl_value ${q(nameKey(read.path))} ${q(stems.get(read.taskId)!)} ${q(read.name)} || { echo ${q(`unknown the values of ${read.taskId} are not read here as Flotilla reads them`)} > "$D/answer"; exit 0; }`);
  return [
    '#!/bin/sh',
    `# Loop ${JSON.stringify(loopId)}, iteration ${j}: decided here once every task of it ended with 0 (written by Flotilla).`,
    `L=${q(L)}`,
    `D="$L/decided-${j}"`,
    // The latest attempt of a task: the highest-numbered folder.
    'fl_last() { n=1; while [ -d "$1.$((n + 1))" ]; do n=$((n + 1)); done; a="$1.$n"; }',
    `fl_ok() { fl_last "$1"; tail -n 1 "$a/status" 2>/dev/null | grep -qs '^end [0-9][^ ]* 0 *$'; }`,
    `fl_value() { fl_last "$2"; f="$a/values"; [ -e "$f" ] || [ -L "$f" ] || return 0; [ -f "$f" ] && [ ! -L "$f" ] && [ "$(wc -c < "$f")" -le ${MAX_VALUES_BYTES} ] && [ "$(tr -d '\\000' < "$f" | wc -c)" -eq "$(wc -c < "$f")" ] && FL_KEY="$1" FL_NAME="$3" LC_ALL=C awk -f "$L/../values.awk" "$f" >> "$D/facts"; }`,
    '[ -e "$L/stop" ] && exit 0',
    ...started,
    `${[...stems.values()].map((stem) => `fl_ok ${q(stem)}`).join(' && ')} || exit 0`,
    // One job decides: the first to make the folder.
    'mkdir "$D" 2>/dev/null || exit 0',
    `{ ${['true', ...facts.flat()].join('; ')}; } > "$D/facts"`,
    ...reads,
    'answer=$(LC_ALL=C awk -f "$L/../until.awk" "$L/until" "$D/facts" 2>&1)',
    'printf \'%s\\n\' "$answer" > "$D/answer"',
    // And in the folder of the attempt whose job decided (the wrapper passes it).
    `[ -d "\${1:-}" ] && printf 'iteration ${j} of %s: %s\\n' ${q(loopId)} "$answer" > "$1/decision"`,
    `[ "$answer" = 'value b 0' ] && [ -f "$L/submit-${j + 1}.sh" ] || exit 0`,
    'mkdir "$D/next" 2>/dev/null || exit 0',
    // The job's own SLURM settings are not the next job's.
    `for v in $(env | sed -n 's/^\\(SLURM_[A-Za-z0-9_]*\\)=.*/\\1/p'); do case $v in SLURM_CONF|SLURM_CLUSTERS) ;; *) unset "$v" ;; esac; done`,
    `cd / && sh "$L/submit-${j + 1}.sh" > "$D/next/answer" 2>&1`,
    '',
  ].join('\n');
}

/** The attempts of iteration J as Flotilla would submit them next, each running `decide-J.sh` when it ends. */
function submissions(runRoot: string, runId: string, loopId: string, iteration: AheadIteration): Submission[] {
  const inside = new Set(iteration.tasks.map((task) => task.id));
  const keys = new Map(iteration.tasks.map((task, i) => [task.id, `t${i}`]));
  const then = `${loopFolder(runRoot, loopId)}/decide-${iteration.index}.sh`;
  return iteration.tasks.flatMap((task, i) => {
    const cwd = remoteCwd(runRoot, task.cwd);
    const n = iteration.attempts[i];
    // (One Flotilla handed out already is Flotilla's to go on with.)
    if (n === null || n === undefined) return [];
    return [{ key: keys.get(task.id)!, runId, task, n, cwd, dir: `${attemptStemDir(runRoot, runId, task.id, task.cwd)}.${n}`, after: task.after.filter((id) => inside.has(id)).map((id) => ({ key: keys.get(id)! })), then }];
  });
}

interface LoopState {
  /** Its number in walk keys (`w3.J.I`). */
  no: number;
  /** `LoopAhead.version` of what was written. */
  version: string;
  /** Cancelled or run again: its cluster must not go on (`stop`) until Flotilla submits to it again; what it went on with from `halt` is set aside. */
  stop: 'write' | 'written' | null;
  halt: LoopAhead | null;
  /** The last iteration whose files a whole answer confirmed written. */
  written: number;
  /** The latest iteration's (it makes the others). */
  ahead: LoopAhead;
  /** The attempts of iterations walks read, in their order (walk keys name them by it). */
  tasks: Map<number, { id: string; n: number }[]>;
}

/** What one remote target keeps of the loops it advances ahead. */
export class LoopsAhead {
  private readonly runId: string;
  private readonly loops = new Map<string, LoopState>();
  /** What walks saw of attempts the cluster submitted, by task id. */
  private readonly seen = new Map<string, { n: number; markers: AttemptMarkers }>();
  private common = false;

  constructor(runId: string) {
    this.runId = runId;
  }

  /** The script an attempt of `ahead`'s iteration runs once it ended. */
  then(runRoot: string, ahead: LoopAhead): string {
    return `${loopFolder(runRoot, ahead.loop)}/decide-${ahead.index}.sh`;
  }

  /**
   * The loop is cancelled, or runs again from `ahead.index`: the next command stops its
   * cluster going on, and stops and sets aside the attempts the cluster made from that
   * iteration on that Flotilla has not (those numbered from the one it would make next), with
   * the decisions taken there.
   */
  halt(ahead: LoopAhead): void {
    const state = this.state(ahead);
    state.stop = 'write';
    if (!state.halt || ahead.index < state.halt.index) state.halt = ahead;
  }

  /** Whether a command has a halt to send. */
  get halting(): boolean {
    return [...this.loops.values()].some((state) => state.stop === 'write');
  }

  /**
   * The commands that write what these attempts' loops need on the cluster and was not
   * written yet, and the stops asked for; `written` once a command carrying them was
   * answered whole. `submitting`: the command submits attempts of these loops (a stopped
   * loop may go on again); `open`: whether this target tracks an attempt (a halt leaves it be).
   */
  files(runRoot: string, aheads: Iterable<LoopAhead>, options: { dialect: Dialect; arrayLimit: number; submitting?: boolean; open?: (taskId: string, n: number) => boolean }): { text: string; written: () => void } {
    const parts: string[] = [];
    const done: (() => void)[] = [];
    for (const state of this.loops.values()) {
      if (state.stop !== 'write') continue;
      parts.push(`: > ${q(`${loopFolder(runRoot, state.ahead.loop)}/stop`)}`, ...haltCommands(runRoot, this.runId, state.halt, options.dialect, options.open ?? (() => false)));
      const halt = state.halt;
      done.push(() => {
        if (state.stop === 'write') state.stop = 'written';
        if (state.halt === halt) state.halt = null;
      });
    }
    for (const ahead of latest(aheads)) {
      const state = this.state(ahead);
      const L = loopFolder(runRoot, ahead.loop);
      // Flotilla goes on with the loop: so may its cluster (a stop of another process too).
      if (options.submitting) {
        parts.push(`rm -f -- ${q(`${L}/stop`)}`);
        if (state.stop === 'written') state.stop = null;
      }
      const chained = options.dialect.followsEdges;
      const submit = (some: Submission[]) => submitScript(some, { dialect: options.dialect, runRoot, arrayLimit: options.arrayLimit });
      let to = Math.max(state.written, ahead.index - 1);
      const from = to + 1;
      for (let j = from; j <= ahead.index + AHEAD_ITERATIONS; j++) {
        const iteration = ahead.iteration(j);
        if (!iteration) break;
        if (j === from) parts.push(`mkdir -p -- ${q(L)}`, replaceFileCommand(`${L}/until`, awkProgram(iteration.until)));
        const batch = submissions(runRoot, this.runId, ahead.loop, iteration);
        parts.push(
          replaceFileCommand(`${L}/decide-${j}.sh`, decideScript(runRoot, this.runId, ahead.loop, iteration, !chained)),
          replaceFileCommand(`${L}/probe-${j}.sh`, batch.flatMap((s) => probeCommands({ dir: s.dir, cwd: s.cwd, outputRoots: [...new Set(s.task.outputs.map(staticRoot))] }, `"$P"${iteration.tasks.indexOf(s.task)}`)).join('\n')),
        );
        // Where jobs are not chained (a plain host), the first tasks go in together, each other one when those before it ended.
        if (j > ahead.index) parts.push(replaceFileCommand(`${L}/submit-${j}.sh`, submit(chained ? batch : batch.filter((s) => s.after.length === 0))));
        if (!chained) for (const s of batch) if (s.after.length > 0) parts.push(replaceFileCommand(`${L}/start-${j}-${iteration.tasks.indexOf(s.task)}.sh`, submit([{ ...s, after: [] }])));
        to = j;
      }
      if (to >= from) done.push(() => (state.written = Math.max(state.written, to)));
    }
    if (parts.length > 0 && !this.common) {
      const shared = posix.join(runRoot, '.flotilla', 'loops');
      parts.unshift(`mkdir -p -- ${q(shared)}`, replaceFileCommand(`${shared}/until.awk`, AWK_EVALUATOR), replaceFileCommand(`${shared}/values.awk`, VALUES_AWK));
      done.push(() => (this.common = true));
    }
    return { text: parts.join('\n'), written: () => done.forEach((mark) => mark()) };
  }

  /** What a poll reads of these attempts' loops: the iterations after the latest of each, if the cluster went on (and on a plain host that one). */
  walks(runRoot: string, aheads: Iterable<LoopAhead>, dialect: Dialect): Walk[] {
    // On a plain host the iteration's own jobs start each other: read it too.
    return latest(aheads).map((ahead) => ({ dir: loopFolder(runRoot, ahead.loop), from: dialect.followsEdges ? ahead.index + 1 : ahead.index, current: ahead.index, prefix: `w${this.state(ahead).no}` }));
  }

  /** Keeps a poll's record of an attempt a walk read (its key is a walk's); false for any other key. */
  absorb(key: string, markers: AttemptMarkers): boolean {
    const match = /^w(\d+)\.(\d+)\.(\d+)$/.exec(key);
    if (!match) return false;
    const state = [...this.loops.values()].find((loop) => loop.no === Number(match[1]));
    const j = Number(match[2]);
    let made = state?.tasks.get(j);
    if (state && !made) {
      const iteration = state.ahead.iteration(j);
      state.tasks.set(j, (made = iteration?.tasks.map((task, i) => ({ id: task.id, n: iteration.attempts[i] ?? 0 })) ?? []));
    }
    const attempt = made?.[Number(match[3])];
    if (attempt && markers.jobId) this.seen.set(attempt.id, { n: attempt.n, markers });
    return true;
  }

  /** What a walk saw of attempt `n` of a task, made by the cluster, handed over once. */
  take(taskId: string, n: number): AttemptMarkers | undefined {
    const seen = this.seen.get(taskId);
    this.seen.delete(taskId);
    return seen?.n === n ? seen.markers : undefined;
  }

  private state(ahead: LoopAhead): LoopState {
    let state = this.loops.get(ahead.loop);
    if (!state) this.loops.set(ahead.loop, (state = { no: this.loops.size + 1, version: ahead.version, stop: null, halt: null, written: ahead.index - 1, ahead, tasks: new Map() }));
    if (ahead.version !== state.version) {
      // The loop changed (a reload, iterations discarded): what was made ahead is made again.
      Object.assign(state, { version: ahead.version, written: ahead.index - 1, ahead, tasks: new Map() });
    }
    if (ahead.index >= state.ahead.index) state.ahead = ahead;
    return state;
  }
}

/**
 * The commands that set aside what a loop's cluster went on with from iteration
 * `halt.index`: each attempt Flotilla has not made (from the one it would make next), its
 * job stopped if it runs, its folder renamed (no submission finds its job again), and the
 * decisions taken there.
 */
function haltCommands(runRoot: string, runId: string, halt: LoopAhead | null, dialect: Dialect, open: (taskId: string, n: number) => boolean): string[] {
  if (!halt) return [];
  const lines = [`fl_halt() { n=$2; while [ -d "$1.$n" ]; do d="$1.$n"; if [ -s "$d/jobid" ] && ! grep -qs '^end ' "$d/status"; then j=$(cat "$d/jobid"); ${dialect.stopJob}; fi; mv -- "$d" "$d.halted.$$"; n=$((n + 1)); done; return 0; }`];
  for (let j = halt.index; j <= halt.index + AHEAD_ITERATIONS; j++) {
    const iteration = halt.iteration(j);
    if (!iteration) break;
    lines.push(`rm -rf -- ${q(`${loopFolder(runRoot, halt.loop)}/decided-${j}`)}`);
    iteration.tasks.forEach((task, i) => {
      let n = iteration.attempts[i];
      if (n === null || n === undefined) return;
      // Past what this target submitted meanwhile (a halt sent again after a lost answer).
      while (open(task.id, n)) n++;
      lines.push(`fl_halt ${q(attemptStemDir(runRoot, runId, task.id, task.cwd))} ${n}`);
    });
  }
  return lines;
}

/** The latest iteration's `LoopAhead` of each loop among `aheads`. */
function latest(aheads: Iterable<LoopAhead>): LoopAhead[] {
  const byLoop = new Map<string, LoopAhead>();
  for (const ahead of aheads) if ((byLoop.get(ahead.loop)?.index ?? -1) < ahead.index) byLoop.set(ahead.loop, ahead);
  return [...byLoop.values()];
}

/** The loops of attempts that are of one its cluster goes on with. */
export function aheadsOf(entries: Iterable<{ ahead?: LoopAhead }>): LoopAhead[] {
  return [...entries].flatMap((entry) => (entry.ahead ? [entry.ahead] : []));
}
