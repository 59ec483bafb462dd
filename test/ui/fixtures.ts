import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base } from '@playwright/test';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const artifacts = path.join(repo, 'test-artifacts', 'screenshots');
mkdirSync(artifacts, { recursive: true });

export interface Core {
  /** The URL with its token, as `flotilla serve` prints it. */
  url: string;
  origin: string;
  token: string;
  /** FLOTILLA_HOME of this core. */
  home: string;
  /** A scratch folder for the test's workflow files. */
  dir: string;
  process: ChildProcess;
}

/** Starts `flotilla serve` (the real CLI) with its own home; resolves with the URL it prints. */
export async function startCore(env: NodeJS.ProcessEnv = {}): Promise<Core> {
  const home = mkdtempSync(path.join(tmpdir(), 'flotilla-ui-home-'));
  const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-ui-work-'));
  // Its own HOME too: no ~/.ssh of the machine's user (known hosts, config, agent) leaks in.
  const user = path.join(home, 'user');
  mkdirSync(user);
  const inherited = { ...process.env };
  delete inherited.SSH_AUTH_SOCK;
  const child = spawn(process.execPath, [path.join(repo, 'core/host/cli/flotilla.cjs'), 'serve'], {
    cwd: dir,
    env: { ...inherited, HOME: user, SHELL: '/bin/bash', FLOTILLA_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flotilla serve did not print its URL:\n${output}`)), 30_000);
    const look = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('exit', (code) => reject(new Error(`flotilla serve exited (${code}):\n${output}`)));
  });
  const parsed = new URL(url);
  return { url, origin: parsed.origin, token: parsed.searchParams.get('token')!, home, dir, process: child };
}

export async function stopCore(core: Core): Promise<void> {
  if (core.process.exitCode === null) {
    const exited = new Promise((resolve) => core.process.once('exit', resolve));
    core.process.kill('SIGTERM');
    await exited;
  }
  rmSync(core.home, { recursive: true, force: true });
  rmSync(core.dir, { recursive: true, force: true });
}

/** One core per test file. */
export const test = base.extend<object, { core: Core }>({
  core: [
    async ({}, use) => {
      const core = await startCore();
      await use(core);
      await stopCore(core);
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
