import { resolveRun } from '../../scheduler/control.ts';
import { SshError } from '../../ssh/connection.ts';
import { Store } from '../../store/store.ts';
import { openTaskTerminal } from '../../terminals/task.ts';
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
    const remote = run.plan.targets[task.spec.target]!.type !== 'local';
    const clusters = remote ? cliClusters().clusters : undefined;
    if (clusters) close = () => clusters.close();
    try {
      session = await openTaskTerminal(run, task, {
        cols: process.stdout.columns ?? 80,
        rows: process.stdout.rows ?? 24,
        ...(clusters ? { clusters } : {}),
        interactive: process.stdin.isTTY === true,
        notice: (message) => process.stderr.write(`flotilla: ${message}\n`),
      });
    } catch (error) {
      if (error instanceof SshError) {
        const target = run.plan.targets[task.spec.target]!;
        process.stderr.write(`flotilla: cannot reach ${'host' in target ? target.host : target.name}: ${error.message}\n`);
        close();
        return EXIT_FAILED;
      }
      close();
      throw error;
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
