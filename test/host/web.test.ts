import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { FlotillaService } from '../../core/api/service.ts';
import { serveWeb } from '../../core/host/web.ts';
import { Store } from '../../core/store/store.ts';
import { cli, startCli, tempDir, waitFor, workspace, writeWorkflow } from '../helpers.ts';

/** A raw GET with chosen headers (fetch would not let us forge Host). */
function get(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathAndQuery, headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the API socket; resolves with a `call` or rejects with the refusal. */
function connect(url: string, headers: Record<string, string> = {}, onEvent: (event: unknown) => void = () => {}): Promise<{ call: (method: string, args?: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    let next = 1;
    const waiting = new Map<number, (result: never) => void>();
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: never; event?: unknown };
      if (message.event !== undefined) onEvent(message.event);
      else waiting.get(message.id!)?.(message.result!);
    });
    ws.once('unexpected-response', (_request, response) => reject(new Error(`refused with ${response.statusCode}`)));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        call: (method, args) =>
          new Promise((done) => {
            const id = next++;
            waiting.set(id, done as never);
            ws.send(JSON.stringify({ id, method, args }));
          }),
        close: () => ws.close(),
      }),
    );
  });
}

/** Web mode over a store in `home`, closed when the test ends. */
async function served(t: Parameters<typeof tempDir>[0] & { after: (fn: () => Promise<void> | void) => void }, home: string) {
  const store = Store.open(home);
  const host = await serveWeb({ service: new FlotillaService(store) });
  t.after(async () => {
    await host.close();
    store.close();
  });
  return host;
}

