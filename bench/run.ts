/**
 * `npm run bench`: Flotilla against make (and ninja where installed) on the same task DAGs,
 * side by side in one run, at concurrency 2. Prints one line per workload,
 *   W1 flotilla_ms_per_task=… make_ms_per_task=… ratio=…
 * then the no-op rerun time of W1, a 1,000-iteration loop against the same 2,000 tasks as a
 * static chain, and the time and memory to parse, validate and plan a generated 100,000-task
 * workflow. Not a test: figures depend on the machine; compare ratios.
 *
 * Per-task overhead = wall time / tasks × concurrency, as in bench/workloads/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Workload {
  name: string;
  n_tasks: number;
  nodes: { id: string; command: string; deps: string[]; outputs: string[] }[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'core', 'host', 'cli', 'flotilla.cjs');
const CONCURRENCY = 2;
// Medians of 9 runs of each engine, taken in turn: on a shared machine make's own time varies
// up to twofold from one minute to the next, and a median of 5 still let one slow stretch of
// either engine move a ratio by 0.2.
const REPEATS = Number(process.env.BENCH_REPEATS ?? 9);
const work = mkdtempSync(path.join(tmpdir(), 'flotilla-bench-'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${result.stderr}`);
  return ms;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

function writeFlotilla(workload: Workload, dir: string): string {
  const tasks: Record<string, unknown> = {};
  for (const node of workload.nodes) tasks[node.id] = { run: node.command, outputs: node.outputs, ...(node.deps.length > 0 ? { after: node.deps } : {}) };
  const file = path.join(dir, 'workflow.json');
  writeFileSync(file, JSON.stringify({ version: 1, name: workload.name, targets: { local: { type: 'local', max_parallel: CONCURRENCY } }, tasks }));
  return file;
}

function writeMakefile(workload: Workload, dir: string): void {
  const byId = new Map(workload.nodes.map((node) => [node.id, node]));
  const lines = [`all: ${workload.nodes.map((node) => node.outputs[0]).join(' ')}`, ''];
  for (const node of workload.nodes) {
    lines.push(`${node.outputs[0]}: ${node.deps.map((dep) => byId.get(dep)!.outputs[0]).join(' ')}`, `\t@${node.command}`, '');
  }
  writeFileSync(path.join(dir, 'Makefile'), lines.join('\n'));
}

function writeNinja(workload: Workload, dir: string): void {
  const byId = new Map(workload.nodes.map((node) => [node.id, node]));
  const lines = ['rule run', '  command = $cmd', ''];
  for (const node of workload.nodes) {
    lines.push(`build ${node.outputs[0]}: run ${node.deps.length ? '| ' + node.deps.map((dep) => byId.get(dep)!.outputs[0]).join(' ') : ''}`, `  cmd = ${node.command}`, '');
  }
  writeFileSync(path.join(dir, 'build.ninja'), lines.join('\n'));
}

/**
 * An empty out/ for the next timed run. The last run's outputs are moved aside, not deleted,
 * until the bench ends: on ext4 without a journal (as on this kind of machine) every file
 * created scans past the inodes deleted in the last minutes, so each deletion of 1,000 files
 * made every later run slower, by up to half (the next engine paid for the one before).
 */
let setAside = 0;
function fresh(dir: string): void {
  mkdirSync(path.join(work, 'set-aside'), { recursive: true });
  if (existsSync(path.join(dir, 'out'))) renameSync(path.join(dir, 'out'), path.join(work, 'set-aside', String(setAside++)));
  mkdirSync(path.join(dir, 'out'));
  // What the last run wrote goes to disk now, not during the next timed run.
  spawnSync('sync');
}

