/**
 * `npm run bench:ui`: how the interface copes with big graphs of distinct tasks, in Chromium
 * against web mode. For each size (1,000 tasks: 20 layers of 50; 10,000: 100 layers of 100;
 * each task after two of the layer before, no sweeps, so every task is a node of its own) it
 * runs the workflow to the end with the CLI, then reports, for the editor (the file opened by
 * its address) and the run monitor (`#/runs/last`):
 *   first render — setting the address until the canvas holds every node and one is shown,
 *   what is drawn — flow nodes given to React Flow, node elements in the page, distinct task
 *                   names among them, whether the layers read left to right, zoom and labels,
 *   whole        — zoomed all the way out, how many nodes are drawn (by the canvas level, or as
 *                  elements) and how: the whole graph must be, or the figures count as WRONG,
 *   pan/zoom     — the 95th percentile of frame intervals while wheeling and dragging, at the
 *                  opening view and zoomed all the way out,
 * and the core's own answer times for the calls the two views make (over a WebSocket, as the
 * page makes them). Targets: first render ≤ 1 s (1,000) and ≤ 3 s (10,000); p95 ≤ 33 ms.
 * Not a test: the figures depend on the machine. BENCH_UI_SIZES=1000 runs one size.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import type { Page } from '@playwright/test';
import WebSocket from 'ws';
import { repo, startCore, stopCore } from '../test/ui/fixtures.ts';
import type { Core } from '../test/ui/fixtures.ts';
import { inspectDrawn, inspectShown, panAndZoom, timeFirstRender, zoomAllOut } from './ui-page.ts';
import type { Drawn, Frames, Shown } from './ui-page.ts';
import { layeredWorkflow } from './ui-workflow.ts';
import type { LayeredShape } from './ui-workflow.ts';

const SHAPES: Record<number, LayeredShape> = { 1000: { layers: 20, width: 50 }, 10000: { layers: 100, width: 100 } };
const SIZES = (process.env.BENCH_UI_SIZES ?? '1000,10000').split(',').map(Number);
const TARGET_MS: Record<number, number> = { 1000: 1000, 10000: 3000 };
const FRAME_TARGET_MS = 33;
/** How long a first render may take before the bench gives up on it. */
const TIMEOUT_MS = Number(process.env.BENCH_UI_TIMEOUT_S ?? 90) * 1000;
const NAME_PATTERN = '^l(\\d+)_t(\\d+)$';

/** One call of the contract over web mode's socket, timed from the request to the parsed answer. */
async function timeCall(core: Core, method: string, args: unknown): Promise<{ ms: number; kb: number }> {
  const socket = new WebSocket(`${core.origin.replace('http', 'ws')}/api?token=${encodeURIComponent(core.token)}`);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  try {
    const started = performance.now();
    socket.send(JSON.stringify({ id: 1, method, args }));
    const text = await new Promise<string>((resolve) => socket.on('message', (data) => resolve(String(data))));
    const ms = performance.now() - started;
    const answer = JSON.parse(text) as { result?: { ok: boolean; error?: { message: string } } };
    if (!answer.result?.ok) throw new Error(`${method} failed: ${answer.result?.error?.message}`);
    return { ms: Math.round(ms), kb: Math.round(text.length / 1024) };
  } finally {
    socket.close();
  }
}

interface ViewFigures {
  firstRender: number | undefined;
  drawn?: Drawn;
  frames?: Frames;
  /** What the view draws zoomed all the way out: the whole graph, or the bench says WRONG. */
  whole?: Shown;
  overview?: Frames;
}

/** Opens one view by its address in a fresh page and measures it. */
async function measureView(page: Page, core: Core, name: string, hash: string, size: number, ready: string): Promise<ViewFigures> {
  await page.goto(core.url);
  await page.locator('.topbar').waitFor();
  const firstRender = await timeFirstRender(page, hash, size, ready, TIMEOUT_MS);
  if (firstRender === undefined) return { firstRender };
  // What the first frame shows: the nodes in view, at the zoom the view opened with.
  const drawn = await inspectDrawn(page, NAME_PATTERN);
  if (process.env.BENCH_UI_SCREENSHOTS) await page.screenshot({ path: path.join(repo, 'test-artifacts', `bench-${name}-${size}.png`) });
  const frames = await panAndZoom(page);
  await zoomAllOut(page);
  const whole = await inspectShown(page, NAME_PATTERN);
  if (process.env.BENCH_UI_SCREENSHOTS) await page.screenshot({ path: path.join(repo, 'test-artifacts', `bench-${name}-${size}-whole.png`) });
  const overview = await panAndZoom(page);
  return { firstRender, drawn, frames, whole, overview };
}

