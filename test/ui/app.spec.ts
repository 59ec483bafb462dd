/**
 * The desktop app's renderer against web mode with the real core: build a three-task
 * pipeline by hand, save and reload it, run it, read a failure, open a terminal in the
 * failed task's folder, fix the command and resubmit what failed, to success.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { artifacts, expect, repo, test } from './fixtures.ts';

test.describe.configure({ mode: 'serial' });

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

/** Drags from one node's right handle to another's left handle. */
async function connect(page: Page, from: string, to: string): Promise<void> {
  const source = await node(page, from).locator('.react-flow__handle.source').boundingBox();
  const target = await node(page, to).locator('.react-flow__handle.target').boundingBox();
  await page.mouse.move(source!.x + source!.width / 2, source!.y + source!.height / 2);
  await page.mouse.down();
  await page.mouse.move((source!.x + target!.x) / 2, (source!.y + target!.y) / 2, { steps: 5 });
  await page.mouse.move(target!.x + target!.width / 2, target!.y + target!.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** Selects a node and sets its command in the inspector. */
async function setCommand(page: Page, id: string, command: string): Promise<void> {
  await node(page, id).click();
  const field = page.getByLabel('Command');
  await field.fill(command);
  await field.blur();
}

test('build a pipeline from the palette, save it and reload it', async ({ page, core }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(core.url);
  // The token leaves the address bar once the page has it.
  await expect(page).not.toHaveURL(/token=/);
  const file = path.join(core.dir, 'pipeline.yaml');
  await page.getByLabel('Workflow file').fill(file);
  await page.getByRole('button', { name: 'Create new file' }).click();
  await expect(page.locator('.toolbar .file')).toHaveText(file);

  const canvas = page.getByTestId('canvas');
  const palette = page.getByRole('button', { name: 'Add task' });
  await palette.dragTo(canvas, { targetPosition: { x: 130, y: 200 } });
  await palette.dragTo(canvas, { targetPosition: { x: 390, y: 260 } });
  await palette.dragTo(canvas, { targetPosition: { x: 650, y: 200 } });
  await expect(page.locator('.react-flow__node-task')).toHaveCount(3);

  await connect(page, 'task1', 'task2');
  await connect(page, 'task2', 'task3');
  await expect(page.locator('.react-flow__edge')).toHaveCount(2);
  // A dependency that closes a cycle is refused, with the reason.
  await connect(page, 'task3', 'task1');
  await expect(page.getByRole('alert')).toContainText('cycle');
  await expect(page.locator('.react-flow__edge')).toHaveCount(2);

  await setCommand(page, 'task1', 'echo one > one.txt');
  await setCommand(page, 'task2', 'echo "task2 could not find its input" >&2; exit 3');
  await setCommand(page, 'task3', 'echo three');
  await expect(page.getByRole('status', { name: 'Validation' })).toHaveText('✓ valid');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('.toolbar .file')).not.toContainText('unsaved');

  const saved = readFileSync(file, 'utf8');
  expect(saved).toMatch(/task2:\n\s+run: echo "task2 could not find its input" >&2; exit 3\n\s+after: task1/);
  expect(saved).toMatch(/task3:\n\s+run: echo three\n\s+after: task2/);
  await page.screenshot({ path: path.join(artifacts, 'editor.png') });

  // Reload: the same graph, from the file, at the same places on the canvas.
  const placement = () => Promise.all(['task1', 'task2', 'task3'].map((id) => node(page, id).evaluate((element) => (element as unknown as { style: { transform: string } }).style.transform)));
  const before = await placement();
  await page.reload();
  await expect(page.locator('.react-flow__node-task')).toHaveCount(3);
  await expect(page.locator('.react-flow__edge')).toHaveCount(2);
  await expect(node(page, 'task3')).toContainText('echo three');
  const after = await placement();
  expect(after).toEqual(before);
  expect(errors).toEqual([]);
});

test('run it, read the failure, use the terminal, fix and resubmit what failed', async ({ page, core }) => {
  const file = path.join(core.dir, 'pipeline.yaml');
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node-task')).toHaveCount(3);
  await page.getByRole('button', { name: '▶ Run' }).click();

  // The monitor: states change live until the run ends.
  await expect(page.getByLabel('Run state')).toHaveText('failed', { timeout: 30_000 });
  await expect(page.locator('.run-node[data-task="task1"]')).toHaveAttribute('data-state', 'succeeded');
  await expect(page.locator('.run-node[data-task="task2"]')).toHaveAttribute('data-state', 'failed');
  await expect(page.locator('.run-node[data-task="task3"]')).toHaveAttribute('data-state', 'blocked');
  await expect(page.getByLabel('Resubmit preview')).toContainText('task2, task3');
  await page.screenshot({ path: path.join(artifacts, 'monitor.png') });

  // The failed task's stderr.
  await page.locator('.run-node[data-task="task2"]').click();
  await page.getByRole('tab', { name: 'stderr' }).click();
  // Local tasks retry once by default: the latest attempt is shown.
  await expect(page.getByLabel(/^stderr of attempt \d$/)).toContainText('task2 could not find its input');
  await page.getByRole('tab', { name: 'Attempts' }).click();
  await expect(page.locator('table.attempts')).toContainText('failed');
  await expect(page.locator('table.attempts tbody td').nth(2)).toHaveText('3');
  await page.screenshot({ path: path.join(artifacts, 'task-panel.png') });

  // A shell in the task's folder.
  await page.getByRole('tab', { name: 'Terminal' }).click();
  await expect(page.getByLabel('Terminal status')).toContainText('connected');
  await page.getByTestId('terminal').click();
  await page.keyboard.type('echo hi; cat one.txt\n');
  // Output lines of their own (the typed command line holds both words too).
  const row = (text: string) => page.locator('.xterm-rows > div').filter({ hasText: new RegExp(`^\\s*${text}\\s*$`) });
  await expect(row('hi')).toHaveCount(1);
  await expect(row('one')).toHaveCount(1);
  await page.screenshot({ path: path.join(artifacts, 'terminal.png') });

  // Fix the command in the editor, then one click reruns what failed.
  await page.getByRole('button', { name: 'Edit workflow' }).click();
  await expect(page.locator('.react-flow__node-task')).toHaveCount(3);
  await setCommand(page, 'task2', 'cat one.txt');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('.toolbar .file')).not.toContainText('unsaved');
  await page.goBack();
  await expect(page.locator('.run-node[data-task="task2"]')).toHaveAttribute('data-state', 'failed');
  await page.getByRole('button', { name: 'Resubmit all failed' }).click();
  await expect(page.getByLabel('Run state')).toHaveText('succeeded', { timeout: 30_000 });
  await expect(page.locator('.run-node[data-task="task3"]')).toHaveAttribute('data-state', 'succeeded');
  await page.locator('.run-node[data-task="task2"]').click();
  await page.getByRole('tab', { name: 'stdout' }).click();
  await expect(page.getByLabel(/^stdout of attempt 3$/)).toContainText('one');
  await page.getByLabel('Attempt', { exact: true }).selectOption('1');
  await expect(page.getByLabel(/^stdout of attempt 1$/)).toContainText('(empty)');
});

