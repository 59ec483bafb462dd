/**
 * Loops in the app: a loop of many iterations is one node in the monitor, with its count, a
 * strip of its iterations and its latest values, growing live as the run adds iterations; one
 * iteration at a time expands into nodes; a loop's panel shows its condition and decision, a
 * skipped task's its condition and the values that decided it; the table shows a loop as one
 * row; the editor's inspector writes `repeat` on a group and `when` on a task.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { artifacts, expect, repo, test } from './fixtures.ts';

/** Iterations the first loop runs: more than its strip shows (40). */
const ITERATIONS = 60;

const loopNode = (page: Page, control: string) => page.locator(`.run-node[data-loop="${control}"]`);
const iterationNodes = (page: Page, control: string) => page.locator(`.run-node[data-task^="${control}#"]`);

test('a loop of 60 iterations is one node that grows live, and expands one iteration at a time', async ({ page, core }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const file = path.join(core.dir, 'many.yaml');
  writeFileSync(
    file,
    `version: 1
name: many
params: { last: ${ITERATIONS - 1} }
tasks:
  prepare: { run: 'true' }
  md:
    after: [prepare]
    repeat: { until: "tasks.check.values.n >= params.last", max: 200 }
    tasks:
      run: { run: 'sleep 0.05' }
      check: { after: [run], run: 'echo "n={{ repeat.index }}" >> "$FLOTILLA_VALUES"; echo "misfit=0.5" >> "$FLOTILLA_VALUES"' }
  analyse: { after: [md], run: 'true' }
`,
  );
  // Started from the editor: the monitor opens on a run of three tasks and sees every iteration arrive.
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node[data-id="md"]')).toContainText('↻ ≤200');
  await page.getByRole('button', { name: '▶ Run' }).click();
  // Seen while it runs: what follows was drawn from iterations added after the monitor opened.
  const md = loopNode(page, 'md');
  await expect(md).toHaveAttribute('data-state', 'running');
  await expect(md).toContainText(/iteration \d+ \(of at most 200\) · running/);
  await expect(page.getByLabel('Run state')).toHaveText('succeeded', { timeout: 60_000 });

  await expect(md).toHaveCount(1);
  await expect(md).toContainText(`iteration ${ITERATIONS} (of at most 200)`);
  await expect(md).toHaveAttribute('data-state', 'succeeded');
  // The strip: the latest 40 iterations, the 5 before them counted.
  await expect(md.locator('.loop-strip .cell')).toHaveCount(40);
  await expect(md.locator('.loop-strip .cell.state-succeeded')).toHaveCount(40);
  await expect(md.locator('.loop-strip')).toContainText(`+${ITERATIONS - 40} earlier`);
  await expect(md).toContainText(`#${ITERATIONS - 1}: n=${ITERATIONS - 1} · misfit=0.5`);
  // Three nodes: not one per iteration, nor one per declared task of the loop.
  await expect(page.locator('.react-flow__node')).toHaveCount(3);
  await expect(iterationNodes(page, 'md')).toHaveCount(0);
  await expect(page.locator('.run-node[data-path^="md/"]')).toHaveCount(0);
  await expect(page.locator('.react-flow__edge')).toHaveCount(2);
  await page.screenshot({ path: '/tmp/ui-loop-monitor.png' });
  await page.screenshot({ path: path.join(artifacts, 'monitor-loop.png') });

  // Expand: the latest iteration's tasks, and only them.
  await md.getByRole('button', { name: 'Expand an iteration of md' }).click();
  await expect(iterationNodes(page, 'md')).toHaveCount(2);
  await expect(page.locator(`.run-node[data-task="md#${ITERATIONS - 1}/run"]`)).toHaveAttribute('data-state', 'succeeded');
  await expect(page.locator(`.run-node[data-task="md#${ITERATIONS - 1}/check"]`)).toBeVisible();
  // Another iteration, picked in the strip: it replaces the first.
  await md.getByRole('button', { name: 'Iteration 30: succeeded' }).click();
  await expect(iterationNodes(page, 'md')).toHaveCount(2);
  await expect(page.locator('.run-node[data-task="md#30/run"]')).toBeVisible();
  await expect(page.locator('.run-node[data-task="md#30/check"]')).toBeVisible();
  await expect(md.locator('.loop-strip .cell.open')).toHaveCount(1);
  await page.screenshot({ path: '/tmp/ui-loop-expanded.png' });
  await md.getByRole('button', { name: 'Fold md#30' }).click();
  await expect(iterationNodes(page, 'md')).toHaveCount(0);

  // The loop's panel: its condition, bounds and decision.
  await md.locator('.wf-name').click();
  const loop = page.getByRole('region', { name: 'Loop' });
  await expect(loop).toContainText('tasks.check.values.n >= params.last');
  await expect(loop).toContainText(`${ITERATIONS} so far (of at most 200)`);
  await expect(loop).toContainText(`until tasks.check.values.n >= params.last is true (tasks.check.values.n = ${ITERATIONS - 1}, params.last = ${ITERATIONS - 1})`);
  // Too many iterations to list: the one to draw is typed.
  await loop.getByLabel('Iteration drawn').fill('12');
  await expect(page.locator('.run-node[data-task="md#12/run"]')).toBeVisible();
  await expect(iterationNodes(page, 'md')).toHaveCount(2);
  await loop.getByRole('button', { name: 'The loop as one node' }).click();
  await expect(iterationNodes(page, 'md')).toHaveCount(0);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: '/tmp/ui-loop-monitor-dark.png' });
  await page.emulateMedia({ colorScheme: 'light' });
  expect(errors).toEqual([]);
});

