/**
 * Notices, as events: a run's first failure (once), its end with the first failure named, one
 * summary of what ended after a return; and the CLI's `--notify`, which gets the outcome in its
 * environment, never in its command text.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Notifier } from '../../core/api/notifier.ts';
import { FlotillaService } from '../../core/api/service.ts';
import type { RunNotice, ServiceEvent } from '../../core/api/types.ts';
import { Store } from '../../core/store/store.ts';
import { cli, tempDir, waitFor, writeWorkflow } from '../helpers.ts';

const FAILING = `version: 1
name: failing
defaults: { retries: 0 }
tasks:
  a: { run: "true" }
  b: { run: "echo no >&2; exit 3" }
  c: { run: "exit 4" }
  d: { after: a, run: "true" }
`;

describe('notices', () => {
  it("tell a run's first failure once, and its end with the first failure named", async (t) => {
    const dir = tempDir(t);
    const store = Store.open(path.join(dir, 'home'));
    const api = new FlotillaService(store);
    const notices: RunNotice[] = [];
    api.onEvent((event: ServiceEvent) => event.type === 'notice' && notices.push(event));
    t.after(async () => {
      await api.idle();
      api.close();
      store.close();
    });
    const started = (await api.call('runs.start', { file: writeWorkflow(dir, FAILING) })) as { ok: true; value: { run: string } };
    await api.idle();
    const runId = started.value.run;
    const firsts = notices.filter((notice) => notice.kind === 'first-failure');
    assert.equal(firsts.length, 1);
    assert.match(firsts[0]!.title, /^failing: [bc] failed$/);
    assert.deepEqual(notices.filter((notice) => notice.kind === 'ended').map((notice) => [notice.runId, notice.title, notice.body, notice.state]), [[runId, 'failing failed — b failed (and 1 more)', '2 succeeded, 2 failed', 'failed']]);
    assert.equal(notices.at(-1)!.kind, 'ended');
  });

  it('sum up, once, what ended after a cluster came back', async (t) => {
    const dir = tempDir(t);
    const store = Store.open(path.join(dir, 'home'));
    t.after(() => store.close());
    const notices: RunNotice[] = [];
    const notifier = new Notifier(store, (notice) => notices.push(notice), 50);
    t.after(() => notifier.dispose());
    let seen = 1_800_000_000_000;
    const cluster = (state: 'offline' | 'online') => notifier.hear({ type: 'cluster', status: { destination: 'hpc', state, detail: null, lastSeen: (seen += 60_000) } });
    const ended = (taskId: string, to: 'succeeded' | 'failed') => notifier.hear({ type: 'task', runId: 'r', taskId, from: 'running', to, attempt: 1, detail: null, at: Date.now() });
    cluster('online');
    ended('before', 'succeeded');
    cluster('offline');
    cluster('online');
    ended('x', 'succeeded');
    ended('y', 'succeeded');
    ended('z', 'failed');
    await waitFor(() => notices.some((notice) => notice.kind === 'away'), 'the summary');
    const away = notices.filter((notice) => notice.kind === 'away');
    assert.deepEqual(away.map((notice) => notice.title), ['while you were away: 2 tasks finished, 1 failed']);
    // Since it last answered before the cut (the second status), not since it came back.
    assert.equal(away[0]!.body, `since ${new Date(1_800_000_000_000 + 60_000).toLocaleString()}`);
    // A cluster seen online for the first time is no return.
    const quiet = new Notifier(store, (notice) => notices.push(notice), 10);
    quiet.hear({ type: 'cluster', status: { destination: 'new', state: 'online', detail: null, lastSeen: null } });
    assert.equal(notices.filter((notice) => notice.kind === 'away').length, 1);
  });

  it("run --notify's command with the outcome in its environment, never in its text", (t) => {
    const dir = tempDir(t);
    const file = writeWorkflow(dir, FAILING.replace('name: failing', 'name: "odd $(touch pwned) name"'));
    const out = path.join(dir, 'told.txt');
    const result = cli(['run', file, '--notify', `printf '%s|%s|%s|%s' "$FLOTILLA_STATE" "$FLOTILLA_FAILED" "$FLOTILLA_FIRST_FAILURE" "$FLOTILLA_RUN_NAME" > '${out}'`], { home: path.join(dir, 'home'), cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(readFileSync(out, 'utf8'), 'failed|2|b|odd $(touch pwned) name');
    assert.equal(existsSync(path.join(dir, 'pwned')), false);
    // Not on a terminal: no bell.
    assert.doesNotMatch(result.stderr, /\x07/);
  });
});
