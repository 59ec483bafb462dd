/**
 * The first screen: open or create (a file browser that says which files load), the recent
 * workflows with their last run, the bundled examples (opened as a copy of one's own); and the
 * editor's nodes say how the latest run of the file went.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { artifacts, expect, repo, test } from './fixtures.ts';

test('the first screen: a file browser, recent workflows with their last run, the examples', async ({ page, core }) => {
  const project = path.join(core.dir, 'project');
  mkdirSync(path.join(project, 'sub'), { recursive: true });
  const good = path.join(project, 'good.yaml');
  writeFileSync(good, 'version: 1\nname: good\ndefaults: { retries: 0 }\ntasks:\n  a: { run: "true" }\n  b: { after: a, run: "exit 2" }\n');
  writeFileSync(path.join(project, 'broken.yaml'), 'version: 1\ntasks:\n  a: { after: nowhere, run: "true" }\n');
  writeFileSync(path.join(project, 'notes.yaml'), 'just: some data\n');
  const ran = spawnSync(process.execPath, [path.join(repo, 'core/host/cli/flotilla.cjs'), 'run', good], { env: { ...process.env, FLOTILLA_HOME: core.home }, encoding: 'utf8' });
  expect(ran.status).toBe(1);

  await page.goto(`${core.url}#/editor`);
  const welcome = page.getByLabel('Welcome');
  // A file that was run is recent, with how its last run went.
  await expect(welcome.getByLabel('Recent workflows').getByRole('listitem').filter({ hasText: good })).toContainText('last run failed');
  // Examples, one click away.
  await expect(welcome.getByLabel('Examples')).toContainText('md-sweep');
  // The file browser: into the project folder; which files load, and why one does not.
  const files = welcome.getByRole('group', { name: 'Files' });
  await files.getByRole('button', { name: 'Up one folder' }).waitFor();
  for (let up = 0; up < 12 && (await files.getByLabel('Folder', { exact: true }).textContent()) !== '/'; up++) await files.getByRole('button', { name: 'Up one folder' }).click();
  for (const part of project.split('/').filter(Boolean)) await files.getByRole('button', { name: `${part}/`, exact: true }).click();
  await expect(files.getByLabel('Folder', { exact: true })).toHaveText(project);
  await expect(files.getByRole('listitem').filter({ hasText: 'good.yaml' })).toContainText('✓ loads');
  await expect(files.getByRole('listitem').filter({ hasText: 'broken.yaml' })).toContainText("'a' runs after 'nowhere', which does not exist");
  await expect(files.getByRole('listitem').filter({ hasText: 'notes.yaml' })).toHaveCount(0);
  await expect(files.getByRole('button', { name: 'sub/' })).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, 'first-screen.png') });
  await files.getByRole('button', { name: 'Open good.yaml' }).click();
  await expect(page.locator('.toolbar .file')).toHaveText(good);
  // The latest run's state on each node.
  await expect(page.locator('.wf-node[data-path="b"]').getByLabel('Last run')).toHaveText('failed');
  await expect(page.locator('.wf-node[data-path="a"]').getByLabel('Last run')).toHaveText('succeeded');

  // Back to the first screen: the file is recent, with its last run.
  await page.goto(`${core.url}#/editor`);
  const recent = page.getByLabel('Recent workflows');
  await expect(recent.getByRole('listitem').filter({ hasText: good })).toContainText('last run failed');
  // An example opens as the user's own copy.
  await page.getByRole('button', { name: 'Open the example md-sweep' }).click();
  const copy = path.join(core.home, 'user', 'flotilla-examples', 'md-sweep', 'workflow.yaml');
  await expect(page.locator('.toolbar .file')).toHaveText(copy);
  expect(existsSync(copy)).toBe(true);
});
