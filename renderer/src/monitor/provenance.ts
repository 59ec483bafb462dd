/** Where a run came from, in words for the history, the run header and Compare. No React here. */
import type { Provenance } from '../../../core/api/types.ts';

/** The commit as a few characters (`*`: the file or the repository had changes), and the whole story for a tooltip. */
export function commitText(provenance: Provenance | null): { short: string; title: string } {
  if (!provenance) return { short: '', title: 'recorded by an older Flotilla' };
  const who = `Flotilla ${provenance.version}, ${provenance.user}@${provenance.host}; file sha256 ${provenance.fileHash.slice(0, 12)}`;
  const git = provenance.git;
  if (!git) return { short: '–', title: `not in a git repository. ${who}` };
  if (!git.commit) return { short: 'no commit', title: `in ${git.root}, which has no commit yet. ${who}` };
  const state = git.fileChanged ? 'the workflow file differs from this commit' : git.dirty ? 'other files of the repository differ from this commit' : 'clean';
  return { short: `${git.commit.slice(0, 8)}${git.fileChanged || git.dirty ? '*' : ''}`, title: `commit ${git.commit}${git.branch ? ` on ${git.branch}` : ''} in ${git.root}: ${state}. ${who}` };
}

/** Parameters as `name=value, …` (values as JSON). */
export function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}
