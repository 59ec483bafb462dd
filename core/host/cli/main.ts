import { CodedError, WorkflowError } from '../../model/errors.ts';
import type { ErrorCode } from '../../model/errors.ts';
import { diskProblem, flotillaHome } from '../../util/home.ts';
import { flotillaVersion } from '../../util/resources.ts';
import { EXIT_CANNOT_WORK, EXIT_OK, EXIT_USAGE, parse, UsageError } from './options.ts';
import { cancelCommand, historyCommand, resubmitCommand, resumeCommand, runCommand, statusCommand, validateCommand } from './commands.ts';
import { logsCommand } from './logs.ts';

/** Errors of what the user asked (exit 2), by code; the rest are Flotilla's own (exit 70). */
const BAD_INPUT: ReadonlySet<ErrorCode> = new Set(['bad-arguments', 'no-such-run', 'no-such-task', 'bad-selection', 'run-busy', 'plan-changed', 'loop-moved-on', 'store-incompatible', 'ssh-config']);

const USAGE = `usage: flotilla <command> [options]

  validate FILE [-p KEY=VALUE]…          check a workflow file; nothing runs
  run FILE [options]                     run a workflow
      -n, --dry-run                      print what would run and be submitted; run nothing
      --only ID… [--upstream] [--downstream]   run part of it
      --fresh                            ignore cached results
      --explain                          say for each task why it runs or is cached
      --max-parallel N                   at most N tasks at once
      --workdir DIR                      run root (default: the file's folder)
      -p, --param KEY=VALUE              override a param (value read as YAML)
      -q, --quiet                        print only the outcome
      --notify CMD                       when it ends, run CMD (sh -c) with FLOTILLA_RUN, FLOTILLA_STATE,
                                         FLOTILLA_FAILED, FLOTILLA_FIRST_FAILURE, FLOTILLA_SUMMARY set
                                         (also for resume and resubmit); a terminal gets a bell
  status [RUN] [--json]                  tasks and attempts of a run (default: the last)
  logs RUN TASK [--attempt N] [--follow] [--stderr|--stdout]
  resume RUN                             continue a run after a crash or kill
  resubmit RUN (--failed | TASK…) [--downstream] [--reload]
  cancel RUN [TASK]
  shell RUN TASK                         a shell in the task's folder, where it runs (local or over SSH)
  serve [--port N]                       web mode: the core on 127.0.0.1 behind a token (prints the URL)
  history [--json] [--limit N] [--file FILE]   past runs (of one workflow file), with their git commits
  diff RUN1 RUN2 [--json]                what differs: params, the workflow file, outcomes, durations
  --version                              Flotilla's version, and the Node.js it runs on

RUN is a run id, a unique prefix of one, or 'last'. Runs are kept in $FLOTILLA_HOME (~/.flotilla).`;

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // Output piped into `head` and the like: a closed pipe ends the command quietly, as for other tools.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`flotilla ${flotillaVersion()} (Node.js ${process.version})\n`);
    return EXIT_OK;
  }
  try {
    const { values, positionals } = parse(rest);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    switch (command) {
      case 'validate':
        return await validateCommand(positionals, values);
      case 'run':
        return await runCommand(positionals, values);
      case 'status':
        return await statusCommand(positionals, values);
      case 'logs':
        return await logsCommand(positionals, values);
      case 'resume':
        return await resumeCommand(positionals, values);
      case 'resubmit':
        return await resubmitCommand(positionals, values);
      case 'cancel':
        return await cancelCommand(positionals, values);
      case 'history':
        return await historyCommand(positionals, values);
      case 'diff':
        return await (await import('./diff.ts')).diffCommand(positionals, values);
      case 'shell':
        return await (await import('./shell.ts')).shellCommand(positionals);
      case 'serve':
        return await (await import('./serve.ts')).serveCommand(values);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof WorkflowError) {
      process.stderr.write(`${error.message}\n`);
      process.stderr.write(`${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}; nothing was run.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`flotilla: ${(error as Error).message}\n\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    const disk = diskProblem(error, flotillaHome());
    if (disk !== undefined || (error instanceof CodedError && error.code === 'store-damaged')) {
      process.stderr.write(`flotilla: ${disk ?? (error as Error).message}\n`);
      return EXIT_CANNOT_WORK;
    }
    if (error instanceof CodedError && BAD_INPUT.has(error.code)) {
      process.stderr.write(`flotilla: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
