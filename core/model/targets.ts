/**
 * A workflow's targets: where its tasks run (this machine, a host over SSH, a SLURM cluster),
 * as the file declares them under `targets`.
 */
import { availableParallelism } from 'node:os';
import type { Issue, PathSegment } from './errors.ts';
import { REMOTE_TARGET_KEYS, TARGET_KEYS, TARGET_TYPES } from './keys.ts';
import { checkKeys, isMapping } from './node-check.ts';
import type { Mapping, NodeProblem } from './node-check.ts';
import { parseTime } from './resources.ts';
import type { RemoteTargetSpec, TargetSpec } from './types.ts';

/** Reports a problem at a place in the file. */
type Report = (at: PathSegment[], message: string, extra?: Partial<Issue>) => void;

/**
 * Reads a file's `targets` into `targets` (where `local` always is), each checked: its type,
 * its parallelism, and for ssh and slurm its host (an SSH destination, never an option or a
 * shell word), remote root, poll interval, array limit and checksum switch. A wrong target is
 * left out, with its problems reported.
 */
export function readTargets(data: Mapping, targets: Record<string, TargetSpec>, issue: Report): void {
  if (!targets.local) targets.local = { name: 'local', type: 'local', maxParallel: availableParallelism() };
  if (data.targets === undefined) return;
  if (!isMapping(data.targets)) return issue(['targets'], "'targets' must map target names to { type: … }");
  for (const [name, raw] of Object.entries(data.targets)) {
    const at = ['targets', name];
    if (!isMapping(raw)) {
      issue(at, `target '${name}' must be a mapping like { type: local, max_parallel: 4 }`);
      continue;
    }
    const problems: NodeProblem[] = [];
    checkKeys(raw, TARGET_KEYS, `target '${name}'`, problems);
    for (const problem of problems) issue([...at, ...problem.path], problem.message, { atKey: problem.atKey });
    const type = raw.type ?? (name === 'local' ? 'local' : undefined);
    if (!(TARGET_TYPES as readonly unknown[]).includes(type)) {
      const shown = type === undefined ? "has no 'type'" : `has type ${JSON.stringify(type)}`;
      issue(type === undefined ? at : [...at, 'type'], `target '${name}' ${shown}; supported types: ${TARGET_TYPES.join(', ')}`);
      continue;
    }
    const remote = type === 'ssh' || type === 'slurm';
    const maxParallel = raw.max_parallel ?? (type === 'slurm' ? 100 : type === 'ssh' ? 4 : availableParallelism());
    if (!Number.isInteger(maxParallel) || (maxParallel as number) < 1) {
      issue([...at, 'max_parallel'], `max_parallel of target '${name}' must be a whole number ≥ 1`);
      continue;
    }
    if (!remote) {
      for (const key of [...REMOTE_TARGET_KEYS, 'array_limit']) if (raw[key] !== undefined) issue([...at, key], `'${key}' is for ssh and slurm targets; target '${name}' is local`);
      targets[name] = { name, type: 'local', maxParallel: maxParallel as number };
      continue;
    }
    const spec = remoteTarget(name, type, raw, maxParallel as number, issue);
    if (spec) targets[name] = spec;
  }
}

/** Reads an ssh or slurm target's keys; undefined (with issues reported) when one is wrong. */
function remoteTarget(name: string, type: 'ssh' | 'slurm', raw: Mapping, maxParallel: number, issue: Report): RemoteTargetSpec | undefined {
  const at = ['targets', name];
  let wrong = false;
  const report = (where: PathSegment[], message: string) => {
    wrong = true;
    issue(where, message);
  };
  const host = raw.host;
  if (typeof host !== 'string' || !/^(?:[^@\s'"`$;&|<>()\\]+@)?[A-Za-z0-9_.:\[\]-]+$/.test(host) || host.startsWith('-')) {
    report(host === undefined ? at : [...at, 'host'], host === undefined ? `${type} target '${name}' needs 'host' (an SSH destination like user@cluster.example.org, or a Host of ~/.ssh/config)` : `host of target '${name}' must be an SSH destination like user@cluster.example.org:22`);
  }
  const root = raw.root ?? 'flotilla';
  if (typeof root !== 'string' || root.trim() === '' || root.includes('\n') || root.includes('\0')) report([...at, 'root'], `root of target '${name}' must be a remote folder, like scratch/flotilla or /scratch/me/flotilla`);
  let pollSeconds = 30;
  if (raw.poll !== undefined) {
    const seconds = typeof raw.poll === 'number' ? raw.poll : parseTime(raw.poll);
    if (seconds === undefined || !Number.isFinite(seconds) || seconds < 1) report([...at, 'poll'], `poll of target '${name}' must be a duration like 30s or 2m (or a number of seconds ≥ 1)`);
    else pollSeconds = seconds;
  }
  const arrayLimit = raw.array_limit;
  if (arrayLimit !== undefined && (type !== 'slurm' || !Number.isInteger(arrayLimit) || (arrayLimit as number) < 1)) {
    report([...at, 'array_limit'], type === 'slurm' ? `array_limit of target '${name}' must be a whole number ≥ 1` : `'array_limit' is for slurm targets; target '${name}' is ${type}`);
  }
  if (raw.checksum !== undefined && typeof raw.checksum !== 'boolean') report([...at, 'checksum'], `checksum of target '${name}' must be true or false`);
  if (wrong) return undefined;
  const cleanRoot = (root as string).replace(/^~\//, '').replace(/\/+$/, '') || '.';
  return { name, type, maxParallel, host: host as string, root: cleanRoot, pollSeconds, ...(arrayLimit !== undefined ? { arrayLimit: arrayLimit as number } : {}), ...(raw.checksum === true ? { checksum: true } : {}) };
}
