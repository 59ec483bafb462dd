/** The contract's service over a real store for a test: opened, closed when the test ends, and called by name. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { FlotillaService } from '../../core/api/service.ts';
import type { ServiceOptions } from '../../core/api/service.ts';
import { Store } from '../../core/store/store.ts';

export function openService(t: { after: (fn: () => void | Promise<void>) => void }, home: string, options: ServiceOptions = {}) {
  const store = Store.open(home);
  const api = new FlotillaService(store, options);
  t.after(async () => {
    await api.idle();
    api.close();
    store.close();
  });
  /** A method's value; fails the test with the error when there is none. */
  const value = async <T>(method: string, args: unknown): Promise<T> => {
    const result = (await api.call(method, args)) as { ok: true; value: T } | { ok: false; error: unknown };
    assert.ok(result.ok, `${method}: ${JSON.stringify(result)}`);
    return result.value;
  };
  /** Runs a workflow file to its end through the contract; its run id. */
  const run = async (file: string) => {
    const started = await value<{ run: string }>('runs.start', { file });
    await api.idle();
    return started.run;
  };
  return { store, api, value, run };
}

/** git in a folder, as a user with a name and address (a test machine may have none). */
export function gitIn(dir: string): (...args: string[]) => string {
  return (...args) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' } }).trim();
}