describe('web mode', () => {
  it('listens on 127.0.0.1 only and refuses a missing or wrong token, a foreign Host or Origin', async (t) => {
    const host = await served(t, path.join(tempDir(t), 'home'));
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const own = `127.0.0.1:${host.port}`;
    const page = await get(host.port, `/?token=${host.token}`, { host: own });
    assert.equal(page.status, 200);
    // The token is never a cookie: browsers send 127.0.0.1's cookies to every port of it.
    assert.equal(page.headers['set-cookie'], undefined);
    assert.ok(!page.body.includes(host.token), 'the page does not carry the token');
    // The app's own files load without it (a reload, after the page moved it off the address bar).
    assert.equal((await get(host.port, '/', { host: own })).status, 200, 'the app shell');
    assert.equal((await get(host.port, `/?token=${host.token}`, { host: `evil.example:${host.port}` })).status, 403, 'a rebinding Host');
    assert.equal((await get(host.port, '/', { host: `evil.example:${host.port}` })).status, 403, 'a rebinding Host, no token');
    assert.equal((await get(host.port, `/?token=${host.token}`, { host: own, origin: 'http://evil.example' })).status, 403, 'a foreign Origin');
    const api = `ws://${own}/api?token=${host.token}`;
    await assert.rejects(connect(`ws://${own}/api?token=nope`), /refused with 403/);
    await assert.rejects(connect(`ws://${own}/api`), /refused with 403/);
    await assert.rejects(connect(`ws://${own}/terminal?id=x`), /refused with 403/);
    await assert.rejects(connect(api, { origin: 'http://evil.example' }), /refused with 403/);
    const ok = await connect(api, { origin: `http://${own}` });
    assert.equal((await ok.call('runs.list')).ok, true);
    ok.close();
  });

  it('a token holder\'s message that is no call, too big or a broken frame costs that socket at most; the server goes on', async (t) => {
    const host = await served(t, path.join(tempDir(t), 'home'));
    const url = `ws://127.0.0.1:${host.port}/api?token=${host.token}`;
    const raw = (): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    const answer = (ws: WebSocket) => new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    for (const text of ['null', '42', '"x"', '[]', 'not json']) {
      const ws = await raw();
      const reply = answer(ws);
      ws.send(text);
      assert.match(await reply, /"code":"bad-request"/, `the answer to ${text}`);
      ws.close();
    }
    const big = await raw();
    const closedBig = new Promise<number>((resolve) => big.once('close', resolve));
    big.on('error', () => {});
    big.send('x'.repeat(2 * 1024 * 1024));
    assert.equal(await closedBig, 1009, 'a message over the limit closes that socket');
    const broken = await raw();
    const closedBroken = new Promise<number>((resolve) => broken.once('close', resolve));
    broken.on('error', () => {});
    // A masked frame with the reserved opcode 3.
    (broken as unknown as { _socket: { write: (bytes: Buffer) => void } })._socket.write(Buffer.from([0x83, 0x80, 1, 2, 3, 4]));
    assert.ok((await closedBroken) > 0);
    const after = await connect(url);
    assert.equal((await after.call('runs.list')).ok, true, 'the server answers as before');
    after.close();
  });

  it('answers contract calls over the socket: runs, status, attempts, logs, validation with places', async (t) => {
    const { dir, home, file } = workspace(t, 'version: 1\ntasks:\n  hello: { run: echo hello from flotilla }\n');
    assert.equal(cli(['run', file, '-q'], { home }).code, 0);
    const host = await served(t, home);
    const api = await connect(`ws://127.0.0.1:${host.port}/api?token=${host.token}`);
    t.after(() => api.close());
    const runs = (await api.call('runs.list', { limit: 5 })).value as { id: string; state: string }[];
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.state, 'succeeded');
    const status = (await api.call('runs.status', { run: 'last' })).value as { tasks: { id: string; state: string }[] };
    assert.deepEqual(status.tasks.map((task) => [task.id, task.state]), [['hello', 'succeeded']]);
    const attempts = (await api.call('tasks.attempts', { run: runs[0]!.id, task: 'hello' })).value as { exitCode: number }[];
    assert.equal(attempts[0]!.exitCode, 0);
    const logs = (await api.call('tasks.logs', { run: 'last', task: 'hello', stream: 'stdout' })).value as { text: string };
    assert.equal(logs.text, 'hello from flotilla\n');
    // Errors are values with codes; bad arguments name the field.
    assert.deepEqual((await api.call('runs.status', { run: 'nope' })).error?.code, 'no-such-run');
    const bad = await api.call('tasks.logs', { run: 'last', task: 'hello', stream: 'both' });
    assert.equal(bad.error?.code, 'bad-arguments');
    assert.match(bad.error!.message, /^tasks\.logs: stream: /);
    assert.equal((await api.call('runs.delete', {})).error?.code, 'unknown-method');
    const broken = writeWorkflow(dir, 'version: 1\ntasks:\n  a: { run: echo a, after: [b] }\n', 'broken.yaml');
    const invalid = (await api.call('workflows.validate', { file: broken })) as unknown as { ok: false; error: { code: string; issues: { line: number; column: number; message: string }[] } };
    assert.equal(invalid.error.code, 'invalid-workflow');
    assert.deepEqual([invalid.error.issues[0]!.line, invalid.error.issues[0]!.column], [3, 29]);
    const valid = (await api.call('workflows.validate', { file })).value as { tasks: number };
    assert.equal(valid.tasks, 1);
  });

  it('`flotilla serve` prints a loopback URL with a token, serves it, and stops on SIGTERM', async (t) => {
    const dir = tempDir(t);
    const child = startCli(['serve'], { home: path.join(dir, 'home') });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const url = new URL(await waitFor(() => /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out)?.[1], 'the URL'));
    assert.equal((await get(Number(url.port), `${url.pathname}${url.search}`, { host: url.host })).status, 200);
    await assert.rejects(connect(`ws://${url.host}/api?token=guess`), /refused with 403/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('starts a run over the socket, pushes its events, and resubmits what failed once it is fixed', async (t) => {
    const { dir, home, file } = workspace(t, 'version: 1\ntasks:\n  step: { run: sh ./step.sh > out.txt }\n  next: { run: cat out.txt, after: step }\n');
    writeFileSync(path.join(dir, 'step.sh'), 'echo broken >&2; exit 1\n');
    const store = Store.open(home);
    const service = new FlotillaService(store);
    const host = await serveWeb({ service });
    t.after(async () => {
      await service.idle();
      await host.close();
      store.close();
    });
    const events: { type: string; taskId?: string; to?: string; state?: string }[] = [];
    const api = await connect(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, {}, (event) => events.push(event as never));
    t.after(() => api.close());
    const started = (await api.call('runs.start', { file })).value as { run: string; tasks: number };
    assert.equal(started.tasks, 2);
    await waitFor(() => events.some((event) => event.type === 'run' && event.state === 'failed'), 'the run to fail');
    assert.ok(events.some((event) => event.type === 'task' && event.taskId === 'step' && event.to === 'failed'));
    assert.ok(events.some((event) => event.type === 'task' && event.taskId === 'next' && event.to === 'blocked'));
    const stderr = (await api.call('tasks.logs', { run: started.run, task: 'step', stream: 'stderr' })).value as { text: string };
    assert.equal(stderr.text, 'broken\n');
    writeFileSync(path.join(dir, 'step.sh'), 'echo fixed\n');
    const again = (await api.call('runs.resubmit', { run: started.run, failed: true })).value as { tasks: string[] };
    assert.deepEqual(again.tasks, ['step']);
    await waitFor(() => events.some((event) => event.type === 'run' && event.state === 'succeeded'), 'the resubmitted run to succeed');
    const status = (await api.call('runs.status', { run: started.run })).value as { tasks: { id: string; state: string }[] };
    assert.deepEqual(status.tasks.map((task) => task.state), ['succeeded', 'succeeded']);
    assert.equal((await api.call('runs.resubmit', { run: started.run })).error?.code, 'bad-arguments');
  });
});