// Measure what users run: the bundled CLI and the C launcher, built from the current sources.
for (const script of ['build:launcher', 'build:cli']) {
  const built = spawnSync('npm', ['run', '--silent', script], { cwd: path.join(here, '..'), stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`npm run ${script} failed`);
}

const perTask = (ms: number, tasks: number) => (ms / tasks) * CONCURRENCY;
const workloads = readdirWorkloads();
const ninja = has('ninja');
console.log(`Flotilla bench: ${workloads.length} workloads, concurrency ${CONCURRENCY}, median of ${REPEATS}; every transition persisted to SQLite`);
let w1Dir = '';
let w1Home = '';
workloads.forEach((workload, index) => {
  const dir = path.join(work, workload.name);
  mkdirSync(dir, { recursive: true });
  const file = writeFlotilla(workload, dir);
  writeMakefile(workload, dir);
  if (ninja) writeNinja(workload, dir);
  const home = path.join(dir, 'home');
  const flotilla: number[] = [];
  const make: number[] = [];
  const ninjaTimes: number[] = [];
  const engines = [
    () => make.push(timed('make', ['-j', String(CONCURRENCY), '-s'], dir)),
    ...(ninja
      ? [
          () => {
            rmSync(path.join(dir, '.ninja_log'), { force: true });
            ninjaTimes.push(timed('ninja', ['-j', String(CONCURRENCY), '--quiet'], dir));
          },
        ]
      : []),
    () => flotilla.push(timed(process.execPath, [cli, 'run', file, '--quiet', '--fresh'], dir, { ...process.env, FLOTILLA_HOME: home })),
  ];
  for (let r = 0; r < REPEATS; r++) {
    // Each engine goes first in turn: none always runs right after another.
    for (let i = 0; i < engines.length; i++) {
      fresh(dir);
      engines[(r + i) % engines.length]!();
    }
  }
  const f = perTask(median(flotilla), workload.n_tasks);
  const m = perTask(median(make), workload.n_tasks);
  const n = ninja ? ` ninja_ms_per_task=${perTask(median(ninjaTimes), workload.n_tasks).toFixed(2)}` : '';
  console.log(`W${index + 1} ${workload.name} flotilla_ms_per_task=${f.toFixed(2)} make_ms_per_task=${m.toFixed(2)}${n} ratio=${(f / m).toFixed(2)}`);
  if (index === 0) {
    w1Dir = dir;
    w1Home = home;
  }
});

// No-op rerun: everything of W1 is cached (outputs present, hashes match).
const w1File = path.join(w1Dir, 'workflow.json');
const noop = median(Array.from({ length: REPEATS }, () => timed(process.execPath, [cli, 'run', w1File, '--quiet'], w1Dir, { ...process.env, FLOTILLA_HOME: w1Home })));
const makeNoop = median(Array.from({ length: REPEATS }, () => timed('make', ['-s', '-j', String(CONCURRENCY)], w1Dir)));
console.log(`noop_rerun_1000_cached flotilla_s=${(noop / 1000).toFixed(3)} make_s=${(makeNoop / 1000).toFixed(3)} (target ≤ 0.2 s)`);

// A loop of 1,000 iterations of two trivial tasks (each iteration made while the run goes, after
// a decision on the last one's value) against the same 2,000 tasks written out as a chain.
const loopDir = path.join(work, 'loop');
mkdirSync(loopDir, { recursive: true });
const step = 'echo "k=$K" >> "$FLOTILLA_VALUES"';
writeFileSync(path.join(loopDir, 'loop.yaml'), `version: 1\nname: loop\ndefaults: { retries: 0 }\ntasks:\n  md:\n    repeat: { until: "tasks.check.values.k >= 999", max: 1000 }\n    tasks:\n      run: { run: "true" }\n      check: { after: run, env: { K: "{{ repeat.index }}" }, run: '${step}' }\n`);
const chain: Record<string, unknown> = {};
for (let k = 0; k < 1000; k++) {
  chain[`run${k}`] = { run: 'true', ...(k > 0 ? { after: [`check${k - 1}`] } : {}) };
  chain[`check${k}`] = { run: step, after: [`run${k}`], env: { K: String(k) } };
}
writeFileSync(path.join(loopDir, 'chain.json'), JSON.stringify({ version: 1, name: 'chain', defaults: { retries: 0 }, tasks: chain }));
const loopTimes: number[] = [];
const chainTimes: number[] = [];
const loopRepeats = Math.min(REPEATS, 5);
for (let r = 0; r < loopRepeats; r++) {
  const runs = [
    () => loopTimes.push(timed(process.execPath, [cli, 'run', 'loop.yaml', '--quiet'], loopDir, { ...process.env, FLOTILLA_HOME: path.join(loopDir, 'home') })),
    () => chainTimes.push(timed(process.execPath, [cli, 'run', 'chain.json', '--quiet'], loopDir, { ...process.env, FLOTILLA_HOME: path.join(loopDir, 'home') })),
  ];
  runs[r % 2]!();
  runs[(r + 1) % 2]!();
}
console.log(`loop_1000_iterations flotilla_loop_s=${(median(loopTimes) / 1000).toFixed(2)} flotilla_chain_2000_s=${(median(chainTimes) / 1000).toFixed(2)} ratio=${(median(loopTimes) / median(chainTimes)).toFixed(2)} (target ≤ 1.5)`);

// 100,000 tasks: explicit tasks in layers of 1,000, each after two tasks of the layer before.
const big = path.join(work, 'big.json');
const tasks: Record<string, unknown> = {};
for (let i = 0; i < 100_000; i++) {
  const layer = Math.floor(i / 1000);
  const after = layer === 0 ? undefined : [`t${(layer - 1) * 1000 + ((i * 7) % 1000)}`, `t${(layer - 1) * 1000 + ((i * 13) % 1000)}`];
  tasks[`t${i}`] = { run: `echo ${i} > out/t${i}`, outputs: [`out/t${i}`], ...(after ? { after } : {}) };
}
writeFileSync(big, JSON.stringify({ version: 1, name: 'big', tasks }, null, 1));
const planner = path.join(here, 'plan.ts');
const measured = spawnSync(process.execPath, [planner, big], { encoding: 'utf8' });
if (measured.status !== 0) throw new Error(measured.stderr);
const plan = JSON.parse(measured.stdout) as { tasks: number; edges: number; ms: number; maxRssMb: number };
console.log(`plan_100k tasks=${plan.tasks} edges=${plan.edges} seconds=${(plan.ms / 1000).toFixed(2)} max_rss_mb=${plan.maxRssMb.toFixed(0)} (targets ≤ 2 s, ≤ 500 MB)`);
const sweep = path.join(work, 'sweep.yaml');
writeFileSync(sweep, 'version: 1\nname: sweep\ntasks:\n  s:\n    foreach: { i: { range: [0, 100000] } }\n    run: "echo {{ i }} > out/{{ i }}"\n    outputs: "out/{{ i }}"\n  total: { after: s, run: cat out/* | wc -l }\n');
const swept = JSON.parse(spawnSync(process.execPath, [planner, sweep], { encoding: 'utf8' }).stdout) as typeof plan;
console.log(`plan_100k_sweep tasks=${swept.tasks} seconds=${(swept.ms / 1000).toFixed(2)} max_rss_mb=${swept.maxRssMb.toFixed(0)}`);
rmSync(work, { recursive: true, force: true });

function readdirWorkloads(): Workload[] {
  const folder = path.join(here, 'workloads');
  return ['w1_bag_1000.json', 'w2_chain_200.json', 'w3_fan_500.json', 'w4_layered_20x50.json'].map((name) => JSON.parse(readFileSync(path.join(folder, name), 'utf8')) as Workload);
}
