/**
 * What an attempt published (`$FLOTILLA_VALUES`, see core/model/values.ts), taken with its end
 * by the target that ran it: a local attempt's file beside its status marker, a remote one's
 * in its attempt folder (read by the poll).
 */
import { lstatSync } from 'node:fs';
import { MAX_VALUES_BYTES, parseValues } from '../model/values.ts';
import { readFrom } from '../util/files.ts';
import type { AttemptExit } from './target.ts';

/** The file a local attempt publishes values in (`$FLOTILLA_VALUES`): beside its status marker. */
export function valuesFile(marker: string): string {
  return marker.endsWith('.status') ? `${marker.slice(0, -'.status'.length)}.values` : `${marker}.values`;
}

/**
 * A succeeded attempt's end with the values it published; a values file that cannot be read
 * as such fails it, saying why. Other ends are as they are (what a failed attempt wrote is
 * no decision's to read).
 */
export function withValues(exit: AttemptExit, marker: string): AttemptExit {
  if (!succeeded(exit)) return exit;
  const file = valuesFile(marker);
  // As on a cluster (the poll's probe): only a regular file publishes, a link is not followed.
  // (Most attempts publish nothing: one lstat, and no read, for them.)
  if (!lstatSync(file, { throwIfNoEntry: false })?.isFile()) return exit;
  const chunk = readFrom(file, 0, MAX_VALUES_BYTES + 1);
  return chunk ? withValuesText(exit, chunk.bytes.toString('utf8'), chunk.size) : exit;
}

/** `withValues` for a values file's text read elsewhere (a remote attempt's, with its poll). */
export function withValuesText(exit: AttemptExit, text: string, size: number): AttemptExit {
  if (!succeeded(exit)) return exit;
  const read = parseValues(text, size);
  if ('problem' in read) return { ...exit, exitCode: null, reason: read.problem };
  return Object.keys(read.values).length > 0 ? { ...exit, values: read.values } : exit;
}

/** Whether an attempt's end is a success (exit 0, no signal, nothing else wrong): only that publishes. */
export function succeeded(exit: AttemptExit): boolean {
  return exit.exitCode === 0 && exit.signal === null && exit.reason === null;
}
