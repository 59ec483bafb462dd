/**
 * What `npm run bench:ui` measures inside the page: when a graph is first drawn, what is
 * drawn (so a trivially small graph cannot pass for a big one), and frame times while the
 * view is panned and zoomed. Times are taken in the page (performance.now and
 * requestAnimationFrame), not by polling from outside, whose intervals would blur them.
 */
import type { Page } from '@playwright/test';

/** The little of the page these functions use (bench/ is typed for Node, without the DOM's types). */
interface PageElement {
  dataset: Record<string, string | undefined>;
  style: { transform: string };
  offsetParent: unknown;
  classList: { contains(name: string): boolean };
  closest(selector: string): PageElement | null;
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number };
}
interface PageWindow {
  document: {
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): Iterable<PageElement>;
    elementFromPoint(x: number, y: number): PageElement | null;
  };
  location: { hash: string };
  getComputedStyle(element: PageElement): { visibility: string };
  requestAnimationFrame(callback: (time: number) => void): number;
  benchFrames?: { frames: number[]; running: boolean };
}

/**
 * Sets the address's hash and waits, frame by frame, until the canvas holds `expected` flow
 * nodes and one node matching `ready` is visible; resolves with the milliseconds that took.
 */
export async function timeFirstRender(page: Page, hash: string, expected: number, ready: string, timeoutMs: number): Promise<number | undefined> {
  return page.evaluate(
    ({ hash, expected, ready, timeoutMs }) =>
      new Promise<number | undefined>((resolve) => {
        const w = globalThis as unknown as PageWindow;
        const start = performance.now();
        w.location.hash = hash;
        const look = () => {
          const canvas = w.document.querySelector('.canvas[data-flow-nodes]');
          const node = w.document.querySelector(ready);
          // React Flow keeps a node hidden until it has measured it.
          const shown = node !== null && w.getComputedStyle(node.closest('.react-flow__node') ?? node).visibility === 'visible';
          if (canvas?.dataset.flowNodes === String(expected) && shown) return resolve(performance.now() - start);
          if (performance.now() - start > timeoutMs) return resolve(undefined);
          w.requestAnimationFrame(look);
        };
        w.requestAnimationFrame(look);
      }),
    { hash, expected, ready, timeoutMs },
  );
}

export interface Drawn {
  /** Flow nodes handed to React Flow (the canvas's `data-flow-nodes`). */
  flowNodes: number;
  /** Node elements in the page, and how many of those carry distinct names of the workflow. */
  domNodes: number;
  distinctNamed: number;
  /** Every layer drawn wholly to the left of the next. */
  layersInOrder: boolean;
  /** The view's scale, and how many node names are shown. */
  zoom: number;
  labels: number;
}

/** What the canvas draws now; `named` tells a workflow's task name and gives its layer. */
export async function inspectDrawn(page: Page, pattern: string): Promise<Drawn> {
  return page.evaluate((pattern) => {
    const w = globalThis as unknown as PageWindow;
    const named = new RegExp(pattern);
    const canvas = w.document.querySelector('.canvas[data-flow-nodes]');
    const elements = [...w.document.querySelectorAll('.react-flow__node')];
    const layers = new Map<number, { min: number; max: number }>();
    const ids = new Set<string>();
    for (const element of elements) {
      const match = named.exec(element.dataset.id ?? '');
      if (!match) continue;
      ids.add(element.dataset.id!);
      const layer = Number(match[1]);
      const box = element.getBoundingClientRect();
      const seen = layers.get(layer) ?? { min: Infinity, max: -Infinity };
      layers.set(layer, { min: Math.min(seen.min, box.left), max: Math.max(seen.max, box.right) });
    }
    const order = [...layers.keys()].sort((a, b) => a - b);
    const layersInOrder = order.every((layer, i) => i === 0 || layers.get(order[i - 1]!)!.max <= layers.get(layer)!.min);
    const transform = w.document.querySelector('.react-flow__viewport')?.style.transform ?? '';
    const zoom = Number(/scale\(([\d.]+)\)/.exec(transform)?.[1] ?? NaN);
    const labels = [...w.document.querySelectorAll('.react-flow__node .wf-name')].filter((label) => label.offsetParent !== null).length;
    return { flowNodes: Number(canvas?.dataset.flowNodes ?? 0), domNodes: elements.length, distinctNamed: ids.size, layersInOrder, zoom, labels };
  }, pattern);
}

