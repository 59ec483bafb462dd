/**
 * A run's times at a glance: with two runs of the workflow behind it, a third shows its
 * progress and ETA in the header, tries, exit and time in the table and in each node, and a
 * timeline with an axis, a legend, details on hover, zoom, and the tasks to come as forecast bars.
 * The editor's inspector says when a time limit is shorter than past runs took.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Store } from '../../core/store/store.ts';
import { pastRun } from '../helpers.ts';
import { artifacts, expect, repo, test } from './fixtures.ts';

test('progress, ETA, durations and the timeline of a run', async ({ page, core }) => {
  const gate = path.join(core.dir, 'gate');
  const file = path.join(core.dir, 'timed.yaml');
  writeFileSync(
    file,
    `version: 1
name: timed
defaults: { cache: false }
tasks:
  prepare: { run: sleep 0.3 }
  hold: { after: prepare, run: 'while [ ! -e "${gate}" ]; do sleep 0.05; done' }
  finish: { after: hold, run: sleep 0.3 }
`,
  );
  const cli = path.join(repo, 'core/host/cli/flotilla.cjs');
  const env = { ...process.env, FLOTILLA_HOME: core.home };
  writeFileSync(gate, '');
  for (const round of [1, 2]) {
    const ran = spawnSync(process.execPath, [cli, 'run', file], { env, encoding: 'utf8' });
    expect(ran.status, `run ${round}: ${ran.stderr}`).toBe(0);
  }
  rmSync(gate);
  const third = spawn(process.execPath, [cli, 'run', file], { env, stdio: 'ignore' });
  try {
    const store = Store.open(core.home);
    const runsOfFile = () => store.listRuns(100).filter((run) => run.file === file);
    await expect.poll(() => runsOfFile().length).toBe(3);
    const runId = runsOfFile()[0]!.id;
    store.close();
    await page.goto(`${core.url}#/runs/${runId}`);
    await expect(page.locator('.run-node[data-task="hold"]')).toHaveAttribute('data-state', 'running');
    await expect(page.getByLabel('Estimated end')).toContainText(/ETA \d\d:\d\d \(in /);
    await expect(page.getByLabel('Progress')).toContainText('%');
    await expect(page.locator('.run-node[data-task="prepare"] .timing')).toHaveText(/^ · \d+ m?s$/);

    await page.keyboard.press('t');
    const prepare = page.getByRole('row').filter({ hasText: 'prepare' });
    await expect(prepare).toContainText(/succeeded\s*local\s*1\s*0\s*\d+ m?s/);

    await page.keyboard.press('l');
    const timeline = page.getByRole('figure', { name: 'Timeline of attempts' });
    await expect(timeline.getByLabel('Legend')).toContainText('forecast');
    await expect(timeline.locator('.axis .tick').first()).toHaveText(/^\d\d:\d\d:\d\d$/);
    // `finish` has not started (the local launcher holds it until `hold` ends): drawn where the forecast puts it.
    await expect(timeline.locator('.gantt[data-task="finish"] .forecast')).toHaveCount(1);
    await timeline.locator('.gantt[data-task="prepare"] .ran').hover();
    await expect(page.getByRole('tooltip')).toContainText('prepare attempt 1: succeeded');
    await expect(page.getByRole('tooltip')).toContainText('exit code 0');
    await page.screenshot({ path: path.join(artifacts, 'monitor-timeline.png') });
    const svg = timeline.locator('.timeline-scroll > svg');
    const width = Number(await svg.getAttribute('width'));
    await timeline.getByRole('button', { name: 'Zoom in' }).click();
    await expect.poll(async () => Number(await svg.getAttribute('width'))).toBeGreaterThan(width * 1.5);
    await timeline.getByRole('button', { name: 'Fit' }).click();
    await expect.poll(async () => Number(await svg.getAttribute('width'))).toBe(width);

    writeFileSync(gate, '');
    await expect(page.getByLabel('Run state')).toHaveText('succeeded', { timeout: 30_000 });
    await expect(page.getByLabel('Estimated end')).toHaveCount(0);
    await expect(timeline.locator('.timeline-scroll .forecast')).toHaveCount(0);
  } finally {
    third.kill();
  }
});

test('the inspector warns of a time limit past runs outgrew, and fills one that would do', async ({ page, core }) => {
  const file = path.join(core.dir, 'long.yaml');
  writeFileSync(
    file,
    `version: 1
name: long
targets:
  hpc: { type: slurm, host: hpc.example.org, root: flotilla }
tasks:
  simulate: { target: hpc, resources: { time: 1m }, run: mdrun }
`,
  );
  const store = Store.open(core.home);
  for (const seconds of [50, 70, 65]) pastRun(store, file, { simulate: seconds });
  store.close();
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  await page.locator('.react-flow__node[data-id="simulate"]').click();
  const inspector = page.getByRole('complementary', { name: 'Inspector: simulate' });
  const advice = inspector.getByLabel('Walltime advice');
  await expect(advice).toContainText('Time 1m is shorter than its last 3 attempts on hpc needed (95th percentile 70 s)');
  await page.screenshot({ path: path.join(artifacts, 'editor-walltime-advice.png') });
  await advice.getByRole('button', { name: 'Use 2m' }).click();
  await expect(inspector.getByLabel('Time', { exact: true })).toHaveValue('2m');
  await expect(advice).toHaveCount(0);
});
