/**
 * Where a run came from, recorded with it: the workflow file's content hash (its text is kept
 * beside, by hash, so two runs' files can be compared), the git commit and state of the
 * repository holding it, Flotilla's version, the host and the user.
 */
import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { gitState } from './git.ts';
import type { GitState } from './git.ts';
import { flotillaVersion } from './resources.ts';

export interface Provenance {
  /** sha256 of the workflow file's text as the run read it. */
  fileHash: string;
  git: GitState | null;
  version: string;
  host: string;
  user: string;
}

export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function provenanceOf(file: string, text: string): Provenance {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown'; // no passwd entry (a container's uid)
  }
  return { fileHash: textHash(text), git: gitState(file), version: flotillaVersion(), host: hostname(), user };
}