/** A point of the empty canvas (the pane, not a node), where a drag pans. */
async function emptyPoint(page: Page): Promise<{ x: number; y: number }> {
  const found = await page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    const pane = w.document.querySelector('.react-flow__pane')!.getBoundingClientRect();
    for (let y = pane.top + 20; y < pane.bottom - 20; y += 15) {
      for (let x = pane.left + 20; x < pane.right - 20; x += 15) {
        if (w.document.elementFromPoint(x, y)?.classList.contains('react-flow__pane')) return { x, y };
      }
    }
    return undefined;
  });
  if (!found) throw new Error('no empty spot of the canvas to pan from');
  return found;
}

export interface Frames {
  frames: number;
  p95: number;
  max: number;
}

/** Frame intervals while `drive` runs, from requestAnimationFrame timestamps in the page. */
async function recordFrames(page: Page, drive: () => Promise<void>): Promise<Frames> {
  await page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    const state = { frames: [] as number[], running: true };
    w.benchFrames = state;
    const tick = (time: number) => {
      state.frames.push(time);
      if (state.running) w.requestAnimationFrame(tick);
    };
    w.requestAnimationFrame(tick);
  });
  await drive();
  const times = await page.evaluate(() => {
    const state = (globalThis as unknown as PageWindow).benchFrames!;
    state.running = false;
    return state.frames;
  });
  const gaps = times.slice(1).map((time, i) => time - times[i]!).sort((a, b) => a - b);
  return { frames: gaps.length, p95: gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.95))] ?? NaN, max: gaps.at(-1) ?? NaN };
}

/** Zooms out and in with the wheel, then pans by dragging the empty canvas, recording frames. */
export async function panAndZoom(page: Page): Promise<Frames> {
  const start = await emptyPoint(page);
  return recordFrames(page, async () => {
    await page.mouse.move(start.x, start.y);
    for (const delta of [...Array<number>(12).fill(120), ...Array<number>(12).fill(-120)]) await page.mouse.wheel(0, delta);
    const from = await emptyPoint(page);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 400, from.y + 200, { steps: 30 });
    await page.mouse.move(from.x, from.y, { steps: 30 });
    await page.mouse.up();
  });
}

/** Zooms all the way out with the wheel: the view's smallest zoom, where the whole graph is in view. */
export async function zoomAllOut(page: Page): Promise<void> {
  const start = await emptyPoint(page);
  await page.mouse.move(start.x, start.y);
  for (let i = 0; i < 40; i++) await page.mouse.wheel(0, 240);
  await page.waitForTimeout(300);
}

export interface Shown {
  /** How the graph is drawn: React Flow's elements (`dom`) or one canvas (`canvas`). */
  level: string;
  /** Nodes drawn: by the canvas (its `data-drawn-nodes`), or as elements with distinct names of the workflow. */
  nodes: number;
}

/** How many of the graph's nodes the view draws now, on the canvas or as elements. */
export async function inspectShown(page: Page, pattern: string): Promise<Shown> {
  return page.evaluate((pattern) => {
    const w = globalThis as unknown as PageWindow;
    const named = new RegExp(pattern);
    const level = w.document.querySelector('.canvas[data-level]')?.dataset.level ?? 'dom';
    if (level === 'canvas') return { level, nodes: Number(w.document.querySelector('canvas.graph-canvas')?.dataset.drawnNodes ?? 0) };
    const ids = new Set([...w.document.querySelectorAll('.react-flow__node')].map((element) => element.dataset.id ?? '').filter((id) => named.test(id)));
    return { level, nodes: ids.size };
  }, pattern);
}
