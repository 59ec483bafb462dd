/**
 * A run with decisions in the monitor: a task its `when` skipped shows as skipped, with the
 * condition and the values that decided it; a task's panel lists what it published; the
 * editor draws what a condition reads.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { artifacts, expect, repo, test } from './fixtures.ts';

test('skipped tasks and published values in the monitor', async ({ page, core }) => {
  const file = path.join(core.dir, 'decide.yaml');
  writeFileSync(
    file,
    `version: 1
params: { misfit_only: true }
tasks:
  check: { run: 'echo "misfit=0.031" >> "$FLOTILLA_VALUES"; echo "done=false" >> "$FLOTILLA_VALUES"' }
  adjoint: { after: check, when: "not params.misfit_only", run: 'true' }
  gradient: { after: adjoint, run: 'true' }
  more: { when: "tasks.check.values.misfit > 0.01", run: 'true' }
`,
  );
  const ran = spawnSync(process.execPath, [path.join(repo, 'core/host/cli/flotilla.cjs'), 'run', file], { env: { ...process.env, FLOTILLA_HOME: core.home }, encoding: 'utf8' });
  expect(ran.status, ran.stderr).toBe(0);
  await page.goto(`${core.url}#/runs/last`);
  await expect(page.locator('.run-node[data-task="adjoint"]')).toHaveAttribute('data-state', 'skipped');
  await expect(page.locator('.run-node[data-task="gradient"]')).toHaveAttribute('data-state', 'skipped');
  await expect(page.locator('.run-node[data-task="more"]')).toHaveAttribute('data-state', 'succeeded');
  await page.locator('.run-node[data-task="adjoint"]').click();
  await expect(page.getByText('when not params.misfit_only is false (params.misfit_only = true)')).toBeVisible();
  await page.locator('.run-node[data-task="check"]').click();
  const published = page.getByRole('region', { name: 'Published values' });
  await expect(published).toContainText('misfit');
  await expect(published).toContainText('0.031');
  await expect(published).toContainText('false');
  await page.screenshot({ path: path.join(artifacts, 'monitor-decisions.png') });
  // In the editor, what `more` reads of `check` orders it after it: a dashed edge, not one to delete.
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__edge')).toHaveCount(3);
  await expect(page.locator('.react-flow__edge.reads')).toHaveCount(1);
  await expect(page.locator('.react-flow__edge.reads')).toHaveAttribute('data-id', 'reads:check->more');
});
