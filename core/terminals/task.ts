/**
 * A terminal in a task's folder, wherever the task runs: a local pty in the run's folder, or
 * a shell over the cluster's connection in the remote copy of it. Shared by `flotilla shell`
 * and the desktop app's Terminal tab.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord, TaskRecord } from '../store/store.ts';
import type { Clusters } from '../targets/remote/clusters.ts';
import { remoteCwd, remoteRunRoot } from '../targets/remote/scripts.ts';
import { openLocalTerminal, openRemoteTerminal } from './terminals.ts';
import type { TerminalSession } from './terminals.ts';

export interface TaskTerminalOptions {
  cols: number;
  rows: number;
  /** How remote tasks are reached; without it, a remote task's terminal cannot open. */
  clusters?: Clusters;
  /** Whether connecting may ask the user (host key, login). */
  interactive: boolean;
  /** Told when the shell starts somewhere other than the task's folder. */
  notice?: (message: string) => void;
}

export async function openTaskTerminal(run: RunRecord, task: TaskRecord, options: TaskTerminalOptions): Promise<TerminalSession> {
  const target = run.plan.targets[task.spec.target]!;
  const size = { cols: options.cols, rows: options.rows };
  if (target.type === 'local') {
    const cwd = path.resolve(run.root, task.spec.cwd);
    const exists = existsSync(cwd);
    if (!exists) options.notice?.(`${cwd} does not exist (yet); starting in ${run.root}`);
    return openLocalTerminal({ cwd: exists ? cwd : run.root, ...size, env: { FLOTILLA_RUN_ID: run.id, FLOTILLA_TASK_ID: task.id } });
  }
  if (!options.clusters) throw new Error(`task '${task.id}' runs on ${target.host}, which this process cannot reach`);
  const connection = options.clusters.connection(target.host);
  await connection.connect(options.interactive);
  return openRemoteTerminal(connection, { cwd: remoteCwd(remoteRunRoot(target, run.id), task.spec.cwd), ...size });
}
