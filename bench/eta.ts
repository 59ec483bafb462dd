/**
 * `npm run bench:eta`: how right the ETA is. A workflow of 40 tasks (three sweeps of 8 with
 * varied durations, fan-in, a chain) whose sleeps are seeded and jittered ±20 % from run to
 * run is run three times for history; then a fourth run (more with ETA_RUNS=n) is watched, and
 * at 25, 50 and 75 % of its tasks ended the forecast (`runs.forecast`) is taken. When the run
 * has ended, each ETA's error is set against the time that really remained. Printed beside the
 * same figure for the estimate a progress bar gives (elapsed ÷ share done), and the target:
 * median absolute error ≤ 25 % of the remaining time. Not a test: figures depend on the machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Forecaster } from '../core/api/forecast.ts';
import { TERMINAL_STATES } from '../core/model/task-states.ts';
import { Store } from '../core/store/store.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'core', 'host', 'cli', 'flotilla.cjs');
const work = mkdtempSync(path.join(tmpdir(), 'flotilla-bench-eta-'));
const home = path.join(work, 'home');
const HISTORY_RUNS = 3;
const SAMPLED_RUNS = Number(process.env.ETA_RUNS ?? 1);
const MARKS = [0.25, 0.5, 0.75];

/** A sleep of `base` seconds (an awk expression) jittered ±20 % by the run's seed and the task's number. */
function sleep(base: number | string, task: string): string {
  return `sleep $(awk -v s={{ params.seed }} 'BEGIN { srand(s * 1000 + ${task}); printf "%.2f", ${base} * (0.8 + 0.4 * rand()) }')`;
}

function workflow(): string {
  const lines = ['version: 1', 'name: eta-accuracy', 'params: { seed: 1 }', 'targets:', '  local: { type: local, max_parallel: 4 }', 'defaults: { cache: false }', 'tasks:'];
  lines.push('  prepare:', `    run: ${JSON.stringify(sleep(1, '1'))}`);
  // Three sweeps of 8 instances from 0.4 s to 3.2 s: one estimate pooled over each sweep's, as the ETA pools them.
  for (const k of [0, 1, 2]) {
    lines.push(`  simulate-${k}:`, '    after: [prepare]', '    foreach: { i: [0, 1, 2, 3, 4, 5, 6, 7] }');
    lines.push(`    run: ${JSON.stringify(sleep(`(0.4 + (({{ i }} + ${k * 8}) * 7 % 24) * 0.12)`, `${100 + k * 8} + {{ i }}`))}`);
    lines.push(`  reduce-${k}:`, `    after: [simulate-${k}]`, `    run: ${JSON.stringify(sleep(1.5, String(200 + k)))}`);
  }
  let previous = ['reduce-0', 'reduce-1', 'reduce-2'];
  for (let step = 0; step < 11; step++) {
    lines.push(`  analyse-${step}:`, `    after: [${previous.join(', ')}]`, `    run: ${JSON.stringify(sleep(0.3 + (step % 4) * 0.4, String(300 + step)))}`);
    previous = [`analyse-${step}`];
  }
  lines.push('  report:', `    after: [${previous[0]}]`, `    run: ${JSON.stringify(sleep(0.5, '400'))}`);
  return `${lines.join('\n')}\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function runOnce(file: string, seed: number): void {
  const result = spawnSync(process.execPath, [cli, 'run', file, '-q', '-p', `seed=${seed}`], { env: { ...process.env, FLOTILLA_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`run ${seed} failed: ${result.stderr}`);
}

interface Sample {
  mark: number;
  at: number;
  eta: number;
  naive: number;
}

/** Runs the workflow once more, taking the forecast as each mark of its tasks is passed; the samples and when the run ended. */
async function sampledRun(file: string, seed: number): Promise<{ samples: Sample[]; end: number }> {
  const store = Store.open(home);
  const forecaster = new Forecaster(store);
  const before = new Set(store.listRuns(1000).map((run) => run.id));
  const child = spawn(process.execPath, [cli, 'run', file, '-q', '-p', `seed=${seed}`], { env: { ...process.env, FLOTILLA_HOME: home }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const samples: Sample[] = [];
  let runId: string | undefined;
  let code: number | null | undefined;
  void exited.then((status) => (code = status));
  while (code === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    runId ??= store.listRuns(5).find((run) => !before.has(run.id))?.id;
    if (runId === undefined) continue;
    const states = store.taskStates(runId);
    const share = states.filter((task) => TERMINAL_STATES.has(task.state)).length / states.length;
    const mark = MARKS[samples.length];
    if (mark === undefined || share < mark) continue;
    const run = store.getRun(runId)!;
    const now = Date.now();
    const forecast = forecaster.forecast(run, now, false);
    samples.push({ mark, at: now, eta: forecast.eta ?? now, naive: run.createdAt + (now - run.createdAt) / share });
  }
  if (code !== 0) throw new Error(`the sampled run exited with ${code}`);
  const end = store.getRun(runId!)!.endedAt!;
  store.close();
  return { samples, end };
}

const file = path.join(work, 'workflow.yaml');
writeFileSync(file, workflow());
try {
  for (let seed = 1; seed <= HISTORY_RUNS; seed++) runOnce(file, seed);
  const errors: number[] = [];
  const naiveErrors: number[] = [];
  for (let k = 0; k < SAMPLED_RUNS; k++) {
    const { samples, end } = await sampledRun(file, HISTORY_RUNS + 1 + k);
    for (const sample of samples) {
      const left = end - sample.at;
      const error = Math.abs(sample.eta - end) / left;
      const naive = Math.abs(sample.naive - end) / left;
      errors.push(error);
      naiveErrors.push(naive);
      console.log(`run ${HISTORY_RUNS + 1 + k} at ${sample.mark * 100}% of tasks: ${(left / 1000).toFixed(1)} s remained, ETA off by ${(Math.abs(sample.eta - end) / 1000).toFixed(1)} s (${(error * 100).toFixed(0)} %), progress-bar estimate off by ${(naive * 100).toFixed(0)} %`);
    }
  }
  const flotilla = median(errors);
  console.log(`eta_accuracy flotilla_median_abs_error=${(flotilla * 100).toFixed(1)}% progress_bar_median_abs_error=${(median(naiveErrors) * 100).toFixed(1)}% target<=25% ${flotilla <= 0.25 ? 'met' : 'NOT MET'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
