/**
 * A workflow too big to draw as elements when zoomed out (400 distinct tasks, over the canvas
 * level's CANVAS_MIN_NODES): zoomed out it is one canvas that draws every task, the selection
 * stays through the change of level, "fit view" shows the whole graph, and a click on the
 * canvas selects a task and zooms in to it, as an element again.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { layeredWorkflow } from '../../bench/ui-workflow.ts';
import { artifacts, expect, test } from './fixtures.ts';

const TASKS = 400;

/** Wheels over an empty spot of the pane (its bottom right corner), out (positive) or in. */
async function wheel(page: Page, times: number, delta: number): Promise<void> {
  const pane = (await page.locator('.react-flow__pane').boundingBox())!;
  await page.mouse.move(pane.x + pane.width - 80, pane.y + pane.height - 80);
  for (let i = 0; i < times; i++) await page.mouse.wheel(0, delta);
}

test('a big workflow zoomed out is one canvas with every task; a click there selects a task and zooms in to it', async ({ page, core }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const file = path.join(core.dir, 'big.yaml');
  writeFileSync(file, layeredWorkflow('big', { layers: 8, width: TASKS / 8 }));
  await page.goto(`${core.url}#/editor?file=${encodeURIComponent(file)}`);
  const canvas = page.getByTestId('canvas');
  await expect(canvas).toHaveAttribute('data-flow-nodes', String(TASKS));
  await expect(canvas).toHaveAttribute('data-level', 'dom');
  // Where a task of the third layer stands in the flow, read from its element while there is one.
  const [left, top] = await page
    .locator('.react-flow__node[data-id="l02_t000"]')
    .evaluate((element) => /translate\(([-\d.]+)px, ?([-\d.]+)px\)/.exec((element as unknown as { style: { transform: string } }).style.transform)!.slice(1).map(Number));

  // Selected as an element, the task stays selected on the canvas. Three steps of the wheel
  // out of the opening zoom (0.8) are past the canvas level's threshold.
  await page.locator('.react-flow__node[data-id="l00_t001"]').click();
  await expect(page.getByRole('complementary', { name: 'Inspector: l00_t001' })).toBeVisible();
  await wheel(page, 3, 120);
  await expect(canvas).toHaveAttribute('data-level', 'canvas');
  await expect(canvas).toHaveAttribute('data-flow-nodes', '0');
  await expect(page.locator('.react-flow__node')).toHaveCount(0);
  await expect(page.locator('.react-flow__edge')).toHaveCount(0);
  await expect(page.getByRole('complementary', { name: 'Inspector: l00_t001' })).toBeVisible();
  // "Fit view" fits the whole graph, though React Flow holds no node at this level.
  await page.getByRole('button', { name: 'Fit view' }).click();
  await expect(page.getByTestId('graph-canvas')).toHaveAttribute('data-drawn-nodes', String(TASKS));
  await page.screenshot({ path: path.join(artifacts, 'editor-canvas-level.png') });

  // A click a little inside that task's corner, where the view's transform now draws it.
  const transform = await page.locator('.react-flow__viewport').evaluate((element) => (element as unknown as { style: { transform: string } }).style.transform);
  const [x, y, zoom] = /translate\(([-\d.]+)px, ?([-\d.]+)px\) scale\(([\d.]+)\)/.exec(transform)!.slice(1).map(Number) as [number, number, number];
  expect(zoom).toBeLessThan(0.6);
  const pane = (await page.locator('.react-flow__pane').boundingBox())!;
  await page.mouse.click(pane.x + x + (left! + 20) * zoom, pane.y + y + (top! + 20) * zoom);
  await expect(page.getByRole('complementary', { name: 'Inspector: l02_t000' })).toBeVisible();
  await expect(canvas).toHaveAttribute('data-level', 'dom');
  await expect(page.locator('.react-flow__node[data-id="l02_t000"] .wf-node.selected')).toBeVisible();
  await expect(page.getByTestId('graph-canvas')).toHaveAttribute('data-drawn-nodes', '0');

  // Out and back in by the wheel: the canvas, then every node given to React Flow again.
  await wheel(page, 3, 120);
  await expect(canvas).toHaveAttribute('data-level', 'canvas');
  await wheel(page, 3, -120);
  await expect(canvas).toHaveAttribute('data-level', 'dom');
  await expect(canvas).toHaveAttribute('data-flow-nodes', String(TASKS));
  expect(errors).toEqual([]);
});