function describe(name: string, size: number, view: ViewFigures): { line: string; met: boolean } {
  if (view.firstRender === undefined) return { line: `  ${name.padEnd(7)} first_render_ms=>${TIMEOUT_MS} (not drawn in time)`, met: false };
  const { drawn, frames, whole, overview } = view;
  const honest = drawn!.flowNodes === size && drawn!.domNodes > 0 && drawn!.distinctNamed === drawn!.domNodes && drawn!.distinctNamed >= Math.min(size, 30) && whole!.nodes === size;
  const render = Math.round(view.firstRender);
  const p95 = Math.max(frames!.p95, overview!.p95);
  const met = honest && render <= TARGET_MS[size]! && p95 <= FRAME_TARGET_MS;
  const line =
    `  ${name.padEnd(7)} first_render_ms=${render} flow_nodes=${drawn!.flowNodes} dom_nodes=${drawn!.domNodes} distinct_named=${drawn!.distinctNamed}` +
    ` layers_in_order=${drawn!.layersInOrder} zoom=${drawn!.zoom.toFixed(2)} labels=${drawn!.labels}` +
    ` pan_zoom_p95_ms=${frames!.p95.toFixed(1)} (max ${frames!.max.toFixed(0)}, ${frames!.frames} frames) whole=${whole!.nodes} on ${whole!.level} overview_p95_ms=${overview!.p95.toFixed(1)} (max ${overview!.max.toFixed(0)})` +
    ` counted=${honest ? 'ok' : 'WRONG'} within_targets=${met}`;
  return { line, met };
}

const core = await startCore();
const browser = await chromium.launch({
  executablePath: process.env.FLOTILLA_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let allMet = true;
try {
  for (const size of SIZES) {
    const shape = SHAPES[size];
    if (!shape) throw new Error(`no shape for ${size} tasks: use ${Object.keys(SHAPES).join(' or ')}`);
    const file = path.join(core.dir, `layers-${size}.yaml`);
    writeFileSync(file, layeredWorkflow(`layers-${size}`, shape));
    const started = Date.now();
    const ran = spawnSync(process.execPath, [path.join(repo, 'core/host/cli/flotilla.cjs'), 'run', '--quiet', '--fresh', file], { env: { ...process.env, FLOTILLA_HOME: core.home }, encoding: 'utf8' });
    if (ran.status !== 0) throw new Error(`flotilla run failed: ${ran.stderr}`);
    const runSeconds = (Date.now() - started) / 1000;
    const open = await timeCall(core, 'workflows.open', { file });
    const graph = await timeCall(core, 'runs.graph', { run: 'last' });
    const status = await timeCall(core, 'runs.status', { run: 'last' });
    process.stdout.write(
      `tasks=${size} (${shape.layers} layers of ${shape.width}) run_s=${runSeconds.toFixed(1)} core: workflows.open=${open.ms}ms/${open.kb}KB runs.graph=${graph.ms}ms/${graph.kb}KB runs.status=${status.ms}ms/${status.kb}KB target_first_render_ms=${TARGET_MS[size]} target_p95_ms=${FRAME_TARGET_MS}\n`,
    );
    for (const [name, hash, ready] of [
      ['editor', `#/editor?file=${encodeURIComponent(file)}`, '.react-flow__node[data-id^="l"]'],
      ['monitor', '#/runs/last', '.react-flow__node[data-id^="l"] .run-node[data-state="succeeded"]'],
    ] as const) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
      // tsx names functions with an `__name` helper of its own, which the page (where
      // ui-page.ts's functions run) does not have.
      await page.addInitScript('globalThis.__name = (target) => target;');
      const figures = await measureView(page, core, name, hash, size, ready);
      await page.close();
      const { line, met } = describe(name, size, figures);
      allMet &&= met;
      process.stdout.write(`${line}\n`);
    }
  }
  process.stdout.write(`all targets met: ${allMet}\n`);
} finally {
  await browser.close();
  await stopCore(core);
}