test('web mode refuses a wrong token, a missing one and a foreign origin, and never sets a cookie', async ({ page, core, request }) => {
  const foreign = await request.get(core.url, { headers: { Origin: 'http://evil.example' } });
  expect(foreign.status()).toBe(403);
  const shell = await request.get(core.url);
  expect(shell.status()).toBe(200);
  expect(shell.headers()['set-cookie']).toBeUndefined();
  // The page with a wrong token loads the app's code, but the core refuses it everything.
  await page.goto(`${core.origin}/?token=${'x'.repeat(43)}`);
  await expect(page.locator('.connection')).toHaveText('core unreachable — retrying');
  await expect(page.getByRole('tab', { name: 'Runs' })).toBeVisible();
  expect(await page.context().cookies()).toEqual([]);
});

test('the editor loses nothing: a broken file is read-only, edits survive views and reloads, undo brings edges back, Run asks', async ({ page, core }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // A file with a syntax error: shown with its problem, and nothing here writes it.
  const broken = path.join(core.dir, 'broken.yaml');
  const brokenText = 'version: 1\ntasks:\n  a: { run: "echo a"\n  b: { run: echo b }\n';
  writeFileSync(broken, brokenText);
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(broken)}`);
  await expect(page.getByRole('status', { name: 'Validation' })).toHaveText('1 problem');
  await expect(page.locator('.toolbar .file')).toContainText('read-only');
  await expect(page.getByRole('button', { name: 'Save' })).toBeDisabled();
  await expect(page.getByRole('button', { name: '▶ Run' })).toBeDisabled();
  // The text as it is, the problem under its line.
  const text = page.getByRole('region', { name: 'File text (read-only)' });
  await expect(text.locator('li.bad')).toHaveCount(1);
  await expect(text.locator('li').nth(3)).toContainText('b: { run: echo b }');
  await expect(text.locator('li').nth(3).getByRole('note')).toContainText('syntax error');
  await page.keyboard.press('Control+s');
  await page.keyboard.press('Control+Enter');
  await page.screenshot({ path: path.join(artifacts, 'editor-unparsable.png') });
  expect(readFileSync(broken, 'utf8')).toBe(brokenText);

  const file = path.join(core.dir, 'keep.yaml');
  writeFileSync(file, 'version: 1\nname: keep\ntasks:\n  a: { run: echo a }\n  b: { run: echo b, after: a }\n  c: { run: echo c, after: b }\n');
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__edge')).toHaveCount(2);
  await setCommand(page, 'a', 'echo edited');
  await expect(page.locator('.toolbar .file')).toContainText('unsaved');
  // Away to the runs and back (the tab, then Alt+1), then a reload: the edit is still there.
  await page.getByRole('tab', { name: 'Runs' }).click();
  await page.getByRole('tab', { name: 'Editor' }).click();
  await expect(node(page, 'a')).toContainText('echo edited');
  await page.keyboard.press('Alt+2');
  await page.keyboard.press('Alt+1');
  await expect(node(page, 'a')).toContainText('echo edited');
  await page.reload();
  await expect(node(page, 'a')).toContainText('echo edited');
  await expect(page.locator('.toolbar .file')).toContainText('unsaved');
  // Its undo history came along: undo takes the edit back, redo brings it again.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(node(page, 'a')).toContainText('echo a');
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(node(page, 'a')).toContainText('echo edited');
  // Delete c (it runs after b), undo: c and its edge are back.
  await node(page, 'c').click();
  await page.keyboard.press('Delete');
  await expect(node(page, 'c')).toHaveCount(0);
  await expect(page.locator('.react-flow__edge')).toHaveCount(1);
  await page.keyboard.press('Control+z');
  await expect(node(page, 'c')).toHaveCount(1);
  await expect(page.locator('.react-flow__edge')).toHaveCount(2);
  // Run with unsaved edits asks first; cancelled, nothing is saved and nothing runs.
  page.once('dialog', (dialog) => void dialog.dismiss());
  await page.getByRole('button', { name: '▶ Run' }).click();
  await expect(page.locator('.toolbar .file')).toContainText('unsaved');
  expect(readFileSync(file, 'utf8')).not.toContain('echo edited');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: '▶ Run' }).click();
  await expect(page).toHaveURL(/#\/runs\//);
  const saved = readFileSync(file, 'utf8');
  expect(saved).toContain('echo edited');
  expect(saved).toMatch(/c: \{ run: echo c, after: b \}/);
  // From the run, Edit workflow opens the file with a way back to the run.
  const run = decodeURIComponent(/#\/runs\/([^?]+)/.exec(page.url())![1]!);
  await page.getByRole('button', { name: 'Edit workflow' }).click();
  // Unsaved edits can be dropped: the file as it is on disk comes back.
  await setCommand(page, 'b', 'echo to be dropped');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Discard edits' }).click();
  await expect(node(page, 'b')).toContainText('echo b');
  await expect(page.locator('.toolbar .file')).not.toContainText('unsaved');
  await page.getByRole('button', { name: `← Run ${run}` }).click();
  await expect(page).toHaveURL(new RegExp(`#/runs/${run}`));
  expect(errors).toEqual([]);
});

