import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Defined (true) in the CLI's bundle (see build:cli). */
declare const FLOTILLA_BUNDLE: boolean | undefined;

/** Whether this code runs from the CLI's bundle (not the sources, not the desktop app). */
export function inBundle(): boolean {
  return typeof FLOTILLA_BUNDLE !== 'undefined';
}

/**
 * The CLI bundle this code runs from, as `file:size:time`, which changes with every build;
 * undefined when it runs from the sources (whose edits nothing would notice).
 */
export function bundleIdentity(): string | undefined {
  if (!inBundle()) return undefined;
  const file = fileURLToPath(import.meta.url);
  const stats = statSync(file);
  return `${file}:${stats.size}:${stats.mtimeMs}`;
}
