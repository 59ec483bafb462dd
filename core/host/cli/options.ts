import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** Exit codes: every task succeeded / some task failed / bad input / Flotilla cannot work (EX_SOFTWARE). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANNOT_WORK = 70;

const OPTIONS = {
  only: { type: 'string', multiple: true },
  upstream: { type: 'boolean' },
  downstream: { type: 'boolean' },
  fresh: { type: 'boolean' },
  'dry-run': { type: 'boolean', short: 'n' },
  explain: { type: 'boolean' },
  'max-parallel': { type: 'string' },
  workdir: { type: 'string' },
  param: { type: 'string', short: 'p', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  attempt: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  stderr: { type: 'boolean' },
  stdout: { type: 'boolean' },
  failed: { type: 'boolean' },
  reload: { type: 'boolean' },
  limit: { type: 'string' },
  file: { type: 'string' },
  notify: { type: 'string' },
  port: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

export type CliOptions = ReturnType<typeof parse>['values'];

export function parse(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
}

/** Thrown for a command line that cannot be run. */
export class UsageError extends Error {
  readonly code = 'usage';
}

