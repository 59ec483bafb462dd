/**
 * `flotilla diff RUN1 RUN2`: what differs between two runs (core/api/diff.ts), printed: where
 * each came from, the parameters, the workflow file as a unified diff, the tasks whose outcome
 * changed, and the durations that moved the most. `--json` prints the comparison as data.
 */
import type { RunDiff, RunHeader } from '../../api/types.ts';
import { withService } from './commands.ts';
import { EXIT_OK, UsageError } from './options.ts';
import type { CliOptions } from './options.ts';
import { formatDuration } from './progress.ts';

/** Durations listed at most (those that moved the most). */
const LISTED_DURATIONS = 15;
const NOISE_MS = 100;

export async function diffCommand(positionals: string[], values: CliOptions): Promise<number> {
  if (positionals.length !== 2) throw new UsageError('diff needs two runs: flotilla diff RUN1 RUN2');
  return withService(async (service) => {
    const diff = await service.perform('runs.diff', { a: positionals[0]!, b: positionals[1]! });
    process.stdout.write(values.json ? `${JSON.stringify(diff, null, 2)}\n` : diffText(diff));
    return EXIT_OK;
  });
}

/** The comparison as a person reads it. */
export function diffText(diff: RunDiff): string {
  const out: string[] = [`a: ${describe(diff.a)}`, `b: ${describe(diff.b)}`, ''];
  if (diff.params.length === 0) out.push('params: the same');
  else for (const param of diff.params) out.push(`param ${param.name}: ${shown(param, 'a')} → ${shown(param, 'b')}`);
  if (diff.file.same) out.push(`workflow: the same text${diff.file.note ? ` (${diff.file.note})` : ''}`);
  else if (diff.file.hunks === null) out.push(`workflow: ${diff.file.note ?? 'differs'}`);
  else {
    out.push(`workflow: changed${diff.file.note ? ` (${diff.file.note})` : ''}`, `--- ${diff.a.file} (run ${diff.a.id})`, `+++ ${diff.b.file} (run ${diff.b.id})`);
    for (const hunk of diff.file.hunks) {
      out.push(`@@ -${hunk.a},${hunk.aLines} +${hunk.b},${hunk.bLines} @@`);
      for (const line of hunk.lines) out.push(`${line.kind}${line.text}`);
    }
  }
  const changed = diff.tasks.filter((task) => task.changed);
  out.push('', changed.length === 0 ? 'outcomes: the same for every task' : `outcomes that changed (${changed.length}):`);
  for (const task of changed.slice(0, 50)) out.push(`  ${task.task}  ${task.a?.state ?? '(not in a)'} → ${task.b?.state ?? '(not in b)'}`);
  if (changed.length > 50) out.push(`  … and ${changed.length - 50} more (--json lists them all)`);
  // Times under a tenth of a second are noise, not a change worth listing.
  const timed = diff.tasks.filter((task) => task.a?.ms != null && task.b?.ms != null && Math.max(task.a.ms, task.b.ms) >= NOISE_MS).map((task) => ({ task: task.task, a: Math.max(1, task.a!.ms!), b: Math.max(1, task.b!.ms!) }));
  if (timed.length > 0) {
    const moved = timed.sort((x, y) => Math.abs(Math.log(y.b / y.a)) - Math.abs(Math.log(x.b / x.a))).slice(0, LISTED_DURATIONS);
    out.push('', `durations, a → b (the ${moved.length} that moved the most of ${timed.length}):`);
    const width = Math.min(40, Math.max(...moved.map((task) => task.task.length)));
    for (const task of moved) out.push(`  ${task.task.padEnd(width)}  ${formatDuration(task.a).padStart(7)} → ${formatDuration(task.b).padStart(7)}  ${percent(task.a, task.b)}`);
  }
  return `${out.join('\n')}\n`;
}

function describe(run: RunHeader): string {
  const when = new Date(run.createdAt).toISOString().replace('T', ' ').slice(0, 19);
  const git = run.provenance?.git;
  const commit = git ? (git.commit ? `commit ${git.commit.slice(0, 10)}${git.fileChanged ? ' (file changed since)' : git.dirty ? ' (repository dirty)' : ''}` : 'no commit yet') : 'not in git';
  return `run ${run.id}  ${when}  ${run.state}  ${run.name}  ${commit}${run.provenance ? `  flotilla ${run.provenance.version} on ${run.provenance.user}@${run.provenance.host}` : ''}`;
}

function shown(param: RunDiff['params'][number], side: 'a' | 'b'): string {
  return side in param ? JSON.stringify(param[side]) : '(unset)';
}

function percent(a: number, b: number): string {
  const change = Math.round(((b - a) / a) * 100);
  return `${change >= 0 ? '+' : ''}${change}%`;
}
