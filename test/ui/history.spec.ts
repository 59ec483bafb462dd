/**
 * Provenance in the app: the runs list shows each run's date, commit and params and filters by
 * workflow; two runs ticked compare side by side (params, the file's lines, outcomes, times);
 * the editor commits each save to git when the file says so, and the next run shows that commit.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { artifacts, expect, repo, test } from './fixtures.ts';

test('history with commits and params, two runs compared, saves committed to git', async ({ page, core }) => {
  const dir = path.join(core.dir, 'project');
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, HOME: path.join(core.home, 'user') } }).trim();
  // The core's own HOME: who commits (the editor's saves).
  writeFileSync(path.join(core.home, 'user', '.gitconfig'), '[user]\n\tname = Test\n\temail = test@example.org\n');
  execFileSync('git', ['init', '-q', dir]);
  const file = path.join(dir, 'compared.yaml');
  writeFileSync(file, 'version: 1\nname: compared\nparams: { n: 1 }\ndefaults: { cache: false, retries: 0 }\ntasks:\n  prepare: { run: "echo {{ params.n }}" }\n  check: { after: prepare, run: "true" }\n');
  git('add', '.');
  git('commit', '-qm', 'start');
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(repo, 'core/host/cli/flotilla.cjs'), ...args], { env: { ...process.env, FLOTILLA_HOME: core.home }, encoding: 'utf8' });
  expect(cli('run', file).status).toBe(0);
  writeFileSync(file, execFileSync('cat', [file], { encoding: 'utf8' }).replace('run: "true"', 'run: "exit 4"'));
  expect(cli('run', file, '-p', 'n=2').status).toBe(1);
  const commit = git('rev-parse', 'HEAD').slice(0, 8);

  await page.goto(`${core.url}#/runs`);
  await page.getByLabel('Workflow').selectOption(file);
  const rows = page.locator('table.runs tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText(new RegExp(`\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`));
  await expect(rows.first()).toContainText(`${commit}*`);
  await expect(rows.first()).toContainText('n=2');
  await expect(rows.nth(1)).toContainText(commit);
  await rows.first().getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Compare' }).click();
  const compare = page.getByLabel('Compare runs');
  await expect(compare.getByLabel('Params that differ')).toContainText('n1→2');
  await expect(compare.getByLabel('Workflow file changes').locator('.removed')).toHaveText('-  check: { after: prepare, run: "true" }');
  await expect(compare.getByLabel('Workflow file changes').locator('.added')).toHaveText('+  check: { after: prepare, run: "exit 4" }');
  await expect(compare.getByLabel('Tasks compared').locator('tr.changed')).toContainText('check');
  await page.screenshot({ path: path.join(artifacts, 'compare-runs.png'), fullPage: true });

  // The editor: commit each save.
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  const inspector = page.getByRole('complementary', { name: 'Inspector: workflow' });
  const commitEach = inspector.getByRole('checkbox', { name: /Commit each save to git/ });
  await commitEach.click();
  await expect(commitEach).toBeChecked();
  await inspector.getByLabel('Name', { exact: true }).fill('compared again');
  await inspector.getByLabel('Name', { exact: true }).press('Enter');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText(/Saved .*; committed [0-9a-f]{8}: Edit compared again: change check/)).toBeVisible();
  expect(git('log', '-1', '--format=%s')).toBe('Edit compared again: change check');
  expect(git('status', '--porcelain')).toBe('');
});
