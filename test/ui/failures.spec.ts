/**
 * Failures first: the failed count lists the failed tasks, F steps from one failure to the next
 * (a sweep's instance too), a failed task's panel opens on its stderr under how it failed and
 * the exact command it ran, and its log can be searched, with a link to a line that opens it.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { artifacts, expect, repo, test } from './fixtures.ts';

test('failed tasks first: the count, the next failure, stderr and the command, a searched log and a link to its line', async ({ page, core }) => {
  const file = path.join(core.dir, 'fails.yaml');
  writeFileSync(
    file,
    `version: 1
name: fails
defaults: { retries: 0 }
tasks:
  fine: { run: "true" }
  broken:
    run: |
      echo "reading input" >&2
      echo "error: misfit too large" >&2
      echo "retrying with smaller step" >&2
      echo "error: misfit still too large" >&2
      exit 3
  sweep:
    foreach: { w: [1, 2, 3] }
    run: 'if [ {{ w }} = 2 ]; then echo "bad w={{ w }}" >&2; exit 5; fi'
`,
  );
  const ran = spawnSync(process.execPath, [path.join(repo, 'core/host/cli/flotilla.cjs'), 'run', file], { env: { ...process.env, FLOTILLA_HOME: core.home }, encoding: 'utf8' });
  expect(ran.status).toBe(1);
  await page.goto(`${core.url}#/runs/last`);
  await expect(page.getByLabel('Run state')).toHaveText('failed');
  // The sweep's node says it holds a failure.
  await expect(page.locator('.run-node[data-path="sweep"] .badge.failures')).toHaveText('1 failed');

  // The failed count lists the failed tasks.
  await page.getByRole('button', { name: '2 failed' }).click();
  await expect(page.getByLabel('Filter by state')).toHaveValue('failed');
  await expect(page.getByRole('table', { name: 'Tasks' }).getByRole('row')).toHaveCount(2);

  // F: the first failure, opened on its stderr under how it failed and what ran.
  await page.keyboard.press('g');
  await page.keyboard.press('f');
  const panel = page.getByRole('complementary', { name: 'Task broken' });
  await expect(panel.getByLabel('How it failed')).toContainText('Attempt 1 failed: exit code 3');
  await expect(panel.getByLabel('Command that ran')).toContainText('echo "error: misfit too large" >&2');
  await expect(panel.getByRole('tab', { name: 'stderr' })).toHaveAttribute('aria-selected', 'true');
  await expect(panel.getByLabel('stderr of attempt 1')).toContainText('error: misfit still too large');

  // Searched: two lines hold "misfit"; the second is a link away.
  await panel.getByLabel('Find in log').fill('misfit');
  await expect(panel.getByLabel('Matches')).toHaveText('1 of 2');
  await panel.getByLabel('Find in log').press('Enter');
  await expect(panel.getByLabel('Matches')).toHaveText('2 of 2');
  await panel.getByRole('button', { name: 'Next match' }).click();
  await expect(panel.getByLabel('Matches')).toHaveText('1 of 2');
  await panel.getByLabel('Find in log').press('Shift+Enter');
  await expect(panel.getByLabel('Matches')).toHaveText('2 of 2');
  await expect(panel.locator('.log-line.current')).toHaveAttribute('data-line', '4');
  await page.screenshot({ path: path.join(artifacts, 'monitor-failure.png') });
  const link = await panel.getByLabel('Link to this line').getAttribute('href');
  expect(link).toMatch(/^#\/runs\/[\w-]+\?task=broken&log=stderr&attempt=1&line=4$/);

  // F again (out of the find field): the sweep's failed instance (its node folded: the sweep's node is brought into view).
  await panel.getByLabel('Find in log').blur();
  await page.keyboard.press('f');
  const instance = page.getByRole('complementary', { name: 'Task sweep[1]' });
  await expect(instance.getByLabel('How it failed')).toContainText('exit code 5');
  await expect(instance.getByLabel('stderr of attempt 1')).toContainText('bad w=2');

  // The link, opened anew: that run, that task, that stream, that line.
  await page.goto(`${core.url.split('#')[0]}${link}`);
  const linked = page.getByRole('complementary', { name: 'Task broken' });
  await expect(linked.locator('.log-line.current')).toHaveAttribute('data-line', '4');
  await expect(linked.locator('.log-line.current')).toContainText('error: misfit still too large');
});

test("a run's notices reach the browser's notifications, asked for at the first run and never before", async ({ page, core }) => {
  // A stand-in for the browser's Notification API (headless Chromium shows none): it records what the adapter asks of it.
  await page.addInitScript(() => {
    const record = globalThis as unknown as { notices: { title: string; body?: string }[]; asked: number };
    record.notices = [];
    record.asked = 0;
    class StandIn {
      static permission = 'default';
      static requestPermission(): Promise<string> {
        record.asked++;
        StandIn.permission = 'granted';
        return Promise.resolve('granted');
      }
      constructor(title: string, options?: { body?: string }) {
        record.notices.push({ title, ...(options?.body ? { body: options.body } : {}) });
      }
    }
    Object.defineProperty(globalThis, 'Notification', { value: StandIn, configurable: true });
  });
  const file = path.join(core.dir, 'notified.yaml');
  writeFileSync(file, 'version: 1\nname: notified\ndefaults: { retries: 0 }\ntasks:\n  fine: { run: "sleep 0.5" }\n  broken: { after: fine, run: "exit 3" }\n');
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node-task')).toHaveCount(2);
  expect(await page.evaluate(() => (globalThis as unknown as { asked: number }).asked)).toBe(0);
  await page.getByRole('button', { name: /Run/ }).first().click();
  await expect(page.getByLabel('Run state')).toHaveText('failed', { timeout: 20_000 });
  expect(await page.evaluate(() => (globalThis as unknown as { asked: number }).asked)).toBe(1);
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as { notices: { title: string }[] }).notices.map((notice) => notice.title))).toEqual(['notified: broken failed', 'notified failed — broken failed']);
  // In view, the app says it too.
  await expect(page.getByText('notified failed — broken failed — 1 succeeded, 1 failed')).toBeVisible();
});
