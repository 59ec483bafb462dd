/**
 * The contract's editing, resubmit and terminal methods over a real store and local runs
 * (the interface's own tests in test/ui drive the same methods from Chromium).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { PromptBroker } from '../../core/api/prompts.ts';
import { FlotillaService } from '../../core/api/service.ts';
import type { ServiceEvent } from '../../core/api/service.ts';
import { serveWeb } from '../../core/host/web.ts';
import { mergeIntoText } from '../../core/model/document.ts';
import { loadYaml } from '../../core/model/source.ts';
import { Store } from '../../core/store/store.ts';
import { loadWorkflow } from '../../core/model/load.ts';
import { createRun } from '../../core/scheduler/runs.ts';
import { selfOwner } from '../../core/util/process.ts';
import { cli, startCli, tempDir, waitFor, writeWorkflow } from '../helpers.ts';

type Value<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string; issues?: { path: (string | number)[]; line?: number }[] } };

function service(t: Parameters<typeof tempDir>[0], options: ConstructorParameters<typeof FlotillaService>[1] = {}) {
  const dir = tempDir(t);
  const store = Store.open(path.join(dir, 'home'));
  const api = new FlotillaService(store, { requestPollMs: 50, ...options });
  const events: ServiceEvent[] = [];
  api.onEvent((event) => events.push(event));
  t.after(async () => {
    await api.idle();
    api.close();
    store.close();
  });
  const call = <T>(method: string, args: unknown) => api.call(method, args) as Promise<Value<T>>;
  const value = async <T>(method: string, args: unknown): Promise<T> => {
    const result = await call<T>(method, args);
    assert.ok(result.ok, `${method}: ${JSON.stringify(result)}`);
    return result.value;
  };
  return { dir, store, api, events, call, value };
}

const COMMENTED = `# The pipeline.
version: 1
name: demo   # shown in history
tasks:
  # Makes the data.
  prepare:
    run: echo prepared > data.txt
    outputs: [data.txt]
  use:
    after: prepare
    run: "cat data.txt"
`;

describe('editing workflows through the contract', () => {
  it('opens a file as data, saves edits into it keeping comments and styles, and refuses a stale save', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, COMMENTED);
    const opened = await s.value<{ value: { tasks: Record<string, Record<string, unknown>> }; version: string; issues: unknown[] }>('workflows.open', { file });
    assert.deepEqual(opened.issues, []);
    assert.equal(opened.value.tasks.use!.after, 'prepare');
    const edited = structuredClone(opened.value);
    edited.tasks.use!.run = 'cat data.txt\nwc -l data.txt';
    edited.tasks.report = { after: ['use'], run: 'echo done' };
    const saved = await s.value<{ version: string; text: string; issues: unknown[] }>('workflows.save', { file, value: edited, version: opened.version, layout: { use: { x: 10, y: 20 } } });
    const text = readFileSync(file, 'utf8');
    assert.equal(saved.text, text);
    // Comments, flow style and plain scalars stay (the spacing before a comment is the yaml library's).
    for (const kept of [/^# The pipeline\.$/m, /^name: demo +# shown in history$/m, /^ {2}# Makes the data\.$/m, /outputs: \[data\.txt\]/, /after: prepare/]) assert.match(text, kept);
    assert.match(text, /run: \|-?\n\s+cat data.txt\n\s+wc -l data.txt/);
    assert.match(text, /report:\n\s+after:\n\s+- use\n\s+run: echo done/);
    assert.deepEqual(saved.issues, []);
    // The layout comes back with the file; the file is first among the recent ones.
    const again = await s.value<{ layout: unknown; version: string }>('workflows.open', { file });
    assert.deepEqual(again.layout, { use: { x: 10, y: 20 } });
    assert.equal(again.version, saved.version);
    assert.equal((await s.value<{ file: string }[]>('workflows.recent', {}))[0]!.file, file);
    // Saved from a version that is no longer on disk: refused, nothing written.
    const stale = await s.call('workflows.save', { file, value: opened.value, version: opened.version });
    assert.equal(stale.ok ? 'saved' : stale.error.code, 'conflict');
    assert.equal(readFileSync(file, 'utf8'), text);
    // A new file is refused over an existing one.
    assert.equal((await s.call('workflows.save', { file, value: opened.value, version: null })).ok, false);
  });

  it('checks unsaved edits and points each problem at its node', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, COMMENTED);
    const opened = await s.value<{ value: { tasks: Record<string, Record<string, unknown>> } }>('workflows.open', { file });
    const broken = structuredClone(opened.value);
    broken.tasks.use!.after = 'prepar';
    const checked = await s.value<{ issues: { path: (string | number)[]; message: string; line?: number }[] }>('workflows.check', { file, value: broken });
    assert.equal(checked.issues.length, 1);
    assert.deepEqual(checked.issues[0]!.path.slice(0, 2), ['tasks', 'use']);
    assert.match(checked.issues[0]!.message, /did you mean 'prepare'/);
    assert.equal(typeof checked.issues[0]!.line, 'number');
    assert.equal(readFileSync(file, 'utf8'), COMMENTED, 'checking writes nothing');
  });

  it('a file that does not parse is never written over; Run of it runs nothing', async (t) => {
    const s = service(t);
    const broken = 'version: 1\ntasks:\n  a: { run: "echo a"\n  b: { run: echo b }\n';
    const file = writeWorkflow(s.dir, broken);
    const opened = await s.value<{ value: unknown; version: string; issues: { line?: number }[] }>('workflows.open', { file });
    assert.equal(opened.value, null);
    assert.equal(opened.issues[0]!.line, 4);
    const saved = await s.call('workflows.save', { file, value: { version: 1, name: 'new-workflow', tasks: {} }, version: opened.version });
    assert.equal(saved.ok ? 'saved' : saved.error.code, 'unparsable');
    assert.equal(readFileSync(file, 'utf8'), broken, 'the file is as it was');
    const run = await s.call('runs.start', { file });
    assert.equal(run.ok ? 'ran' : run.error.code, 'invalid-workflow');
  });

  it('a new file in a folder that does not exist yet is saved with its folder', async (t) => {
    const s = service(t);
    const file = path.join(s.dir, 'new', 'deeper', 'flow.yaml');
    const saved = await s.value<{ text: string }>('workflows.save', { file, value: { version: 1, name: 'flow', tasks: {} }, version: null });
    assert.equal(readFileSync(file, 'utf8'), saved.text);
  });

  it('an edit keeps untouched flow mappings as they were written, padded or not', async (t) => {
    const s = service(t);
    const text = 'version: 1\ntasks:\n  a: { run: echo a, outputs: [a.txt] }\n  b: { run: echo b, after: a }\n';
    const file = writeWorkflow(s.dir, text);
    const opened = await s.value<{ value: { tasks: Record<string, Record<string, unknown>> }; version: string }>('workflows.open', { file });
    const edited = structuredClone(opened.value);
    edited.tasks.b!.run = 'echo B';
    await s.value('workflows.save', { file, value: edited, version: opened.version });
    assert.equal(readFileSync(file, 'utf8'), text.replace('echo b', 'echo B'));
  });

  it('an edit keeps aliases that still stand for their anchor’s value', async (t) => {
    const s = service(t);
    const text = 'version: 1\nx-env: &env { OMP_NUM_THREADS: "4" }\ntasks:\n  a:\n    env: *env\n    run: echo a\n  b: { env: *env, run: echo b }\n';
    const file = writeWorkflow(s.dir, text);
    const opened = await s.value<{ value: { tasks: Record<string, Record<string, unknown>> }; version: string }>('workflows.open', { file });
    const edited = structuredClone(opened.value);
    edited.tasks.a!.run = 'echo A';
    edited.tasks.b!.env = { OMP_NUM_THREADS: '8' };
    await s.value('workflows.save', { file, value: edited, version: opened.version });
    assert.equal(readFileSync(file, 'utf8'), text.replace('echo a', 'echo A').replace('env: *env, run: echo b', 'env: { OMP_NUM_THREADS: "8" }, run: echo b'));
  });

  it('an alias whose anchor changes in the same save is written out: the file says exactly the saved value', () => {
    const text = 'version: 1\ntasks:\n  a: { env: &env { OMP: "4" }, run: echo a }\n  b: { env: *env, run: echo b }\n';
    // (Keys in another order than the file's: `b` is merged before the anchor in `a` changes.)
    const value = { version: 1, tasks: { b: { env: { OMP: '4' }, run: 'echo b' }, a: { env: { OMP: '8' }, run: 'echo a' } } };
    const merged = mergeIntoText('w.yaml', text, value);
    assert.deepEqual(loadYaml(merged), { version: 1, tasks: { a: { env: { OMP: '8' }, run: 'echo a' }, b: { env: { OMP: '4' }, run: 'echo b' } } });
  });

  it('merging keeps a file byte for byte when nothing changed', () => {
    const value = { version: 1, name: 'demo', tasks: { prepare: { run: 'echo prepared > data.txt', outputs: ['data.txt'] }, use: { after: 'prepare', run: 'cat data.txt' } } };
    assert.equal(mergeIntoText('w.yaml', COMMENTED, value), COMMENTED);
    assert.equal(mergeIntoText('w.json', '{}', { a: 1 }), '{\n  "a": 1\n}\n');
  });
});

describe('a run the service drives', () => {
  it('stopping on an error is recorded on the run (status says why) and told to the interfaces', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, "version: 1\ntasks:\n  quick: { run: 'sleep 0.3' }\n");
    // The store fails when the task's end is written (as a failing disk would).
    const endAttempt = s.store.endAttempt.bind(s.store);
    s.store.endAttempt = () => {
      throw new Error('disk I/O error while recording the end');
    };
    const started = await s.value<{ run: string }>('runs.start', { file });
    await waitFor(() => s.events.find((event) => event.type === 'run-stopped'), 'the stop to be told');
    s.store.endAttempt = endAttempt;
    const told = s.events.find((event) => event.type === 'run-stopped');
    assert.ok(told?.type === 'run-stopped' && told.runId === started.run && /disk I\/O error while recording the end/.test(told.message), JSON.stringify(told));
    const status = await s.value<{ run: { state: string; stopped: string | null } }>('runs.status', { run: started.run });
    assert.equal(status.run.state, 'interrupted');
    assert.match(status.run.stopped ?? '', /disk I\/O error while recording the end/);
    // Resumed, it adopts what ran on and ends as it would have.
    await s.value('runs.resume', { run: started.run });
    await s.api.idle();
    assert.equal((await s.value<{ run: { state: string; stopped: string | null } }>('runs.status', { run: started.run })).run.state, 'succeeded');
  });

  it('resuming a run while another run of its workflow is live in its folder is refused at once, and nothing is recorded', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, "version: 1\ntasks:\n  slow: { run: 'touch started.$$; sleep 30' }\n");
    // An earlier run of the workflow, interrupted (no process drives it)…
    const earlier = createRun(s.store, loadWorkflow(file), {});
    s.store.releaseRun(earlier, selfOwner());
    // …and a live one in another process.
    const live = startCli(['run', file], { home: s.store.home });
    t.after(() => void cli(['cancel', 'last'], { home: s.store.home }));
    await waitFor(() => readdirSync(s.dir).some((name) => name.startsWith('started.')), 'the live run to start');
    const refused = await s.call('runs.resume', { run: earlier });
    assert.ok(!refused.ok && refused.error.code === 'run-busy', JSON.stringify(refused));
    assert.match(refused.ok ? '' : refused.error.message, new RegExp(`is already running in this folder: run \\S+, driven by process ${live.pid} `));
    const status = await s.value<{ run: { state: string; stopped: string | null } }>('runs.status', { run: earlier });
    assert.deepEqual([status.run.state, status.run.stopped], ['interrupted', null]);
    assert.equal(s.events.some((event) => event.type === 'run-stopped'), false);
  });
});

describe('what a task published, through the contract', () => {
  it('is its latest successful attempt’s, or for a cached task that of the attempt whose result it reuses', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, "version: 1\ntasks:\n  plan: { run: 'echo n=$((2 + 1)) >> $FLOTILLA_VALUES; echo x > x.txt', outputs: [x.txt] }\n  idle: { run: 'true' }\n");
    const first = await s.value<{ run: string }>('runs.start', { file });
    await s.api.idle();
    assert.deepEqual(await s.value('tasks.values', { run: first.run, task: 'plan' }), { values: { n: 3 }, run: first.run, attempt: 1 });
    assert.deepEqual(await s.value('tasks.values', { run: first.run, task: 'idle' }), { values: {}, run: first.run, attempt: 1 });
    const second = await s.value<{ run: string }>('runs.start', { file });
    await s.api.idle();
    assert.equal((await s.value<{ tasks: { id: string; state: string }[] }>('runs.status', { run: second.run })).tasks.find((task) => task.id === 'plan')?.state, 'cached');
    assert.deepEqual(await s.value('tasks.values', { run: second.run, task: 'plan' }), { values: { n: 3 }, run: first.run, attempt: 1 });
  });
});

describe('resubmitting through the contract', () => {
  it('previews what would run again, and with reload runs the fixed command from the edited file', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, 'version: 1\ndefaults: { retries: 0 }\ntasks:\n  a: { run: "true" }\n  b: { after: a, run: "exit 4" }\n  c: { after: b, run: "echo c" }\n  d: { after: a, run: "echo d" }\n');
    const started = await s.value<{ run: string }>('runs.start', { file });
    await waitFor(() => s.events.some((event) => event.type === 'run' && event.state === 'failed'), 'the run to fail');
    const graph = await s.value<{ tasks: { id: string; after: string[] }[] }>('runs.graph', { run: started.run });
    // Every task with its dependencies, in the plan's order (each after what it depends on).
    assert.deepEqual(graph.tasks.map((task) => [task.id, task.after]), [['a', []], ['b', ['a']], ['d', ['a']], ['c', ['b']]]);
    const preview = await s.value<{ tasks: string[]; reruns: string[] }>('runs.resubmit', { run: started.run, failed: true, preview: true });
    assert.deepEqual(preview, { run: started.run, tasks: ['b'], reruns: ['b', 'c'], discards: [], updated: [] });
    const withDownstream = await s.value<{ reruns: string[] }>('runs.resubmit', { run: started.run, tasks: ['a'], downstream: true, preview: true });
    assert.deepEqual(new Set(withDownstream.reruns), new Set(['a', 'b', 'c', 'd']));
    // A changed dependency cannot be taken into a run that exists: refused, nothing queued.
    writeFileSync(file, readFileSync(file, 'utf8').replace('b: { after: a, run: "exit 4" }', 'b: { run: "exit 4" }'));
    const refused = await s.call('runs.resubmit', { run: started.run, failed: true, reload: true });
    assert.equal(refused.ok ? 'queued' : refused.error.code, 'plan-changed');
    // The fixed command is what runs.
    writeFileSync(file, readFileSync(file, 'utf8').replace('b: { run: "exit 4" }', 'b: { after: a, run: "echo fixed" }'));
    const done = await s.value<{ reruns: string[]; updated: string[] }>('runs.resubmit', { run: started.run, failed: true, reload: true });
    assert.deepEqual(done.updated, ['b']);
    await waitFor(() => s.events.some((event) => event.type === 'run' && event.state === 'succeeded'), 'the resubmitted run to succeed');
    const logs = await s.value<{ text: string }>('tasks.logs', { run: started.run, task: 'b', stream: 'stdout' });
    assert.equal(logs.text, 'fixed\n');
    const attempts = await s.value<{ task: string; n: number; exitCode: number }[]>('runs.attempts', { run: started.run });
    assert.deepEqual(attempts.filter((attempt) => attempt.task === 'b').map((attempt) => [attempt.n, attempt.exitCode]), [[1, 4], [2, 0]]);
    const runs = await s.value<{ id: string; counts: Record<string, number> }[]>('runs.list', {});
    assert.deepEqual(Object.entries(runs[0]!.counts).filter(([, n]) => n > 0), [['succeeded', 4]]);
  });
});

describe('prompts and terminals through the contract', () => {
  it('an SSH question becomes an event, is answered by id, and a late page sees it pending', async (t) => {
    const prompts = new PromptBroker({ timeoutMs: 5000 });
    const s = service(t, { prompts });
    const decision = prompts.unknownHost({ host: '[127.0.0.1]:2222', port: 2222, type: 'ssh-ed25519', fingerprint: 'SHA256:abc' });
    const asked = s.events.find((event) => event.type === 'prompt');
    assert.ok(asked && asked.type === 'prompt' && asked.prompt.kind === 'host-key' && asked.prompt.fingerprint === 'SHA256:abc');
    assert.equal((await s.value<unknown[]>('prompts.list', {})).length, 1);
    assert.deepEqual(await s.value('prompts.answer', { id: asked.prompt.id, answer: { decision: 'accept-once' } }), { answered: true });
    assert.equal(await decision, 'accept-once');
    assert.deepEqual(await s.value('prompts.answer', { id: asked.prompt.id, answer: { decision: 'reject' } }), { answered: false });
    assert.ok(s.events.some((event) => event.type === 'prompt-closed'));
    // Unanswered: refused when its time is up.
    const quick = new PromptBroker({ timeoutMs: 50 });
    assert.equal(await quick.keyboardInteractive({ host: 'h', user: 'u', name: '', instructions: '', prompts: [{ prompt: 'Password:', echo: false }] }), undefined);
  });

  it("a terminal opens in the task's folder and its channel is paused until the viewer acknowledges", async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, 'version: 1\ntasks:\n  work: { cwd: here, run: "echo x > marker.txt" }\n');
    const started = await s.value<{ run: string }>('runs.start', { file });
    await waitFor(() => s.events.some((event) => event.type === 'run' && event.state === 'succeeded'), 'the run');
    const host = await serveWeb({ service: s.api });
    t.after(() => host.close());
    const opened = await s.value<{ terminal: string }>('terminals.open', { run: started.run, task: 'work', cols: 80, rows: 24 });
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/terminal?id=${opened.terminal}&token=${host.token}`);
    let output = '';
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { output?: string };
      if (message.output) output += message.output;
    });
    await new Promise((resolve) => ws.once('open', resolve));
    // Never acknowledged: a flood stops near the high-water mark (256 KiB) instead of filling
    // memory, and stays stopped however long one waits (unpaused, all 3 MB would be here in
    // well under the ten seconds this allows).
    ws.send(JSON.stringify({ input: 'pwd; ls; yes flotilla-terminal-flood | head -c 3000000\n' }));
    await waitFor(() => output.includes('marker.txt') && output.length > 256 * 1024, 'output up to the mark');
    // Two quiet seconds in a row, within ten.
    let quiet = 0;
    for (let waited = 0, last = output.length; quiet < 2 && waited < 10; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      quiet = output.length === last ? quiet + 1 : 0;
      last = output.length;
    }
    assert.equal(quiet, 2, 'the output stopped');
    const paused = output.length;
    assert.ok(paused < 700 * 1024, `paused after ${paused} characters`);
    assert.match(output, new RegExp(`${path.join(s.dir, 'here').replace(/[/]/g, '\\/')}`));
    // Acknowledged: the rest flows.
    const ack = setInterval(() => ws.send(JSON.stringify({ ack: 1024 * 1024 })), 50);
    await waitFor(() => output.length > 3_000_000, 'the rest of the flood');
    clearInterval(ack);
    ws.close();
    // A terminal is handed over once.
    const second = new WebSocket(`ws://127.0.0.1:${host.port}/terminal?id=${opened.terminal}&token=${host.token}`);
    const status = await new Promise<number>((resolve) => second.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
    assert.equal(status, 404);
  });
});

describe('flotilla resubmit --reload', () => {
  it('runs the fixed command of the edited file; a changed dependency is refused with the reason', (t) => {
    const dir = tempDir(t);
    const home = path.join(dir, 'home');
    const file = writeWorkflow(dir, 'version: 1\ndefaults: { retries: 0 }\ntasks:\n  a: { run: "echo a" }\n  b: { after: a, run: "exit 4" }\n');
    assert.equal(cli(['run', '-q', file], { home }).code, 1);
    writeFileSync(file, readFileSync(file, 'utf8').replace('b: { after: a, run: "exit 4" }', 'b: { run: "exit 4" }'));
    const refused = cli(['resubmit', 'last', '--failed', '--reload'], { home });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /task 'b' has other dependencies now/);
    writeFileSync(file, readFileSync(file, 'utf8').replace('b: { run: "exit 4" }', 'b: { after: a, run: "echo fixed" }'));
    const fixed = cli(['resubmit', 'last', '--failed', '--reload'], { home });
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /taking the changed spec of b from/);
    assert.equal(cli(['logs', 'last', 'b'], { home }).stdout, 'fixed\n');
  });
});

describe('log lines as events', () => {
  it('a follow reports what a task writes as it writes it, to its session only, and moves to a new attempt', async (t) => {
    const s = service(t);
    const file = writeWorkflow(s.dir, 'version: 1\ndefaults: { retries: 0 }\ntasks:\n  talk: { run: "for i in 1 2 3; do echo line$i; sleep 0.3; done; exit 1" }\n');
    const started = await s.value<{ run: string }>('runs.start', { file });
    await waitFor(() => s.events.some((event) => event.type === 'attempt'), 'the attempt to start');
    const first = (await s.api.call('logs.follow', { run: started.run, task: 'talk', stream: 'stdout' }, { session: 'A' })) as Value<{ follow: string }>;
    assert.ok(first.ok);
    const logs = () => s.events.filter((event) => event.type === 'log' && event.follow === first.value.follow) as { text: string; attempt: number; reset: boolean; session: string }[];
    await waitFor(() => logs().map((event) => event.text).join('') === 'line1\nline2\nline3\n', 'the three lines');
    // Written over about a second, they came in more than one event, all for session A.
    assert.ok(logs().filter((event) => event.text !== '').length >= 2, JSON.stringify(logs()));
    assert.ok(logs().every((event) => event.session === 'A' && event.attempt === 1));
    await waitFor(() => s.events.some((event) => event.type === 'run' && event.state === 'failed'), 'the run to end');
    // A resubmit makes attempt 2: the follow of the latest moves to it and says so.
    await s.value('runs.resubmit', { run: started.run, tasks: ['talk'] });
    await waitFor(() => logs().some((event) => event.attempt === 2 && event.reset), 'the move to attempt 2');
    await waitFor(() => logs().filter((event) => event.attempt === 2).map((event) => event.text).join('') === 'line1\nline2\nline3\n', 'attempt 2 lines');
    // Another session cannot end it; its own session's end does.
    assert.deepEqual(await s.api.call('logs.unfollow', { follow: first.value.follow }, { session: 'B' }), { ok: true, value: { stopped: false } });
    s.api.endSession('A');
    assert.deepEqual(await s.api.call('logs.unfollow', { follow: first.value.follow }, { session: 'A' }), { ok: true, value: { stopped: false } });
  });
});