test('the bundled MD sweep: groups and sweeps in the editor, a folded sweep in the monitor that expands', async ({ page, core }) => {
  const dir = path.join(core.dir, 'md-sweep');
  cpSync(path.join(repo, 'examples/md-sweep'), dir, { recursive: true });
  const file = path.join(dir, 'workflow.yaml');
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node-group[data-id="windows"]')).toContainText('×5');
  await expect(page.locator('.react-flow__node-task')).toHaveCount(4);
  await expect(page.locator('.react-flow__edge')).toHaveCount(3);
  await page.screenshot({ path: path.join(artifacts, 'editor-md-sweep.png') });
  // A group collapses to one node; its edges then end at it.
  await page.getByRole('button', { name: 'Collapse windows' }).click();
  await expect(node(page, 'windows/production')).toBeHidden();
  await page.getByRole('button', { name: 'Expand windows' }).click();
  await expect(node(page, 'windows/production')).toBeVisible();

  await page.getByRole('button', { name: '▶ Run' }).click();
  await expect(page.getByLabel('Run state')).toHaveText('succeeded', { timeout: 60_000 });
  const sweep = page.locator('.run-node[data-path="windows/production"]');
  await expect(sweep).toContainText('×5');
  await expect(sweep).toHaveAttribute('data-state', 'succeeded');
  await page.screenshot({ path: path.join(artifacts, 'monitor-md-sweep.png') });
  await sweep.click();
  await page.getByRole('button', { name: 'Expand in graph' }).click();
  await expect(page.locator('.run-node[data-task^="windows["][data-task$="/production"]')).toHaveCount(5);
  await page.getByRole('tab', { name: 'Timeline' }).click();
  await expect(page.locator('.gantt')).toHaveCount(12);
  await page.screenshot({ path: path.join(artifacts, 'timeline-md-sweep.png') });
});

