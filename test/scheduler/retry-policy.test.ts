/** The retry policy on its own: what each kind of end makes of a task. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskSpec } from '../../core/model/types.ts';
import { describeExit, endOutcome } from '../../core/scheduler/retry-policy.ts';
import type { AttemptExit } from '../../core/targets/target.ts';

const spec = { retries: 2, resources: { timeSeconds: 60 } } as TaskSpec;
const exit = (fields: Partial<AttemptExit>): AttemptExit => ({ exitCode: null, signal: null, reason: null, schedulerState: null, ...fields });
const calm = { cancelling: false, runCancelled: false };

describe('retry policy', () => {
  it('decides each end: success wins over a late cancel; failures retry while retries are left, unless final or the run is cancelled', () => {
    const cases: [string, AttemptExit, number, { cancelling: boolean; runCancelled: boolean }, ReturnType<typeof endOutcome>][] = [
      ['exit 0', exit({ exitCode: 0 }), 1, calm, { kind: 'succeeded' }],
      ['exit 0 after a cancel was asked', exit({ exitCode: 0 }), 1, { cancelling: true, runCancelled: false }, { kind: 'succeeded' }],
      ['killed by a cancel', exit({ signal: 'SIGTERM' }), 1, { cancelling: true, runCancelled: false }, { kind: 'cancelled' }],
      ['a target that says cancelled', exit({ reason: 'cancelled' }), 1, calm, { kind: 'cancelled' }],
      ['first failure', exit({ exitCode: 3 }), 1, calm, { kind: 'retry', detail: 'exit 3; retrying (1 of 2 retries)' }],
      ['last retry used', exit({ exitCode: 3 }), 3, calm, { kind: 'failed', detail: 'exit 3' }],
      ['timed out', exit({ reason: 'timeout', signal: 'SIGTERM' }), 2, calm, { kind: 'retry', detail: 'timed out after 60s; retrying (2 of 2 retries)' }],
      ['final', exit({ reason: 'needs a login', final: true }), 1, calm, { kind: 'failed', detail: 'needs a login' }],
      ['run cancelled', exit({ signal: 'SIGKILL' }), 1, { cancelling: false, runCancelled: true }, { kind: 'failed', detail: 'killed by SIGKILL' }],
      ['exit 0 with output lost', exit({ exitCode: 0, reason: 'output lost: 5 bytes' }), 1, calm, { kind: 'retry', detail: 'output lost: 5 bytes; retrying (1 of 2 retries)' }],
    ];
    for (const [name, end, failures, context, expected] of cases) assert.deepEqual(endOutcome(end, spec, failures, context), expected, name);
  });

  it('describes a failed attempt shortly', () => {
    assert.equal(describeExit(exit({ exitCode: 127 }), spec), 'exit 127');
    assert.equal(describeExit(exit({ signal: 'SIGKILL' }), spec), 'killed by SIGKILL');
    assert.equal(describeExit(exit({ reason: 'timeout' }), spec), 'timed out after 60s');
  });
});
