import { createRequire } from 'node:module';
import type * as Ssh2 from 'ssh2';

let loaded: typeof Ssh2 | undefined;
/**
 * ssh2, loaded on first use: it takes about 50 ms to load, more than the rest of a local
 * run's start-up, and a run without remote targets never needs it.
 */
export function ssh2(): typeof Ssh2 {
  return (loaded ??= createRequire(import.meta.url)('ssh2') as typeof Ssh2);
}
