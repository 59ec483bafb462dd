/** How the monitor looks at a run without events (renderer/src/monitor/poll.ts), without a browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunHeader, RunOutcome, TaskState } from '../../core/api/types.ts';
import { isOver, outcomeMoved } from '../../renderer/src/monitor/poll.ts';

const header = (state: RunHeader['state'], endedAt: number | null = 9): RunHeader => ({ id: 'r1', name: 'w', file: '/w.yaml', state, createdAt: 1, endedAt, stopped: null, params: {}, provenance: null });
const counts = (some: Partial<Record<TaskState, number>>) => ({ waiting: 0, ready: 0, submitted: 0, running: 0, succeeded: 0, cached: 0, failed: 0, blocked: 0, cancelled: 0, ...some }) as Record<TaskState, number>;
const outcome = (run: RunHeader, some: Partial<Record<TaskState, number>>): RunOutcome => ({ run, counts: counts(some), failures: [] });

describe('polling a run', () => {
  it('a run that goes on is not over; one that ended or was left interrupted is', () => {
    assert.equal(isOver(null), false, 'nothing known yet');
    assert.equal(isOver(header('running', null)), false);
    for (const state of ['succeeded', 'failed', 'cancelled', 'interrupted'] as const) assert.equal(isOver(header(state)), true, state);
  });

  it("an ended run's outcome that matches what is shown asks for nothing more; a resumed run or a moved count does", () => {
    const shown = header('succeeded');
    assert.equal(outcomeMoved(shown, { succeeded: 10 }, outcome(shown, { succeeded: 10 })), false);
    assert.equal(outcomeMoved(shown, { succeeded: 10 }, outcome(header('running', null), { succeeded: 10 })), true, 'resumed by another process');
    assert.equal(outcomeMoved(shown, { succeeded: 10 }, outcome(shown, { succeeded: 9, failed: 1 })), true, 'a count moved');
    assert.equal(outcomeMoved(null, {}, outcome(shown, {})), true, 'no status shown yet');
  });
});
