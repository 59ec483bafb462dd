import type { TargetSpec } from '../model/types.ts';
import { LocalTarget } from './local.ts';
import type { LocalTargetOptions } from './local.ts';
import { RemoteTarget } from './remote/remote.ts';
import type { RemoteTargetOptions } from './remote/session.ts';
import type { Target } from './target.ts';
import { CodedError } from '../model/errors.ts';

/** What building a run's targets needs: remote ones need the process's clusters. */
export interface TargetContext {
  runId: string;
  root: string;
  local?: LocalTargetOptions;
  /** How long attempts ran on each target in an earlier run of the workflow, in ms. */
  runTimes?: Record<string, number>;
  remote?: Omit<RemoteTargetOptions, 'runId' | 'localRoot'>;
}

/** Thrown when a plan has a remote target but no way to reach it was given. */
export class TargetSetupError extends CodedError {
  constructor(message: string) {
    super('target-setup', message);
  }
}

/** One target per declared target of a plan. */
export function createTargets(specs: Record<string, TargetSpec>, context: TargetContext): Record<string, Target> {
  const targets: Record<string, Target> = {};
  for (const spec of Object.values(specs)) {
    if (spec.type === 'local') {
      const expected = context.runTimes?.[spec.name];
      targets[spec.name] = new LocalTarget(spec, expected === undefined ? context.local : { ...context.local, expectedRunMs: expected });
    } else {
      if (!context.remote) throw new TargetSetupError(`target '${spec.name}' (${spec.type} on ${spec.host}) needs SSH, which this caller did not set up`);
      targets[spec.name] = new RemoteTarget(spec, { ...context.remote, runId: context.runId, localRoot: context.root });
    }
  }
  return targets;
}
