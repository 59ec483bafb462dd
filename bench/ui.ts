/**
 * `npm run bench:ui`: how the interface copes with big runs, in Chromium against web mode.
 * For runs of 1,000 and 10,000 tasks (each a sweep of 9 windows × N/10 steps plus setup and
 * summary tasks, all run to the end first) it reports, with sweeps folded:
 *   first render  — opening the run until its graph is drawn,
 *   select        — a click on a node until its panel shows,
 *   table         — switching to the table until its rows show,
 *   live update   — a resubmit of one instance until the page shows it running.
 * Targets: 1,000 tasks ≤ 1 s, 10,000 tasks ≤ 3 s. Not a test: figures depend on the machine.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { repo, startCore, stopCore } from '../test/ui/fixtures.ts';

const SIZES = (process.env.BENCH_UI_SIZES ?? '1000,10000').split(',').map(Number);
const TARGET_MS: Record<number, number> = { 1000: 1000, 10000: 3000 };

const core = await startCore();
const browser = await chromium.launch({
  executablePath: process.env.FLOTILLA_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  for (const size of SIZES) {
    const per = Math.max(1, Math.round((size - 2) / 9));
    const file = path.join(core.dir, `big-${size}.yaml`);
    writeFileSync(
      file,
      `version: 1\nname: big-${size}\ndefaults: { retries: 0 }\ntargets: { local: { type: local, max_parallel: 4 } }\ntasks:\n` +
        `  setup: { run: "true" }\n` +
        `  windows:\n    after: setup\n    foreach: { w: [0, 1, 2, 3, 4, 5, 6, 7, 8] }\n    tasks:\n` +
        `      steps:\n        foreach: { s: ${JSON.stringify(Array.from({ length: per }, (_, i) => i))} }\n        run: "true"\n` +
        `  summary: { after: windows, run: "true" }\n`,
    );
    const started = Date.now();
    const ran = spawnSync(process.execPath, [path.join(repo, 'core/host/cli/flotilla.cjs'), 'run', '--quiet', '--fresh', file], { env: { ...process.env, FLOTILLA_HOME: core.home }, encoding: 'utf8' });
    if (ran.status !== 0) throw new Error(`flotilla run failed: ${ran.stderr}`);
    const runTime = Date.now() - started;
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(core.url);
    await page.locator('.topbar').waitFor();
    let t = Date.now();
    await page.evaluate("location.hash = '#/runs/last'");
    await page.locator('.run-node').first().waitFor();
    await page.locator('.pill.state-succeeded').first().waitFor();
    const firstRender = Date.now() - t;
    t = Date.now();
    await page.locator('.run-node[data-path="windows/steps"]').click();
    await page.getByRole('complementary', { name: /Sweep windows\/steps/ }).waitFor();
    const select = Date.now() - t;
    t = Date.now();
    await page.getByRole('tab', { name: 'Table' }).click();
    await page.locator('.table-row').first().waitFor();
    const table = Date.now() - t;
    t = Date.now();
    spawnSync(process.execPath, [path.join(repo, 'core/host/cli/flotilla.cjs'), 'resubmit', 'last', 'summary'], { env: { ...process.env, FLOTILLA_HOME: core.home } });
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.locator('.run-node[data-task="summary"][data-state="succeeded"]').waitFor();
    const live = Date.now() - t;
    const tasks = await page.locator('.run-node').count();
    const target = TARGET_MS[size];
    process.stdout.write(
      `tasks=${size} drawn_nodes=${tasks} run_s=${(runTime / 1000).toFixed(1)} first_render_ms=${firstRender} select_ms=${select} table_ms=${table} live_update_ms=${live}` +
        (target ? ` target_ms=${target} within=${Math.max(firstRender, select, table) <= target}` : '') +
        '\n',
    );
    await page.close();
  }
} finally {
  await browser.close();
  await stopCore(core);
}
