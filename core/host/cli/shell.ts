import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolveRun } from '../../scheduler/control.ts';
import { SshError } from '../../ssh/connection.ts';
import { Store } from '../../store/store.ts';
import { remoteCwd, remoteRunRoot } from '../../targets/remote/scripts.ts';
import { openLocalTerminal, openRemoteTerminal } from '../../terminals/terminals.ts';
import type { TerminalSession } from '../../terminals/terminals.ts';
import { EXIT_FAILED, UsageError } from './options.ts';
import { cliClusters } from './remote.ts';

/**
 * `flotilla shell RUN TASK`: a shell in the task's folder, on the machine the task runs on.
 * On a terminal it is raw (keys go straight through, the window size follows); with pipes,
 * input and output are passed as they come. The exit code is the shell's.
 */
export async function shellCommand(positionals: string[]): Promise<number> {
  if (positionals.length !== 2) throw new UsageError('shell needs RUN and TASK');
  const store = Store.open();
  let session: TerminalSession;
  let close = () => {};
  try {
    const run = resolveRun(store, positionals[0]);
    const task = store.findTask(run.id, positionals[1]!);
    if (!task) throw new UsageError(`run ${run.id} has no task '${positionals[1]}'`);
    const target = run.plan.targets[task.spec.target]!;
    const size = { cols: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 };
    if (target.type === 'local') {
      const cwd = path.resolve(run.root, task.spec.cwd);
      if (!existsSync(cwd)) process.stderr.write(`flotilla: ${cwd} does not exist (yet); starting in ${run.root}\n`);
      session = openLocalTerminal({ cwd: existsSync(cwd) ? cwd : run.root, ...size, env: { FLOTILLA_RUN_ID: run.id, FLOTILLA_TASK_ID: task.id } });
    } else {
      const { clusters } = cliClusters();
      close = () => clusters.close();
      const connection = clusters.connection(target.host);
      try {
        await connection.connect(process.stdin.isTTY === true);
      } catch (error) {
        if (error instanceof SshError) {
          process.stderr.write(`flotilla: cannot reach ${target.host}: ${error.message}\n`);
          close();
          return EXIT_FAILED;
        }
        throw error;
      }
      session = await openRemoteTerminal(connection, { cwd: remoteCwd(remoteRunRoot(target, run.id), task.spec.cwd), ...size });
    }
  } finally {
    store.close();
  }
  return await attach(session, close);
}

function attach(session: TerminalSession, close: () => void): Promise<number> {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  const onInput = (chunk: Buffer) => session.write(chunk.toString('utf8'));
  const onResize = () => session.resize(process.stdout.columns, process.stdout.rows);
  stdin.on('data', onInput);
  process.stdout.on('resize', onResize);
  session.onData((data) => process.stdout.write(data));
  return new Promise((resolve) => {
    session.onExit((exit) => {
      stdin.off('data', onInput);
      process.stdout.off('resize', onResize);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      close();
      resolve(exit.code ?? EXIT_FAILED);
    });
  });
}
