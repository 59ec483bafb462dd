import { CodedError } from '../../model/errors.ts';
import { SshError } from '../../ssh/errors.ts';
import { integer, needs, withService } from './commands.ts';
import { EXIT_OK } from './options.ts';
import type { CliOptions } from './options.ts';

/**
 * `flotilla logs RUN TASK`: an attempt's output as the service reads it — from this machine,
 * or while a cluster attempt runs, from its host. `--follow` goes on until the attempt ended
 * (from the local copy once it was fetched).
 */
export async function logsCommand(positionals: string[], values: CliOptions): Promise<number> {
  needs(positionals, 2, 'RUN and TASK');
  const n = values.attempt === undefined ? undefined : integer(values.attempt, '--attempt');
  const streams: ('stdout' | 'stderr')[] = values.stderr ? ['stderr'] : values.stdout ? ['stdout'] : ['stdout', 'stderr'];
  return withService(async (service) => {
    const { run } = await service.perform('runs.outcome', { run: positionals[0]!, failures: 0 });
    const task = positionals[1]!;
    const offsets = { stdout: 0, stderr: 0 };
    let attempt = n;
    let remote = false;
    const unreadable = new Set<string>();
    /** Writes what is new of each stream; whether there was any, and whether the attempt has ended. */
    const pump = async (): Promise<{ more: boolean; ended: boolean }> => {
      let more = false;
      let ended = true;
      for (const stream of streams) {
        let chunk;
        try {
          // The bytes as the task wrote them (a log need not be UTF-8).
          chunk = await service.perform('tasks.logs', { run: run.id, task, stream, offset: offsets[stream], encoding: 'base64', ...(attempt === undefined ? {} : { attempt }) });
        } catch (error) {
          if (!(error instanceof SshError) && !(error instanceof CodedError && error.code === 'unreachable')) throw error;
          const said = (error as Error).message.split('\n')[0]!;
          if (!unreadable.has(said)) process.stderr.write(`flotilla: the ${stream} of this running attempt cannot be read on its host now (${said}); it is copied here when the attempt ends\n`);
          unreadable.add(said);
          ended = false;
          remote = true;
          continue;
        }
        // The latest attempt at the first read is the one followed (a retry is not mixed in).
        attempt ??= chunk.attempt;
        remote ||= chunk.host !== null;
        const bytes = Buffer.from(chunk.text, 'base64');
        (stream === 'stdout' ? process.stdout : process.stderr).write(bytes);
        offsets[stream] = chunk.offset;
        more ||= bytes.length > 0;
        ended &&= chunk.ended;
      }
      return { more, ended };
    };
    for (;;) {
      const { more, ended } = await pump();
      if (more) continue;
      if (!values.follow || ended) break;
      await new Promise((resolve) => setTimeout(resolve, remote ? 1000 : 200));
    }
    return EXIT_OK;
  }, { quiet: true });
}
