/**
 * A host that refuses a login while an attempt runs there: nothing new is tried on it (no
 * account is locked by repeated logins), but once the connection is back (another run, the
 * app's Connect), the attempt that ran on is watched to its end. The "host" is this machine's
 * /bin/sh behind a stand-in connection, as a plain (ssh) host runs attempts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { TaskSpec } from '../../../core/model/types.ts';
import type { ExecResult } from '../../../core/ssh/connection.ts';
import { SshError } from '../../../core/ssh/errors.ts';
import type { ClusterStatus, Clusters } from '../../../core/targets/remote/clusters.ts';
import { RemoteTarget } from '../../../core/targets/remote/remote.ts';
import type { AttemptExit } from '../../../core/targets/target.ts';
import { tempDir, waitFor } from '../../helpers.ts';

describe('a host that refuses a login', () => {
  it('fails what waits, tries no login again, and still watches what runs once the connection is back', async (t) => {
    const dir = tempDir(t);
    let refuse = false;
    let logins = 0;
    const watchers: ((status: ClusterStatus) => void)[] = [];
    const connection = {
      destination: 'box',
      state: 'offline' as string,
      lastError: null,
      reconnecting: false,
      lastSeen: null,
      async connect() {
        logins++;
        if (refuse) {
          connection.state = 'needs-login';
          throw new SshError('auth-failed', 'box: permission denied');
        }
        connection.state = 'online';
      },
      reconnectLater() {},
      async exec(command: string, input?: string): Promise<ExecResult> {
        if (connection.state !== 'online') throw new SshError('offline', 'box is offline');
        if (command === 'pwd') return { code: 0, signal: null, stdout: `${dir}\n`, stderr: '' };
        const result = spawnSync('/bin/sh', ['-s'], { input: input ?? command, encoding: 'utf8' });
        return { code: result.status, signal: null, stdout: result.stdout, stderr: result.stderr };
      },
    };
    const clusters = { connection: () => connection, watch: (_host: string, listener: (status: ClusterStatus) => void) => (watchers.push(listener), () => {}) } as unknown as Clusters;
    const target = new RemoteTarget({ name: 'box', type: 'ssh', maxParallel: 2, host: 'box', root: 'remote', pollSeconds: 1 }, { clusters, runId: 'r1', localRoot: dir, pollMs: 100, interactive: true });
    t.after(() => target.dispose());
    const task: TaskSpec = { id: 'long', path: 'long', run: 'sleep 1; echo done', shell: '/bin/sh', cwd: 'work', env: {}, target: 'box', resources: {}, retries: 0, inputs: [], outputs: [], cache: false, vars: {}, after: [] };
    const local = (name: string) => path.join(dir, 'local', name);
    let exit: AttemptExit | undefined;
    let started = false;
    target.start({ runId: 'r1', task, n: 1, cwd: local(''), dir: local(''), marker: local('m'), stdout: local('out'), stderr: local('err') }, {
      onStarted: () => {
        started = true;
        // The link drops while it runs, and the next login is refused.
        connection.state = 'offline';
        refuse = true;
      },
      onExit: (value) => (exit = value),
      onWithdrawn: () => {},
    });
    await waitFor(() => started, 'the attempt to start', 10_000);
    // An attempt handed over now fails at once, with why; no further login is tried.
    let refused: AttemptExit | undefined;
    await waitFor(() => logins >= 2, 'the refused login', 10_000);
    target.start({ runId: 'r1', task: { ...task, id: 'later' }, n: 1, cwd: local(''), dir: local(''), marker: local('m2'), stdout: local('out2'), stderr: local('err2') }, {
      onStarted: () => {},
      onExit: (value) => (refused = value),
      onWithdrawn: () => {},
    });
    await waitFor(() => refused, 'the later attempt to be refused', 5_000);
    assert.match(refused!.reason ?? '', /cannot reach box: box: permission denied/);
    const loginsAfterRefusal = logins;
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(logins, loginsAfterRefusal, 'no login is tried again after a refusal');
    assert.equal(exit, undefined);
    // Someone logs in again (another run, the app): the attempt that ran on is seen to end.
    refuse = false;
    connection.state = 'online';
    for (const watcher of watchers) watcher({ destination: 'box', state: 'online', detail: null, lastSeen: Date.now() } as ClusterStatus);
    await waitFor(() => exit, 'the running attempt\'s end once the connection is back', 10_000);
    assert.equal(exit!.exitCode, 0, JSON.stringify(exit));
  });
});