test('a skipped task shows as skipped with its condition and the values that decided it; the table lists a loop as one row', async ({ page, core }) => {
  const file = path.join(core.dir, 'skips.yaml');
  writeFileSync(
    file,
    `version: 1
name: skips
params: { quick: true }
tasks:
  md:
    repeat: { until: "tasks.check.values.n >= 2", max: 5 }
    tasks:
      # Its own condition: after the previous iteration's plot, skipped, it would be skipped too.
      check: { when: "true", run: 'echo "n={{ repeat.index }}" >> "$FLOTILLA_VALUES"' }
      plot: { after: [check], when: "repeat.index == 2", run: 'true' }
  adjoint: { after: [md], when: "not params.quick", run: 'true' }
`,
  );
  const ran = spawnSync(process.execPath, [path.join(repo, 'core/host/cli/flotilla.cjs'), 'run', file], { env: { ...process.env, FLOTILLA_HOME: core.home }, encoding: 'utf8' });
  expect(ran.status, ran.stderr).toBe(0);
  await page.goto(`${core.url}#/runs/last`);
  const adjoint = page.locator('.run-node[data-task="adjoint"]');
  await expect(adjoint).toHaveAttribute('data-state', 'skipped');
  await adjoint.click();
  await expect(page.locator('.task-panel .reason')).toHaveText('when not params.quick is false (params.quick = true)');
  await expect(page.getByRole('region', { name: 'Conditions' })).toContainText('not params.quick');

  // A task of an iteration, skipped there: its iteration drawn, its panel says why.
  await loopNode(page, 'md').getByRole('button', { name: 'Iteration 0: succeeded' }).click();
  const plot = page.locator('.run-node[data-task="md#0/plot"]');
  await expect(plot).toHaveAttribute('data-state', 'skipped');
  await plot.click();
  await expect(page.locator('.task-panel .reason')).toHaveText('when repeat.index == 2 is false (repeat.index = 0)');
  await expect(page.getByRole('region', { name: 'Conditions' })).toContainText('repeat.index == 2');
  await expect(page.locator('.task-panel')).toContainText('Iteration 0 of the loop md');
  await page.screenshot({ path: '/tmp/ui-loop-skipped.png' });

  // The table: the loop as one row, its done iteration tasks left out until a filter asks for them.
  await page.getByRole('tab', { name: 'Table' }).click();
  const rows = page.getByRole('table', { name: 'Tasks' }).getByRole('row');
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: /^md/ })).toContainText('iteration 3/≤5');
  await page.getByLabel('Filter tasks').fill('md#1');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('md#1/check');
});

test('the inspector makes a group a loop and gives a task a condition, and the file says so', async ({ page, core }) => {
  const file = path.join(core.dir, 'edit-loop.yaml');
  writeFileSync(file, 'version: 1\nname: edit-loop\nparams: { quick: false }\ntasks:\n  md:\n    tasks:\n      check: { run: echo "n=1" >> "$FLOTILLA_VALUES" }\n  report: { after: md, run: echo report }\n');
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  await page.locator('.react-flow__node[data-id="md"] .wf-name').click();
  const inspector = page.getByRole('complementary', { name: 'Inspector: md' });
  await inspector.getByRole('button', { name: 'Add loop' }).click();
  const loop = inspector.getByRole('group', { name: 'Loop' });
  await expect(loop.getByLabel('Until')).toHaveValue('tasks.check.values.done');
  await loop.getByLabel('Until').fill('tasks.check.values.n >= 3');
  await loop.getByLabel('Until').press('Enter');
  await loop.getByLabel('Max iterations').fill('7');
  await loop.getByLabel('Max iterations').press('Enter');
  await loop.getByLabel('When max is reached').selectOption('succeed');
  await expect(page.locator('.react-flow__node[data-id="md"]')).toContainText('↻ ≤7');
  await page.screenshot({ path: '/tmp/ui-loop-inspector.png' });

  await page.locator('.react-flow__node[data-id="report"]').click();
  const when = page.getByRole('complementary', { name: 'Inspector: report' }).getByLabel('Runs only when');
  await when.fill('not params.quick');
  await when.press('Enter');
  await expect(page.getByRole('status', { name: 'Validation' })).toHaveText('✓ valid');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('.toolbar .file')).not.toContainText('unsaved');
  const saved = readFileSync(file, 'utf8');
  expect(saved).toContain('\n  md:\n    tasks:\n      check: { run: echo "n=1" >> "$FLOTILLA_VALUES" }\n    repeat:\n      until: tasks.check.values.n >= 3\n      max: 7\n      on_max: succeed\n');
  expect(saved).toContain('\n  report: { after: md, run: echo report, when: not params.quick }\n');

  // A bad condition is the core's to report, at its line.
  await page.locator('.react-flow__node[data-id="md"] .wf-name').click();
  await loop.getByLabel('Until').fill('tasks.check.values.n >=');
  await loop.getByLabel('Until').press('Enter');
  await expect(page.getByRole('status', { name: 'Validation' })).toHaveText('1 problem');
  await page.screenshot({ path: path.join(artifacts, 'inspector-loop.png') });
  await loop.getByRole('button', { name: 'Remove loop' }).click();
  await expect(inspector.getByRole('button', { name: 'Add loop' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Validation' })).toHaveText('✓ valid');
});