/** Drags a node by its title to a point of the page. */
async function dragNode(page: Page, id: string, to: { x: number; y: number }): Promise<void> {
  const box = (await node(page, id).locator('.wf-title').first().boundingBox())!;
  await page.mouse.move(box.x + 12, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + 40, box.y + box.height / 2 + 20, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 10 });
  await page.mouse.up();
}

test('nodes move into and out of groups by dragging; a move that breaks a dependency is refused', async ({ page, core }) => {
  const dir = path.join(core.dir, 'md-move');
  cpSync(path.join(repo, 'examples/md-sweep'), dir, { recursive: true });
  const file = path.join(dir, 'workflow.yaml');
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  await expect(page.locator('.react-flow__node-task')).toHaveCount(4);
  const group = (await node(page, 'windows').boundingBox())!;

  // analysis runs after windows: it cannot go inside it.
  await dragNode(page, 'analysis', { x: group.x + group.width / 2, y: group.y + group.height / 2 });
  await expect(page.getByRole('alert')).toContainText("Cannot move 'analysis'");
  await expect(node(page, 'analysis')).toBeVisible();
  await expect(node(page, 'windows/analysis')).toHaveCount(0);

  // production out of the sweep, onto the empty canvas below it: it now names equilibrate by its path.
  await dragNode(page, 'windows/production', { x: group.x + group.width / 2, y: group.y + group.height + 140 });
  await expect(node(page, 'production')).toBeVisible();
  await expect(node(page, 'windows/production')).toHaveCount(0);
  await expect(page.locator('.react-flow__edge')).toHaveCount(3);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('.toolbar .file')).not.toContainText('unsaved');
  const saved = readFileSync(file, 'utf8');
  expect(saved).toMatch(/\n  production:\n(    .*\n)*?    after: windows\/equilibrate\n/);
  // The comments of the file are still there.
  expect(saved).toContain('# Umbrella windows, whole numbers');

  // And back in, where it was.
  const back = (await node(page, 'windows').boundingBox())!;
  await dragNode(page, 'production', { x: back.x + back.width / 2, y: back.y + back.height - 30 });
  await expect(node(page, 'windows/production')).toBeVisible();
  await expect(page.locator('.react-flow__edge')).toHaveCount(3);
  await page.keyboard.press('Control+s');
  await expect(page.locator('.toolbar .file')).not.toContainText('unsaved');
  expect(readFileSync(file, 'utf8')).toMatch(/\n      production:\n(        .*\n)*?        after: equilibrate\n/);
});

test('light and dark themes follow the system, and the switch overrides it', async ({ page, core }) => {
  const background = () => page.evaluate("getComputedStyle(document.body).backgroundColor");
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`${core.url}#/runs`);
  await expect(page.locator('.topbar')).toBeVisible();
  expect(await background()).toBe('rgb(20, 23, 29)');
  await page.emulateMedia({ colorScheme: 'light' });
  expect(await background()).toBe('rgb(247, 248, 250)');
  await page.getByLabel('Theme').selectOption('dark');
  expect(await background()).toBe('rgb(20, 23, 29)');
  await page.getByLabel('Theme').selectOption('system');
});
