import { CodedError } from '../../model/errors.ts';
import { SshError } from '../../ssh/errors.ts';
import type { TerminalSession } from '../../terminals/terminals.ts';
import { EXIT_FAILED, UsageError } from './options.ts';
import { cliClusters } from './remote.ts';

/**
 * `flotilla shell RUN TASK`: a shell in the task's folder, on the machine the task runs on,
 * opened by the service (`terminals.open`) as the app opens its terminals. On a terminal it is
 * raw (keys go straight through, the window size follows); with pipes, input and output are
 * passed as they come. The exit code is the shell's.
 */
export async function shellCommand(positionals: string[]): Promise<number> {
  if (positionals.length !== 2) throw new UsageError('shell needs RUN and TASK');
  const { openCommandCore } = await import('../app-core.ts');
  const { clusters } = cliClusters();
  // A question about a host goes to the terminal the shell is for.
  const core = openCommandCore({ remote: { clusters, interactive: process.stdin.isTTY === true } });
  let session: TerminalSession | undefined;
  try {
    const opened = await core.service.perform('terminals.open', { run: positionals[0]!, task: positionals[1]!, cols: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 });
    for (const notice of opened.notices) process.stderr.write(`flotilla: ${notice}\n`);
    session = core.service.attachTerminal(opened.terminal);
  } catch (error) {
    core.finish();
    if (error instanceof CodedError && error.code === 'no-such-task') throw new UsageError(error.message);
    if (error instanceof SshError) {
      process.stderr.write(`flotilla: cannot reach the task's host: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
  if (!session) {
    core.finish();
    throw new Error('the opened terminal was not handed over');
  }
  return await attach(session, () => core.finish());
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
