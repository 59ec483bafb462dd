import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { cli, killHard, startCli, tempDir, waitFor, writeWorkflow } from '../helpers.ts';

const TASKS = ['setup', ...Array.from({ length: 8 }, (_, i) => `work[${i}]`), 'collect'];

/** Every task appends its id to a ledger when it finishes: the ledger is what really ran. */
const FLOW = `version: 1
targets: { local: { type: local, max_parallel: 2 } }
defaults: { retries: 0, env: { LEDGER: LEDGER_PATH } }
tasks:
  setup: { run: 'sleep 0.2; echo setup >> "$LEDGER"' }
  work:
    foreach: { i: { range: [0, 8] } }
    after: setup
    run: 'sleep 0.3; echo "$FLOTILLA_TASK_ID" >> "$LEDGER"'
  collect: { after: work, run: 'echo collect >> "$LEDGER"' }
`;


it('kill -9 of the core at several points, then resume: no task runs twice and the run completes', async (t) => {
  const dir = tempDir(t);
  const home = path.join(dir, 'home');
  const ledgerFile = path.join(dir, 'ledger');
  const file = writeWorkflow(dir, FLOW.replace('LEDGER_PATH', JSON.stringify(ledgerFile)));
  const ledger = () => (existsSync(ledgerFile) ? readFileSync(ledgerFile, 'utf8').trim().split('\n').filter(Boolean) : []);

  // 1. Killed as soon as the first attempt has started (the ledger is still empty).
  const first = startCli(['run', file], { home });
  let stderr = '';
  first.stderr!.on('data', (chunk) => (stderr += chunk));
  await waitFor(() => stderr.includes('started setup'), 'the first task to start');
  await killHard(first);

  // 2. The resume is killed in the middle of the sweep…
  const second = startCli(['resume', 'last'], { home });
  await waitFor(() => ledger().length >= 3, 'three tasks to finish');
  await killHard(second);

  // 3. …and again a little later, right after an attempt started.
  const third = startCli(['resume', 'last'], { home });
  let thirdErr = '';
  third.stderr!.on('data', (chunk) => (thirdErr += chunk));
  await waitFor(() => ledger().length >= 5 && /started work/.test(thirdErr.split('\n').slice(-3).join('\n')), 'a later task to start');
  await killHard(third);

  // 4. A last resume completes the run.
  const last = cli(['resume', 'last'], { home });
  assert.equal(last.code, 0, last.stdout + last.stderr);
  assert.match(last.stdout, /succeeded/);

  const ran = ledger();
  assert.deepEqual([...ran].sort(), [...TASKS].sort(), `each task exactly once; ledger: ${ran.join(', ')}`);
  const status = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { run: { state: string }; tasks: { id: string; state: string }[] };
  assert.equal(status.run.state, 'succeeded');
  assert.ok(status.tasks.every((task) => task.state === 'succeeded'));
  assert.equal(ran.at(-1), 'collect');
});

it('a resumed core adopts an attempt whose shell exec\'d another program, and does not run it again', async (t) => {
  const dir = tempDir(t);
  const home = path.join(dir, 'home');
  const ledgerFile = path.join(dir, 'ledger');
  const file = writeWorkflow(
    dir,
    `version: 1
defaults: { retries: 0, shell: bash, env: { LEDGER: ${JSON.stringify(ledgerFile)} } }
tasks:
  long: { run: 'exec sh -c "touch started; sleep 1.5; echo long >> \\"\\$LEDGER\\""' }
`,
  );
  const first = startCli(['run', file], { home });
  await waitFor(() => existsSync(path.join(dir, 'started')), 'the task to start');
  await killHard(first);
  const resumed = cli(['resume', 'last'], { home });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.equal(readFileSync(ledgerFile, 'utf8'), 'long\n');
  const status = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { tasks: { state: string; attempts: number }[] };
  assert.deepEqual(status.tasks.map((task) => [task.state, task.attempts]), [['succeeded', 1]]);
});

it('output the C launcher could not save while the core was gone fails the attempt on resume, and its downstream never runs', async (t) => {
  const dir = tempDir(t);
  const home = path.join(dir, 'home');
  // A folder where its stderr log goes: what it writes there cannot be saved.
  const file = writeWorkflow(dir, `version: 1
tasks:
  t: { run: 'mkdir "\${FLOTILLA_STATUS_FILE%.status}.err"; touch t.started; sleep 1; echo oops >&2', retries: 0 }
  next: { run: touch next.ran, after: t }
`);
  const env = { FLOTILLA_LAUNCHER: 'c' };
  const first = startCli(['run', file], { home, env });
  await waitFor(() => existsSync(path.join(dir, 't.started')), 't to start');
  await killHard(first);
  const marker = () => readdirSync(path.join(home, 'runs')).flatMap((run) => readdirSync(path.join(home, 'runs', run)).map((name) => path.join(home, 'runs', run, name))).find((name) => name.endsWith('t.1.status'));
  await waitFor(() => marker() && /^exit 0$/m.test(readFileSync(marker()!, 'utf8')), 'the launcher to record the end');
  const resumed = cli(['resume', 'last'], { home, env });
  assert.equal(resumed.code, 1, resumed.stdout + resumed.stderr);
  const status = JSON.parse(cli(['status', 'last', '--json'], { home }).stdout) as { tasks: { id: string; state: string; reason: string | null }[] };
  assert.deepEqual(status.tasks.map((task) => [task.id, task.state]), [['t', 'failed'], ['next', 'blocked']]);
  assert.match(status.tasks[0]!.reason ?? '', /^output lost: 5 bytes of its stderr could not be written to the log file \(Is a directory\)/);
  assert.ok(!existsSync(path.join(dir, 'next.ran')));
});
